// The devices each app may use, by the name it gives: every device, or only those ticked.
import { api } from '../../api';
import { byId, h, reconcile, setChecked, setText } from '../../dom';
import type { DeviceView, Snapshot } from '../../models';
import { snapshot } from '../../store';
import { change, type Section } from './section';

/** One app name and its rule. */
interface AccessRule {
  name: string;
  /** null: every device */
  allowed: string[] | null;
}

export const access: Section = {
  mount(root) {
    root.innerHTML = `
      <h2 id="h-client-access">Devices each app may use</h2>
      <p class="hint">
        Limit an app, by the name it gives, to some devices: it does not see the others and cannot use them.
        An app can give any name, so this keeps your apps apart; it does not keep out one that means harm.
      </p>
      <div id="client-access" class="card-list" role="list" aria-label="Which devices each app may use"></div>
      <p class="empty" id="client-access-empty" hidden>Apps appear here once they connect.</p>
    `;
    byId('client-access').addEventListener('change', (e) => {
      const input = e.target as HTMLInputElement;
      const card = input.closest<HTMLElement>('[data-client-name]');
      if (!card) return;
      const name = card.dataset.clientName ?? '';
      if (input.classList.contains('all-devices')) {
        // Unticked: start from every device, so nothing disappears until the user unticks one.
        const all = (snapshot()?.devices ?? []).map((d) => d.address);
        change(input, () => api.setClientDeviceAccess(name, input.checked ? null : all));
      } else if (input.classList.contains('device-access')) {
        const chosen = Array.from(card.querySelectorAll<HTMLInputElement>('input.device-access:checked')).map(
          (box) => box.dataset.address ?? '',
        );
        change(input, () => api.setClientDeviceAccess(name, chosen));
      }
    });
  },

  render(s) {
    const rules = accessRules(s);
    reconcile(byId('client-access'), rules, (r) => r.name, 'data-client-name', createCard, (card, r) =>
      updateCard(card, r, s.devices),
    );
    byId('client-access-empty').hidden = rules.length > 0;
  },
};

function accessRules(s: Snapshot): AccessRule[] {
  const rules = s.settings.clientDeviceAccess ?? {};
  const names = new Set(Object.keys(rules));
  for (const c of s.clients) if (c.name) names.add(c.name);
  return Array.from(names)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => ({ name, allowed: rules[name] ?? null }));
}

function createCard(): HTMLElement {
  return h(
    'article',
    { class: 'card access-card', role: 'listitem' },
    h('h3', { class: 'name' }),
    h('label', { class: 'all' }, h('input', { type: 'checkbox', class: 'all-devices' }), ' Every device'),
    h('div', { class: 'devices' }),
  );
}

function deviceLabel(d: DeviceView): string {
  const name = d.displayName ?? d.name;
  return d.index === null ? `${name} (not connected)` : `${name} (#${d.index})`;
}

function updateCard(card: HTMLElement, r: AccessRule, devices: DeviceView[]): void {
  setText(card.querySelector('.name') as HTMLElement, r.name);
  const all = card.querySelector('input.all-devices') as HTMLInputElement;
  setChecked(all, r.allowed === null);
  all.setAttribute('aria-label', `${r.name} may use every device`);
  const list = card.querySelector('.devices') as HTMLElement;
  const signature = devices.map((d) => `${d.address}\u0000${deviceLabel(d)}`).join('\u0001');
  if (list.dataset.signature !== signature) {
    list.dataset.signature = signature;
    list.replaceChildren(
      ...devices.map((d) => {
        const box = h('input', { type: 'checkbox', class: 'device-access' });
        box.dataset.address = d.address;
        return h('label', { class: 'device-choice', title: d.address }, box, ` ${deviceLabel(d)}`);
      }),
    );
  }
  for (const box of list.querySelectorAll<HTMLInputElement>('input.device-access')) {
    setChecked(box, r.allowed === null || r.allowed.includes(box.dataset.address ?? ''));
    box.disabled = r.allowed === null;
  }
  if (devices.length === 0) setText(list, 'No devices yet.');
}
