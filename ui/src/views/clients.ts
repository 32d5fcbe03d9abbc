// Clients view: every connected app with its details and a disconnect button.
import { api } from '../api';
import { byId, h, reconcile, run, setText } from '../dom';
import { formatClock, formatRelativeTime, formatSpecVersion } from '../format';
import type { ClientView, Snapshot } from '../models';

export function mount(root: HTMLElement): void {
  root.innerHTML = `
    <h1 id="h-clients">Connected apps</h1>
    <p class="muted" id="clients-intro"></p>
    <div class="table-wrap">
      <table id="clients">
        <caption class="sr-only">Apps connected to the server</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Version</th>
            <th scope="col">Address</th>
            <th scope="col">Web page (Origin)</th>
            <th scope="col">Connected</th>
            <th scope="col">Messages in / out</th>
            <th scope="col">Last error</th>
            <th scope="col"><span class="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody></tbody>
      </table>
    </div>
    <p class="empty" id="clients-empty" hidden></p>
  `;
  byId('clients').addEventListener('click', (e) => {
    const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button.disconnect');
    const row = btn?.closest<HTMLElement>('tr[data-client-id]');
    if (!btn || !row) return;
    const id = Number(row.dataset.clientId);
    void run(btn, () => api.disconnectClient(id));
  });
}

function createRow(): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('td', { class: 'name' }),
    h('td', { class: 'spec' }),
    h('td', { class: 'address mono' }),
    h('td', { class: 'origin' }),
    h('td', { class: 'since' }),
    h('td', { class: 'messages num' }),
    h('td', { class: 'last-error' }),
    h('td', { class: 'actions' }, h('button', { type: 'button', class: 'disconnect', text: 'Disconnect' })),
  );
}

function cell(row: HTMLElement, cls: string): HTMLElement {
  return row.querySelector(`td.${cls}`) as HTMLElement;
}

function updateRow(row: HTMLTableRowElement, c: ClientView, now: number): void {
  setText(cell(row, 'name'), c.name ?? 'Connecting…');
  setText(cell(row, 'spec'), formatSpecVersion(c.specVersion));
  setText(cell(row, 'address'), c.address);
  setText(cell(row, 'origin'), c.origin ?? '—');
  const since = cell(row, 'since');
  since.dataset.since = c.connectedSince;
  setText(since, formatRelativeTime(c.connectedSince, now));
  since.title = `Since ${formatClock(c.connectedSince)}`;
  setText(cell(row, 'messages'), `${c.messagesIn} / ${c.messagesOut}`);
  const err = cell(row, 'last-error');
  setText(err, c.lastError ?? '—');
  err.classList.toggle('has-error', c.lastError !== null);
  const btn = row.querySelector('button.disconnect') as HTMLButtonElement;
  btn.setAttribute('aria-label', `Disconnect ${c.name ?? c.address}`);
}

export function render(s: Snapshot): void {
  const now = Date.now();
  const body = byId('clients').querySelector('tbody') as HTMLTableSectionElement;
  reconcile(body, s.clients, (c) => String(c.id), 'data-client-id', createRow, (row, c) => updateRow(row, c, now));
  const empty = byId('clients-empty');
  empty.hidden = s.clients.length > 0;
  setText(
    empty,
    s.server.running
      ? `No app is connected. In your game or app, connect to ${s.server.url ?? 'the server address'}.`
      : 'No app is connected. Start the server first, then connect your game or app to it.',
  );
  setText(
    byId('clients-intro'),
    'Games and apps that are connected to Plugboard right now.',
  );
}

/** Relative times move on by themselves; refresh only those cells (no call to the shell). */
export function tick(): void {
  const now = Date.now();
  for (const td of document.querySelectorAll<HTMLElement>('#clients td.since[data-since]')) {
    setText(td, formatRelativeTime(td.dataset.since ?? '', now));
  }
}
