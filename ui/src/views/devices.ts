// Devices view: scanning, every connected and known device, live outputs and per-device settings.
import { api } from '../api';
import { byId, h, notify, reconcile, run, setChecked, setText } from '../dom';
import { formatBattery } from '../format';
import type { DeviceView, OutputView, Snapshot } from '../models';
import { snapshot } from '../store';

/** Addresses whose name is being edited (a form draft, not device state). */
const renaming = new Set<string>();

export function mount(root: HTMLElement): void {
  root.innerHTML = `
    <h1 id="h-devices">Devices</h1>
    <div class="panel scan">
      <button id="scan-toggle" type="button" class="primary">Start scanning</button>
      <div id="scan-progress" class="scan-progress" role="status" hidden>
        <progress aria-label="Looking for devices"></progress>
        <span>Looking for devices… Turn your device on and keep it close.</span>
      </div>
      <p id="scan-idle" class="muted"></p>
    </div>
    <div id="allow-banner" class="panel info" hidden>
      Only devices marked <strong>Allow</strong> will connect. Others are ignored.
    </div>
    <div class="table-wrap">
      <table id="devices">
        <caption class="sr-only">Connected and known devices</caption>
        <thead>
          <tr>
            <th scope="col">Index</th>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Protocol</th>
            <th scope="col">Connection</th>
            <th scope="col">Address</th>
            <th scope="col">Battery</th>
            <th scope="col">Outputs and limits</th>
            <th scope="col"><span class="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody></tbody>
      </table>
    </div>
    <p id="devices-empty" class="empty" hidden>
      No devices yet. Turn on your device and press <strong>Start scanning</strong>.
      No toy at hand? Add a virtual one under Hardware.
    </p>
  `;

  const scan = byId<HTMLButtonElement>('scan-toggle');
  scan.addEventListener('click', () => {
    const on = !(snapshot()?.hardware.scanning ?? false);
    void run(scan, () => api.setScanning(on));
  });

  const table = byId('devices');
  table.addEventListener('click', (e) => {
    const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button');
    const row = btn?.closest<HTMLElement>('tr[data-device-address]');
    if (!btn || !row) return;
    const address = row.dataset.deviceAddress ?? '';
    const d = snapshot()?.devices.find((x) => x.address === address);
    if (!d) return;
    if (btn.classList.contains('allow')) {
      const allow = !d.allowed;
      void run(btn, () => api.setDeviceAccess(address, allow, allow ? false : d.denied));
    } else if (btn.classList.contains('deny')) {
      const deny = !d.denied;
      void run(btn, () => api.setDeviceAccess(address, deny ? false : d.allowed, deny));
    } else if (btn.classList.contains('rename')) {
      if (renaming.has(address)) void saveName(row, address);
      else {
        renaming.add(address);
        updateName(row, d);
      }
    } else if (btn.classList.contains('rename-cancel')) {
      renaming.delete(address);
      updateName(row, d);
    } else if (btn.classList.contains('forget')) {
      renaming.delete(address);
      void run(btn, async () => {
        await api.forgetDevice(address);
        notify(`Forgot ${d.displayName ?? d.name}.`);
      });
    }
  });

  table.addEventListener('keydown', (e) => {
    const input = e.target as HTMLElement;
    if (!input.classList.contains('rename-input')) return;
    const row = input.closest<HTMLElement>('tr[data-device-address]');
    if (!row) return;
    const address = row.dataset.deviceAddress ?? '';
    if (e.key === 'Enter') {
      e.preventDefault();
      void saveName(row, address);
    } else if (e.key === 'Escape') {
      renaming.delete(address);
      const d = snapshot()?.devices.find((x) => x.address === address);
      if (d) updateName(row, d);
    }
  });

  // Limits: a draft while typing, committed on change. The "Off" box commits right away.
  table.addEventListener('input', (e) => {
    const el = e.target as HTMLInputElement;
    if (el.classList.contains('limit-min') || el.classList.contains('limit-max')) el.dataset.draft = '1';
  });
  table.addEventListener('change', (e) => {
    const el = e.target as HTMLInputElement;
    if (
      el.classList.contains('limit-min') ||
      el.classList.contains('limit-max') ||
      el.classList.contains('output-disabled')
    ) {
      void commitLimit(el);
    }
  });
}

async function saveName(row: HTMLElement, address: string): Promise<void> {
  const input = row.querySelector<HTMLInputElement>('input.rename-input');
  const btn = row.querySelector<HTMLButtonElement>('button.rename');
  const value = input?.value.trim() ?? '';
  const ok = await run(btn, async () => {
    await api.renameDevice(address, value === '' ? null : value);
    return true;
  });
  if (ok) {
    renaming.delete(address);
    const d = snapshot()?.devices.find((x) => x.address === address);
    if (d) updateName(row, d);
  }
}

async function commitLimit(el: HTMLInputElement): Promise<void> {
  const item = el.closest<HTMLElement>('.output-item');
  const row = el.closest<HTMLElement>('tr[data-device-address]');
  if (!item || !row) return;
  const address = row.dataset.deviceAddress ?? '';
  const featureIndex = Number(item.dataset.feature);
  const kind = item.dataset.kind ?? '';
  const out = snapshot()
    ?.devices.find((d) => d.address === address)
    ?.outputs.find((o) => o.featureIndex === featureIndex && o.kind === kind);
  if (!out) return;
  const minEl = item.querySelector('input.limit-min') as HTMLInputElement;
  const maxEl = item.querySelector('input.limit-max') as HTMLInputElement;
  const offEl = item.querySelector('input.output-disabled') as HTMLInputElement;
  const lo = Number(minEl.value);
  const hi = Number(maxEl.value);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < out.min || hi > out.max || lo > hi) {
    notify(`Limits must be whole numbers from ${out.min} to ${out.max}, lowest first.`, 'error');
    return;
  }
  const limit: [number, number] | null = lo === out.min && hi === out.max ? null : [lo, hi];
  const ok = await run(null, async () => {
    await api.setOutputLimit(address, featureIndex, kind, limit, offEl.checked);
    return true;
  });
  if (ok) {
    delete minEl.dataset.draft;
    delete maxEl.dataset.draft;
  }
}

function sortDevices(devices: readonly DeviceView[]): DeviceView[] {
  return devices.slice().sort((a, b) => {
    if (a.connected !== b.connected) return a.connected ? -1 : 1;
    if (a.index !== null && b.index !== null && a.index !== b.index) return a.index - b.index;
    return (a.displayName ?? a.name).localeCompare(b.displayName ?? b.name);
  });
}

function createRow(): HTMLTableRowElement {
  return h(
    'tr',
    {},
    h('td', { class: 'index num' }),
    h('td', { class: 'name' }),
    h('td', { class: 'status' }),
    h('td', { class: 'protocol' }),
    h('td', { class: 'transport' }),
    h('td', { class: 'address mono' }),
    h('td', { class: 'battery num' }),
    h('td', { class: 'outputs' }),
    h(
      'td',
      { class: 'actions' },
      h('button', { type: 'button', class: 'allow', 'aria-pressed': 'false', text: 'Allow' }),
      h('button', { type: 'button', class: 'deny', 'aria-pressed': 'false', text: 'Block' }),
      h('button', { type: 'button', class: 'rename', text: 'Rename' }),
      h('button', { type: 'button', class: 'forget', text: 'Forget' }),
    ),
  );
}

function cell(row: HTMLElement, cls: string): HTMLElement {
  return row.querySelector(`td.${cls}`) as HTMLElement;
}

function updateName(row: HTMLElement, d: DeviceView): void {
  const td = cell(row, 'name');
  const btn = row.querySelector('button.rename') as HTMLButtonElement;
  const label = d.displayName ?? d.name;
  if (renaming.has(d.address)) {
    if (!td.querySelector('input.rename-input')) {
      const input = h('input', {
        type: 'text',
        class: 'rename-input',
        'aria-label': `New name for ${label}`,
        placeholder: d.name,
        maxlength: 64,
      });
      input.value = d.displayName ?? '';
      td.replaceChildren(
        input,
        h('button', { type: 'button', class: 'rename-cancel link', text: 'Cancel' }),
        h('span', { class: 'hint', text: 'Leave empty to use the original name.' }),
      );
      input.focus();
    }
    setText(btn, 'Save name');
  } else {
    if (td.querySelector('input.rename-input') || td.textContent !== label) td.textContent = label;
    td.title = d.displayName ? `Original name: ${d.name}` : '';
    setText(btn, 'Rename');
  }
}

function createOutput(o: OutputView): HTMLElement {
  const id = `${o.kind} ${o.featureIndex}`;
  return h(
    'div',
    { class: 'output-item', 'data-feature': o.featureIndex, 'data-kind': o.kind },
    h('span', { class: 'output-kind', text: id }),
    h('span', { class: 'output', 'data-feature': o.featureIndex, 'data-kind': o.kind }, '', h('meter', { 'aria-label': `${id} level` })),
    h(
      'span',
      { class: 'limits' },
      h('label', {}, 'Limit ', h('input', { type: 'number', class: 'limit-min', step: 1, 'aria-label': `${id} lowest` })),
      h('label', {}, ' to ', h('input', { type: 'number', class: 'limit-max', step: 1, 'aria-label': `${id} highest` })),
      h('label', { class: 'off' }, h('input', { type: 'checkbox', class: 'output-disabled' }), ' Off'),
    ),
  );
}

function updateOutput(item: HTMLElement, o: OutputView): void {
  const out = item.querySelector('.output') as HTMLElement;
  const text = out.firstChild as Text;
  const v = String(o.value);
  if (text.data !== v) text.data = v;
  const meter = out.querySelector('meter') as HTMLMeterElement;
  const lo = o.limit ? o.limit[0] : o.min;
  const hi = o.limit ? o.limit[1] : o.max;
  meter.min = o.min;
  meter.max = o.max;
  meter.value = o.value;
  item.classList.toggle('is-off', o.disabled);
  for (const [cls, val] of [
    ['limit-min', lo],
    ['limit-max', hi],
  ] as const) {
    const input = item.querySelector(`input.${cls}`) as HTMLInputElement;
    input.min = String(o.min);
    input.max = String(o.max);
    if (document.activeElement !== input && input.dataset.draft !== '1' && input.value !== String(val)) {
      input.value = String(val);
    }
  }
  setChecked(item.querySelector('input.output-disabled') as HTMLInputElement, o.disabled);
}

function updateRow(row: HTMLTableRowElement, d: DeviceView): void {
  row.classList.toggle('disconnected', !d.connected);
  setText(cell(row, 'index'), d.index === null ? '—' : String(d.index));
  updateName(row, d);
  const status = cell(row, 'status');
  setText(status, d.connected ? 'Connected' : 'Not connected');
  status.dataset.connected = String(d.connected);
  setText(cell(row, 'protocol'), d.protocol);
  setText(cell(row, 'transport'), d.transport);
  setText(cell(row, 'address'), d.address);
  const bat = cell(row, 'battery');
  setText(bat, formatBattery(d.battery));
  bat.classList.toggle('low', d.battery !== null && d.battery <= 15);

  const outs = cell(row, 'outputs');
  reconcile(outs, d.outputs, (o) => `${o.featureIndex}:${o.kind}`, 'data-key', createOutput, updateOutput);

  const allow = row.querySelector('button.allow') as HTMLButtonElement;
  allow.setAttribute('aria-pressed', String(d.allowed));
  setText(allow, d.allowed ? 'Allowed' : 'Allow');
  allow.title = d.allowed
    ? 'Click to stop allowing only this device'
    : 'Only devices marked Allow will connect';
  const deny = row.querySelector('button.deny') as HTMLButtonElement;
  deny.setAttribute('aria-pressed', String(d.denied));
  setText(deny, d.denied ? 'Blocked' : 'Block');
  deny.title = d.denied ? 'Click to let this device connect again' : 'Never connect to this device';
  const forget = row.querySelector('button.forget') as HTMLButtonElement;
  forget.title = 'Remove this device and its settings (name, limits, allow/block)';
}

export function render(s: Snapshot): void {
  const scanning = s.hardware.scanning;
  setText(byId('scan-toggle'), scanning ? 'Stop scanning' : 'Start scanning');
  byId('scan-toggle').setAttribute('aria-pressed', String(scanning));
  byId('scan-progress').hidden = !scanning;
  const idle = byId('scan-idle');
  idle.hidden = scanning;
  setText(idle, 'Not scanning. Known devices reconnect by themselves when they are turned on.');

  byId('allow-banner').hidden = !s.devices.some((d) => d.allowed);
  const body = byId('devices').querySelector('tbody') as HTMLTableSectionElement;
  // Drop rename drafts of devices that are gone.
  for (const a of renaming) if (!s.devices.some((d) => d.address === a)) renaming.delete(a);
  reconcile(body, sortDevices(s.devices), (d) => d.address, 'data-device-address', createRow, updateRow);
  byId('devices-empty').hidden = s.devices.length > 0;
}
