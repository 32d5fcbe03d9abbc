// Web pages the user always allows (by Origin), each with a Forget button: other web pages
// wait until the user allows them.
import { api } from '../../api';
import { byId, h, reconcile, setText } from '../../dom';
import { change, type Section } from './section';

export const webPages: Section = {
  mount(root) {
    root.id = 'web-pages-section';
    root.innerHTML = `
      <h2 id="h-web-pages">Web pages you always allow</h2>
      <p class="hint">Other web pages wait until you allow them. Forget one to be asked again next time.</p>
      <ul id="remembered-web-pages" class="plain-list"></ul>
    `;
    byId('remembered-web-pages').addEventListener('click', (e) => {
      const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button.forget-web-page');
      const item = btn?.closest<HTMLElement>('li[data-origin]');
      if (!btn || !item) return;
      change(btn, () => api.forgetWebPage(item.dataset.origin ?? ''));
    });
  },

  render(s) {
    const pages = s.settings.rememberedWebPages ?? [];
    byId('web-pages-section').hidden = pages.length === 0;
    reconcile(byId('remembered-web-pages'), pages, (o) => o, 'data-origin', createItem, updateItem);
  },
};

function createItem(): HTMLLIElement {
  return h(
    'li',
    {},
    h('span', { class: 'what mono' }),
    ' ',
    h('button', { type: 'button', class: 'forget-web-page', text: 'Forget' }),
  );
}

function updateItem(item: HTMLLIElement, origin: string): void {
  setText(item.querySelector('.what') as HTMLElement, origin);
  item.querySelector('button')?.setAttribute('aria-label', `Forget the web page ${origin}`);
}
