// Apps from other computers the user always allows, each with a Forget button.
import { api } from '../../api';
import { byId, h, reconcile, setText } from '../../dom';
import type { ApprovedClient } from '../../models';
import { change, type Section } from './section';

export const approved: Section = {
  mount(root) {
    root.id = 'approved-section';
    root.innerHTML = `
      <h2 id="h-approved">Apps from other computers you always allow</h2>
      <ul id="approved-clients" class="plain-list"></ul>
    `;
    byId('approved-clients').addEventListener('click', (e) => {
      const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button.forget-approval');
      const item = btn?.closest<HTMLElement>('li');
      if (!btn || !item) return;
      const origin = item.dataset.origin === undefined ? null : item.dataset.origin;
      change(btn, () => api.forgetApprovedClient(item.dataset.address ?? '', origin));
    });
  },

  render(s) {
    const list = s.settings.approvedClients ?? [];
    byId('approved-section').hidden = list.length === 0;
    reconcile(byId('approved-clients'), list, approvedKey, 'data-key', createItem, updateItem);
  },
};

function approvedKey(a: ApprovedClient): string {
  return `${a.address} ${a.origin ?? ''}`;
}

function createItem(a: ApprovedClient): HTMLLIElement {
  const item = h(
    'li',
    {},
    h('span', { class: 'what' }),
    ' ',
    h('button', { type: 'button', class: 'forget-approval', text: 'Forget' }),
  );
  item.dataset.address = a.address;
  if (a.origin !== null) item.dataset.origin = a.origin;
  return item;
}

function updateItem(item: HTMLLIElement, a: ApprovedClient): void {
  const what = a.origin ? `${a.address}, web page ${a.origin}` : `${a.address} (an app, not a web page)`;
  setText(item.querySelector('.what') as HTMLElement, what);
  item.querySelector('button')?.setAttribute('aria-label', `Forget ${what}`);
}
