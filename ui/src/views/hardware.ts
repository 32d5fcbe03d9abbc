// Hardware view: Bluetooth and serial status, the device websocket server, virtual devices.
import { api } from '../api';
import { byId, h, notify, reconcile, run, setChecked, setText, setValue } from '../dom';
import { transportLabel, validatePort } from '../format';
import { VIRTUAL_KINDS, type DeviceView, type Snapshot, type TransportView, type VirtualKind } from '../models';
import { saveSetting } from './server';

const KIND_LABELS: Record<VirtualKind, string> = {
  vibrator: 'Vibrator',
  'dual-vibrator': 'Vibrator with two motors',
  rotator: 'Rotator',
  stroker: 'Stroker (moves up and down)',
  'lovense-max': 'Lovense Max (vibrates and squeezes)',
  sampler: 'Sampler (six outputs of every kind, to try everything)',
};

export function mount(root: HTMLElement): void {
  root.innerHTML = `
    <h1 id="h-hardware">Hardware</h1>

    <h2>Bluetooth</h2>
    <div class="panel">
      <div id="hw-ble" class="hw-status" aria-live="polite"></div>
      <div class="field check">
        <input id="setting-use-ble" type="checkbox" />
        <label for="setting-use-ble">Use Bluetooth devices</label>
      </div>
    </div>

    <h2>Serial ports (USB)</h2>
    <div class="panel">
      <div id="hw-serial" class="hw-status" aria-live="polite"></div>
      <div class="field check">
        <input id="setting-use-serial" type="checkbox" />
        <label for="setting-use-serial">Use serial devices (for example strokers over USB)</label>
      </div>
      <div class="table-wrap">
        <table id="serial-ports">
          <caption class="sr-only">Serial ports on this computer</caption>
          <thead><tr><th scope="col">Port</th><th scope="col">Description</th><th scope="col">Used for</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
      <p id="serial-empty" class="empty" hidden>No serial ports found on this computer.</p>
    </div>

    <h2>Device websocket server</h2>
    <div class="panel">
      <p class="hint">For devices and bridges that connect to Plugboard over the network instead of Bluetooth or USB.</p>
      <div class="field check">
        <input id="device-ws-toggle" type="checkbox" role="switch" />
        <label for="device-ws-toggle">Accept devices over websocket</label>
      </div>
      <div class="field">
        <label for="device-ws-port">Port</label>
        <input id="device-ws-port" type="number" min="1024" max="65535" step="1" inputmode="numeric" />
        <p class="field-error" id="device-ws-port-error" hidden></p>
      </div>
      <p id="device-ws-state" class="muted" aria-live="polite"></p>
    </div>

    <h2>Virtual devices</h2>
    <div class="panel">
      <p class="hint">No toy at hand? Add a virtual device to try a game. It shows up like a real one.</p>
      <form id="virtual-form" class="inline-form">
        <label for="virtual-kind">Type</label>
        <select id="virtual-kind"></select>
        <label for="virtual-name">Name (optional)</label>
        <input id="virtual-name" type="text" maxlength="64" autocomplete="off" placeholder="e.g. Test toy" />
        <button id="add-virtual" type="submit" class="primary">Add virtual device</button>
      </form>
      <ul id="virtual-devices" class="plain-list"></ul>
      <p id="virtual-empty" class="muted">No virtual devices.</p>
    </div>

    <h2>All connections</h2>
    <ul id="transports" class="plain-list"></ul>
  `;

  const kind = byId<HTMLSelectElement>('virtual-kind');
  for (const k of VIRTUAL_KINDS) kind.append(h('option', { value: k, text: KIND_LABELS[k] }));

  byId('virtual-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const nameEl = byId<HTMLInputElement>('virtual-name');
    const name = nameEl.value.trim();
    const k = kind.value as VirtualKind;
    void run(byId<HTMLButtonElement>('add-virtual'), async () => {
      const index = await api.addVirtualDevice(k, name === '' ? null : name);
      nameEl.value = '';
      notify(`Added ${name || KIND_LABELS[k]} as device ${index}.`);
    });
  });

  byId('virtual-devices').addEventListener('click', (e) => {
    const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button.remove-virtual');
    const index = btn?.dataset.index;
    if (!btn || index === undefined || index === '') return;
    void run(btn, () => api.removeVirtualDevice(Number(index)));
  });

  const ble = byId<HTMLInputElement>('setting-use-ble');
  ble.addEventListener('change', () => void run(ble, () => saveSetting({ useBluetoothLe: ble.checked })));
  const serial = byId<HTMLInputElement>('setting-use-serial');
  serial.addEventListener('change', () => void run(serial, () => saveSetting({ useSerial: serial.checked })));
  const ws = byId<HTMLInputElement>('device-ws-toggle');
  ws.addEventListener('change', () =>
    void run(ws, () => saveSetting({ useDeviceWebsocketServer: ws.checked })),
  );
  const wsPort = byId<HTMLInputElement>('device-ws-port');
  wsPort.addEventListener('input', () => (wsPort.dataset.draft = '1'));
  wsPort.addEventListener('change', () => {
    const err = validatePort(wsPort.value);
    const errEl = byId('device-ws-port-error');
    errEl.hidden = err === null;
    setText(errEl, err ?? '');
    if (err) return;
    void run(null, async () => {
      await saveSetting({ deviceWebsocketPort: Number(wsPort.value) });
      delete wsPort.dataset.draft;
    });
  });
}

function findTransport(s: Snapshot, names: string[]): TransportView | undefined {
  return s.hardware.transports.find((t) => names.includes(t.name.toLowerCase()));
}

function renderStatus(el: HTMLElement, label: string, t: TransportView | undefined): void {
  let state: string;
  let kind: string;
  if (!t) {
    state = `${label}: not available in this build.`;
    kind = 'off';
  } else if (!t.enabled) {
    state = `${label}: turned off.`;
    kind = 'off';
  } else if (t.ready) {
    state = `${label}: ready.`;
    kind = 'ok';
  } else {
    state = `${label}: not available.`;
    kind = 'problem';
  }
  const children = [h('p', { class: 'hw-state', text: state })];
  if (t?.reason) children.push(h('p', { class: 'reason', text: t.reason }));
  if (t?.remedy) children.push(h('p', { class: 'remedy' }, h('strong', {}, 'What to do: '), t.remedy));
  const key = JSON.stringify([state, t?.reason, t?.remedy]);
  if (el.dataset.key !== key) {
    el.dataset.key = key;
    el.dataset.state = kind;
    el.replaceChildren(...children);
  }
}

export function render(s: Snapshot): void {
  renderStatus(byId('hw-ble'), 'Bluetooth', findTransport(s, ['ble', 'bluetooth', 'bluetoothle', 'btle']));
  renderStatus(byId('hw-serial'), 'Serial ports', findTransport(s, ['serial']));
  setChecked(byId<HTMLInputElement>('setting-use-ble'), s.settings.useBluetoothLe);
  setChecked(byId<HTMLInputElement>('setting-use-serial'), s.settings.useSerial);

  const body = byId('serial-ports').querySelector('tbody') as HTMLTableSectionElement;
  reconcile(
    body,
    s.hardware.serialPorts,
    (p) => p.path,
    'data-path',
    () => h('tr', {}, h('td', { class: 'path mono' }), h('td', { class: 'description' }), h('td', { class: 'bound' })),
    (row, p) => {
      setText(row.querySelector('.path') as HTMLElement, p.path);
      setText(row.querySelector('.description') as HTMLElement, p.description || '—');
      setText(row.querySelector('.bound') as HTMLElement, p.boundProtocol ?? 'Nothing');
    },
  );
  byId('serial-empty').hidden = s.hardware.serialPorts.length > 0;

  const ws = s.hardware.deviceWebsocket;
  setChecked(byId<HTMLInputElement>('device-ws-toggle'), s.settings.useDeviceWebsocketServer);
  setValue(byId<HTMLInputElement>('device-ws-port'), String(s.settings.deviceWebsocketPort));
  setText(
    byId('device-ws-state'),
    ws.enabled ? `Listening for devices on port ${ws.port}.` : 'Not listening for devices.',
  );

  const virtual = s.devices.filter((d) => d.transport === 'virtual');
  reconcile(
    byId('virtual-devices'),
    virtual,
    (d) => d.address,
    'data-device-address',
    (d: DeviceView) =>
      h(
        'li',
        {},
        h('span', { class: 'virtual-label' }),
        ' ',
        h('button', { type: 'button', class: 'remove-virtual', text: 'Remove', 'aria-label': `Remove ${d.displayName ?? d.name}` }),
      ),
    (li, d) => {
      const label = `${d.displayName ?? d.name} (${d.index === null ? 'not connected' : `device ${d.index}`})`;
      setText(li.querySelector('.virtual-label') as HTMLElement, label);
      const btn = li.querySelector('button.remove-virtual') as HTMLButtonElement;
      btn.dataset.index = d.index === null ? '' : String(d.index);
      btn.disabled = d.index === null;
    },
  );
  byId('virtual-empty').hidden = virtual.length > 0;

  reconcile(
    byId('transports'),
    s.hardware.transports,
    (t) => t.name,
    'data-transport',
    () => h('li', {}),
    (li, t) => {
      const state = !t.enabled ? 'turned off' : t.ready ? 'ready' : `not available${t.reason ? ` — ${t.reason}` : ''}`;
      setText(li, `${transportLabel(t.name)}: ${state}`);
      li.dataset.state = !t.enabled ? 'off' : t.ready ? 'ok' : 'problem';
    },
  );
}

/** True when some enabled transport has a problem (for the nav badge). */
export function hasProblem(s: Snapshot): boolean {
  return s.hardware.transports.some((t) => t.enabled && !t.ready);
}
