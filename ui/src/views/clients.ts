// Clients view: every connected app with its details and a disconnect button; apps from other
// computers and web pages waiting to be allowed, each with its question; the devices each app
// (by name) may use; remembered approvals and web pages.
import { api } from '../api';
import { byId, h, reconcile, run, setChecked, setText } from '../dom';
import { formatClock, formatRelativeTime, formatSpecVersion } from '../format';
import type { ApprovedClient, ClientView, DeviceView, Snapshot } from '../models';
import { applyResult, mark, snapshot } from '../store';

/** Runs a command that answers with the new snapshot, and shows it at once. */
function change(control: HTMLButtonElement | HTMLInputElement, command: () => Promise<Snapshot>): void {
  void run(control, async () => {
    const m = mark();
    applyResult(await command(), m);
  });
}

export function mount(root: HTMLElement): void {
  root.innerHTML = `
    <h1 id="h-clients">Connected apps</h1>
    <p class="muted" id="clients-intro"></p>
    <div id="clients-waiting" class="panel warning" role="alert" hidden>
      <ul id="approval-prompts" class="plain-list"></ul>
    </div>
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

    <h2 id="h-client-access">Devices each app may use</h2>
    <p class="hint">
      Limit an app, by the name it gives, to some devices: it does not see the others and cannot use them.
      An app can give any name, so this keeps your apps apart; it does not keep out one that means harm.
    </p>
    <div class="table-wrap">
      <table id="client-access">
        <caption class="sr-only">Which devices each app may use</caption>
        <thead>
          <tr>
            <th scope="col">App</th>
            <th scope="col">All devices</th>
            <th scope="col">Only these</th>
          </tr>
        </thead>
        <tbody></tbody>
      </table>
    </div>
    <p class="empty" id="client-access-empty" hidden>Apps appear here once they connect.</p>

    <section id="web-pages-section" hidden>
      <h2 id="h-web-pages">Web pages you always allow</h2>
      <p class="hint">Other web pages wait until you allow them. Forget one to be asked again next time.</p>
      <ul id="remembered-web-pages" class="plain-list"></ul>
    </section>

    <section id="approved-section" hidden>
      <h2 id="h-approved">Apps from other computers you always allow</h2>
      <ul id="approved-clients" class="plain-list"></ul>
    </section>
  `;
  // The table's rows and the prompts above it answer the same way.
  const answer = (e: Event): void => {
    const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button');
    const row = btn?.closest<HTMLElement>('[data-client-id]');
    if (!btn || !row) return;
    const id = Number(row.dataset.clientId);
    if (btn.classList.contains('disconnect')) void run(btn, () => api.disconnectClient(id));
    else if (btn.classList.contains('allow')) void run(btn, () => api.answerClient(id, true, false));
    else if (btn.classList.contains('allow-always')) void run(btn, () => api.answerClient(id, true, true));
    else if (btn.classList.contains('refuse')) void run(btn, () => api.answerClient(id, false, false));
  };
  byId('clients').addEventListener('click', answer);
  byId('approval-prompts').addEventListener('click', answer);
  byId('remembered-web-pages').addEventListener('click', (e) => {
    const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button.forget-web-page');
    const item = btn?.closest<HTMLElement>('li[data-origin]');
    if (!btn || !item) return;
    change(btn, () => api.forgetWebPage(item.dataset.origin ?? ''));
  });
  byId('client-access').addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    const row = input.closest<HTMLElement>('tr[data-client-name]');
    if (!row) return;
    const name = row.dataset.clientName ?? '';
    if (input.classList.contains('all-devices')) {
      // Unticked: start from every device, so nothing disappears until the user unticks one.
      const all = (snapshot()?.devices ?? []).map((d) => d.address);
      change(input, () => api.setClientDeviceAccess(name, input.checked ? null : all));
    } else if (input.classList.contains('device-access')) {
      const chosen = Array.from(row.querySelectorAll<HTMLInputElement>('input.device-access:checked')).map(
        (box) => box.dataset.address ?? '',
      );
      change(input, () => api.setClientDeviceAccess(name, chosen));
    }
  });
  byId('approved-clients').addEventListener('click', (e) => {
    const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button.forget-approval');
    const item = btn?.closest<HTMLElement>('li');
    if (!btn || !item) return;
    const origin = item.dataset.origin === undefined ? null : item.dataset.origin;
    change(btn, () => api.forgetApprovedClient(item.dataset.address ?? '', origin));
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
    h(
      'td',
      { class: 'actions' },
      h(
        'div',
        { class: 'action-buttons' },
        h('button', { type: 'button', class: 'allow primary', text: 'Allow' }),
        h('button', { type: 'button', class: 'allow-always', text: 'Always allow' }),
        h('button', { type: 'button', class: 'refuse danger-outline', text: 'Refuse' }),
        h('button', { type: 'button', class: 'disconnect', text: 'Disconnect' }),
      ),
    ),
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
  row.classList.toggle('waiting', c.awaitingApproval);
  const who = c.name ?? c.address;
  const answers: [string, string][] = [
    ['allow', `Allow ${who} this time`],
    ['allow-always', alwaysAllowLabel(c)],
    ['refuse', `Refuse ${who}`],
  ];
  for (const [cls, label] of answers) {
    const btn = row.querySelector(`button.${cls}`) as HTMLButtonElement;
    btn.hidden = !c.awaitingApproval;
    btn.setAttribute('aria-label', label);
  }
  const btn = row.querySelector('button.disconnect') as HTMLButtonElement;
  btn.hidden = c.awaitingApproval;
  btn.setAttribute('aria-label', `Disconnect ${who}`);
}

/** What "Always allow" remembers: a web page by its Origin, an app from another computer by its address. */
function alwaysAllowLabel(c: ClientView): string {
  return c.origin ? `Always allow the web page ${c.origin}` : `Always allow apps from ${c.address}`;
}

/** The question the window asks about a waiting client. */
export function approvalQuestion(c: ClientView): string {
  if (c.origin) return `${c.origin} wants to use your devices`;
  return `${c.name ?? 'An app'} on another computer or phone (${c.address}) wants to use your devices`;
}

function createPrompt(): HTMLLIElement {
  return h(
    'li',
    { class: 'approval-prompt' },
    h('span', { class: 'question' }),
    ' ',
    h(
      'span',
      { class: 'action-buttons' },
      h('button', { type: 'button', class: 'allow primary', text: 'Allow' }),
      h('button', { type: 'button', class: 'allow-always', text: 'Always allow' }),
      h('button', { type: 'button', class: 'refuse danger-outline', text: 'Refuse' }),
    ),
  );
}

function updatePrompt(item: HTMLLIElement, c: ClientView): void {
  setText(item.querySelector('.question') as HTMLElement, approvalQuestion(c));
  const who = c.origin ?? c.name ?? c.address;
  (item.querySelector('button.allow') as HTMLElement).setAttribute('aria-label', `Allow ${who} this time`);
  (item.querySelector('button.allow-always') as HTMLElement).setAttribute('aria-label', alwaysAllowLabel(c));
  (item.querySelector('button.refuse') as HTMLElement).setAttribute('aria-label', `Refuse ${who}`);
}

function createWebPage(): HTMLLIElement {
  return h(
    'li',
    {},
    h('span', { class: 'what mono' }),
    ' ',
    h('button', { type: 'button', class: 'forget-web-page', text: 'Forget' }),
  );
}

function updateWebPage(item: HTMLLIElement, origin: string): void {
  setText(item.querySelector('.what') as HTMLElement, origin);
  item.querySelector('button')?.setAttribute('aria-label', `Forget the web page ${origin}`);
}

/** A row of the device access table: one app name. */
interface AccessRow {
  name: string;
  /** null: every device */
  allowed: string[] | null;
}

function accessRows(s: Snapshot): AccessRow[] {
  const rules = s.settings.clientDeviceAccess ?? {};
  const names = new Set(Object.keys(rules));
  for (const c of s.clients) if (c.name) names.add(c.name);
  return Array.from(names)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => ({ name, allowed: rules[name] ?? null }));
}

function createAccessRow(): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('th', { scope: 'row', class: 'name' }),
    h('td', { class: 'all' }, h('input', { type: 'checkbox', class: 'all-devices' })),
    h('td', { class: 'devices' }),
  );
}

function deviceLabel(d: DeviceView): string {
  const name = d.displayName ?? d.name;
  return d.index === null ? `${name} (not connected)` : `${name} (#${d.index})`;
}

function updateAccessRow(row: HTMLTableRowElement, r: AccessRow, devices: DeviceView[]): void {
  const nameCell = row.querySelector('.name') as HTMLElement;
  setText(nameCell, r.name);
  const all = row.querySelector('input.all-devices') as HTMLInputElement;
  setChecked(all, r.allowed === null);
  all.setAttribute('aria-label', `${r.name} may use every device`);
  const list = cell(row, 'devices');
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

function approvedKey(a: ApprovedClient): string {
  return `${a.address} ${a.origin ?? ''}`;
}

function createApproved(a: ApprovedClient): HTMLLIElement {
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

function updateApproved(item: HTMLLIElement, a: ApprovedClient): void {
  const what = a.origin ? `${a.address}, web page ${a.origin}` : `${a.address} (an app, not a web page)`;
  setText(item.querySelector('.what') as HTMLElement, what);
  item.querySelector('button')?.setAttribute('aria-label', `Forget ${what}`);
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
  const waiting = s.clients.filter((c) => c.awaitingApproval);
  byId('clients-waiting').hidden = waiting.length === 0;
  reconcile(byId('approval-prompts'), waiting, (c) => String(c.id), 'data-client-id', createPrompt, updatePrompt);

  const rows = accessRows(s);
  const accessBody = byId('client-access').querySelector('tbody') as HTMLTableSectionElement;
  reconcile(accessBody, rows, (r) => r.name, 'data-client-name', createAccessRow, (row, r) =>
    updateAccessRow(row, r, s.devices),
  );
  byId('client-access-empty').hidden = rows.length > 0;

  const pages = s.settings.rememberedWebPages ?? [];
  byId('web-pages-section').hidden = pages.length === 0;
  reconcile(byId('remembered-web-pages'), pages, (o) => o, 'data-origin', createWebPage, updateWebPage);

  const approved = s.settings.approvedClients ?? [];
  byId('approved-section').hidden = approved.length === 0;
  reconcile(byId('approved-clients'), approved, approvedKey, 'data-key', createApproved, updateApproved);
}

/** Relative times move on by themselves; refresh only those cells (no call to the shell). */
export function tick(): void {
  const now = Date.now();
  for (const td of document.querySelectorAll<HTMLElement>('#clients td.since[data-since]')) {
    setText(td, formatRelativeTime(td.dataset.since ?? '', now));
  }
}
