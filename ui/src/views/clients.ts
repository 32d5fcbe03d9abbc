// Apps view: a list of sections, each a part of its own (views/apps/): the connected clients
// and the apps and web pages waiting to be allowed, the devices each app may use, the remembered
// approvals and web pages.
// A new kind of approval or rule is one more section in SECTIONS.
import { h } from '../dom';
import type { Snapshot } from '../models';
import { access } from './apps/access';
import { approved } from './apps/approved';
import { connected } from './apps/connected';
import type { Section } from './apps/section';
import { webPages } from './apps/webpages';

export { tick } from './apps/connected';

const SECTIONS: readonly Section[] = [connected, access, approved, webPages];

export function mount(root: HTMLElement): void {
  root.replaceChildren(h('h1', { id: 'h-clients', text: 'Connected apps' }));
  for (const section of SECTIONS) {
    const element = h('section', { class: 'apps-section' });
    root.append(element);
    section.mount(element);
  }
}

export function render(s: Snapshot): void {
  for (const section of SECTIONS) section.render(s);
}
