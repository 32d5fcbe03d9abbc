// Devices view: scanning, and every connected and known device as a card: its name, status,
// battery, each output with a control that drives it live (the window is a client of the engine,
// like a game), what can be read, the limits, and allow, block, rename and forget.
import { api } from '../api';
import { byId, h, notify, reconcile, run, setChecked, setText, setValue } from '../dom';
import { formatBattery, outputLabel, ownerText, transportLabel } from '../format';
import type { DeviceView, InputView, OutputView, Snapshot } from '../models';
import { snapshot } from '../store';
import { liveSender } from '../live';
import { saveSetting } from './server';

/** Addresses whose name is being edited (a form draft, not device state). */
const renaming = new Set<string>();

/** How long a stroker's move takes unless the user says otherwise, in milliseconds. */
const DEFAULT_MOVE_MS = 500;

/** Level changes from the sliders: at most one command in flight per output, the latest wins. */
const levels = liveSender((key: string, value: number, durationMs: number | null) => {
  const [index, featureIndex, kind] = key.split(':');
  return api.setOutput(Number(index), Number(featureIndex), kind ?? '', value, durationMs);
});

/**
 * New toys without a new Plugboard: the device database is downloaded again (from the
 * reference's published file unless the user names another address), checked, and used from
 * the server's next start. A failure keeps the database in use; the status line says why.
 */
const DEVICE_DATABASE_PANEL = `
    <h2>Device database</h2>
    <div class="panel" id="device-database">
      <p class="hint">Plugboard recognises toys by its device database. Newer toys come with newer databases, without a new Plugboard.</p>
      <div class="field">
        <label for="setting-device-database-url">Download from (empty: the Buttplug project's device database)</label>
        <input id="setting-device-database-url" type="url" autocomplete="off" spellcheck="false" placeholder="https://…" />
      </div>
      <button id="check-device-updates" type="button">Check for device updates</button>
      <p id="device-update-status" role="status" aria-live="polite" hidden></p>
    </div>`;

function mountDeviceDatabase(): void {
  const url = byId<HTMLInputElement>('setting-device-database-url');
  url.addEventListener('input', () => (url.dataset.draft = '1'));
  url.addEventListener('change', () => {
    void run(null, async () => {
      await saveSetting({ deviceDatabaseUrl: url.value.trim() });
      delete url.dataset.draft;
    });
  });
  const check = byId<HTMLButtonElement>('check-device-updates');
  const status = byId('device-update-status');
  check.addEventListener('click', () => {
    status.hidden = false;
    status.dataset.state = 'busy';
    setText(status, 'Downloading the device database…');
    void run(
      check,
      async () => {
        // A URL typed but not yet saved is saved first, so the check uses what is on screen.
        if (url.dataset.draft === '1') {
          await saveSetting({ deviceDatabaseUrl: url.value.trim() });
          delete url.dataset.draft;
        }
        const result = await api.checkDeviceUpdates();
        status.dataset.state = 'ok';
        setText(status, result.message);
      },
      (message) => {
        status.dataset.state = 'problem';
        setText(status, message);
      },
    );
  });
}

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
    <p class="hint" id="try-hint">
      Try a device with its controls: they drive it right away, as a game would. A game that sends
      a command takes the output over; STOP ALL stops everything, and hiding the window stops what the window runs.
    </p>
    <div id="devices" class="card-list" role="list" aria-label="Connected and known devices"></div>
    <p id="devices-empty" class="empty" hidden>
      No devices yet. Turn on your device and press <strong>Start scanning</strong>.
      No toy at hand? Add a virtual one under Hardware.
    </p>
    ${DEVICE_DATABASE_PANEL}
  `;
  mountDeviceDatabase();

  const scan = byId<HTMLButtonElement>('scan-toggle');
  scan.addEventListener('click', () => {
    const on = !(snapshot()?.hardware.scanning ?? false);
    void run(scan, () => api.setScanning(on));
  });

  const list = byId('devices');
  list.addEventListener('click', (e) => {
    const btn = (e.target as HTMLElement).closest<HTMLButtonElement>('button');
    const card = btn?.closest<HTMLElement>('[data-device-address]');
    if (!btn || !card) return;
    const address = card.dataset.deviceAddress ?? '';
    const d = snapshot()?.devices.find((x) => x.address === address);
    if (!d) return;
    if (btn.classList.contains('allow')) {
      const allow = !d.allowed;
      void run(btn, () => api.setDeviceAccess(address, allow, allow ? false : d.denied));
    } else if (btn.classList.contains('deny')) {
      const deny = !d.denied;
      void run(btn, () => api.setDeviceAccess(address, deny ? false : d.allowed, deny));
    } else if (btn.classList.contains('rename')) {
      if (renaming.has(address)) void saveName(card, address);
      else {
        renaming.add(address);
        updateName(card, d);
      }
    } else if (btn.classList.contains('rename-cancel')) {
      renaming.delete(address);
      updateName(card, d);
    } else if (btn.classList.contains('forget')) {
      renaming.delete(address);
      void run(btn, async () => {
        await api.forgetDevice(address);
        notify(`Forgot ${d.displayName ?? d.name}.`);
      });
    } else if (btn.classList.contains('read-input')) {
      void readInput(btn, d);
    } else if (btn.classList.contains('try-stop')) {
      const item = btn.closest<HTMLElement>('.output-item');
      if (item && d.index !== null) sendLevel(item, d.index, 0);
    }
  });

  list.addEventListener('keydown', (e) => {
    const input = e.target as HTMLElement;
    if (!input.classList.contains('rename-input')) return;
    const card = input.closest<HTMLElement>('[data-device-address]');
    if (!card) return;
    const address = card.dataset.deviceAddress ?? '';
    if (e.key === 'Enter') {
      e.preventDefault();
      void saveName(card, address);
    } else if (e.key === 'Escape') {
      renaming.delete(address);
      const d = snapshot()?.devices.find((x) => x.address === address);
      if (d) updateName(card, d);
    }
  });

  // A slider drives its output while it moves (a stroker's position when it is let go, as
  // each move takes time). Limits: a draft while typing, committed on change; "Off" at once.
  list.addEventListener('input', (e) => {
    const el = e.target as HTMLInputElement;
    if (el.classList.contains('limit-min') || el.classList.contains('limit-max')) el.dataset.draft = '1';
    if (el.classList.contains('try-level')) {
      el.dataset.draft = '1';
      driveFrom(el);
    }
    if (el.classList.contains('try-position')) el.dataset.draft = '1';
  });
  list.addEventListener('change', (e) => {
    const el = e.target as HTMLInputElement;
    if (
      el.classList.contains('limit-min') ||
      el.classList.contains('limit-max') ||
      el.classList.contains('output-disabled')
    ) {
      void commitLimit(el);
    } else if (el.classList.contains('try-level') || el.classList.contains('try-position')) {
      driveFrom(el);
      delete el.dataset.draft;
    }
  });
}

/** Sends the value of a control to its output. */
function driveFrom(control: HTMLInputElement): void {
  const item = control.closest<HTMLElement>('.output-item');
  const card = control.closest<HTMLElement>('[data-device-address]');
  const index = card?.dataset.deviceIndex;
  if (!item || index === undefined || index === '') return;
  sendLevel(item, Number(index), Number(control.value));
}

function sendLevel(item: HTMLElement, index: number, value: number): void {
  const kind = item.dataset.kind ?? '';
  const duration = item.querySelector<HTMLInputElement>('input.try-duration');
  const durationMs = duration ? Math.max(0, Math.round(Number(duration.value) || DEFAULT_MOVE_MS)) : null;
  const key = `${index}:${item.dataset.feature}:${kind}`;
  levels.send(key, value, durationMs).catch(() => {
    // The failure is shown by the sender; the control goes back to the device's real level.
    for (const control of item.querySelectorAll<HTMLInputElement>('input.try-level, input.try-position')) {
      delete control.dataset.draft;
    }
  });
}

async function readInput(btn: HTMLButtonElement, d: DeviceView): Promise<void> {
  const out = btn.parentElement?.querySelector('output.reading');
  if (d.index === null || !out) return;
  const index = d.index;
  const featureIndex = Number(btn.dataset.feature);
  const kind = btn.dataset.kind ?? '';
  await run(btn, async () => {
    const reading = await api.readInput(index, featureIndex, kind);
    out.textContent = reading.text;
  });
}

async function saveName(card: HTMLElement, address: string): Promise<void> {
  const input = card.querySelector<HTMLInputElement>('input.rename-input');
  const btn = card.querySelector<HTMLButtonElement>('button.rename');
  const value = input?.value.trim() ?? '';
  const ok = await run(btn, async () => {
    await api.renameDevice(address, value === '' ? null : value);
    return true;
  });
  if (ok) {
    renaming.delete(address);
    const d = snapshot()?.devices.find((x) => x.address === address);
    if (d) updateName(card, d);
  }
}

async function commitLimit(el: HTMLInputElement): Promise<void> {
  const item = el.closest<HTMLElement>('.output-item');
  const card = el.closest<HTMLElement>('[data-device-address]');
  if (!item || !card) return;
  const address = card.dataset.deviceAddress ?? '';
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

function createCard(): HTMLElement {
  return h(
    'article',
    { class: 'card device-card', role: 'listitem' },
    h(
      'header',
      { class: 'card-head' },
      h('h2', { class: 'name' }),
      h('span', { class: 'status' }),
      h('span', { class: 'battery', title: 'Battery' }),
    ),
    h(
      'p',
      { class: 'meta muted' },
      h('span', { class: 'index' }),
      h('span', { class: 'transport' }),
      h('span', { class: 'protocol' }),
      h('span', { class: 'address mono' }),
    ),
    h('div', { class: 'outputs' }),
    h('div', { class: 'inputs' }),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'button', class: 'allow', 'aria-pressed': 'false', text: 'Allow' }),
      h('button', { type: 'button', class: 'deny', 'aria-pressed': 'false', text: 'Block' }),
      h('button', { type: 'button', class: 'rename', text: 'Rename' }),
      h('button', { type: 'button', class: 'forget', text: 'Forget' }),
    ),
  );
}

function part(card: HTMLElement, cls: string): HTMLElement {
  return card.querySelector(`.${cls}`) as HTMLElement;
}

function updateName(card: HTMLElement, d: DeviceView): void {
  const title = part(card, 'name');
  const btn = card.querySelector('button.rename') as HTMLButtonElement;
  const label = d.displayName ?? d.name;
  if (renaming.has(d.address)) {
    if (!title.querySelector('input.rename-input')) {
      const input = h('input', {
        type: 'text',
        class: 'rename-input',
        'aria-label': `New name for ${label}`,
        placeholder: d.name,
        maxlength: 64,
      });
      input.value = d.displayName ?? '';
      title.replaceChildren(
        input,
        h('button', { type: 'button', class: 'rename-cancel link', text: 'Cancel' }),
        h('span', { class: 'hint', text: 'Leave empty to use the original name.' }),
      );
      input.focus();
    }
    setText(btn, 'Save name');
  } else {
    if (title.querySelector('input.rename-input') || title.textContent !== label) title.textContent = label;
    title.title = d.displayName ? `Original name: ${d.name}` : '';
    setText(btn, 'Rename');
  }
}

/** Positions reached in a given time get a position and a duration; the others a level. */
function movesInTime(o: OutputView): boolean {
  return o.duration !== null;
}

function createOutput(o: OutputView, ordinal: number): HTMLElement {
  const label = outputLabel(o.kind, ordinal);
  const control = movesInTime(o)
    ? h(
        'div',
        { class: 'try try-move' },
        h('input', { type: 'range', class: 'try-position', step: 1, 'aria-label': `${label} position` }),
        h(
          'label',
          { class: 'duration' },
          'in ',
          h('input', {
            type: 'number',
            class: 'try-duration',
            step: 50,
            value: DEFAULT_MOVE_MS,
            'aria-label': `${label} move time in milliseconds`,
          }),
          ' ms',
        ),
      )
    : h(
        'div',
        { class: 'try' },
        h('input', { type: 'range', class: 'try-level', step: 1, 'aria-label': `${label} level` }),
        o.kind === 'Position'
          ? null
          : h('button', { type: 'button', class: 'try-stop link', text: 'Stop', 'aria-label': `Stop ${label}` }),
      );
  return h(
    'div',
    { class: 'output-item', 'data-feature': o.featureIndex, 'data-kind': o.kind },
    h(
      'div',
      { class: 'output-head' },
      h('span', { class: 'output-kind', text: label }),
      h('span', { class: 'output', 'data-feature': o.featureIndex, 'data-kind': o.kind }, '', h('meter', { 'aria-label': `${label} level` })),
      h('span', { class: 'owner muted' }),
    ),
    control,
    h(
      'details',
      { class: 'limits' },
      h('summary', { text: 'Limits' }),
      h('label', {}, 'From ', h('input', { type: 'number', class: 'limit-min', step: 1, 'aria-label': `${label} lowest` })),
      h('label', {}, ' to ', h('input', { type: 'number', class: 'limit-max', step: 1, 'aria-label': `${label} highest` })),
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
  meter.min = o.min;
  meter.max = o.max;
  meter.value = o.value;
  item.classList.toggle('is-off', o.disabled);
  setText(part(item, 'owner'), ownerText(o));
  item.dataset.owner = o.ownedByWindow ? 'window' : o.owner ? 'app' : '';

  // The control follows the device (a game taking the output over moves it), unless the user
  // is moving it.
  const control = item.querySelector<HTMLInputElement>('input.try-level, input.try-position');
  if (control) {
    control.min = String(o.min);
    control.max = String(o.max);
    control.disabled = o.disabled;
    if (control.dataset.draft !== '1' && control.value !== v) control.value = v;
  }
  const duration = item.querySelector<HTMLInputElement>('input.try-duration');
  if (duration && o.duration) {
    duration.min = String(o.duration[0]);
    duration.max = String(o.duration[1]);
    duration.disabled = o.disabled;
  }

  const lo = o.limit ? o.limit[0] : o.min;
  const hi = o.limit ? o.limit[1] : o.max;
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
  part(item, 'limits').classList.toggle('narrowed', o.limit !== null || o.disabled);
}

function createInput(i: InputView): HTMLElement {
  const label = i.kind === 'Rssi' ? 'signal strength' : i.kind.toLowerCase();
  return h(
    'div',
    { class: 'input-item' },
    h('button', {
      type: 'button',
      class: 'read-input',
      'data-feature': i.featureIndex,
      'data-kind': i.kind,
      text: `Read ${label}`,
    }),
    ' ',
    h('output', { class: 'reading', 'aria-live': 'polite' }),
  );
}

function updateCard(card: HTMLElement, d: DeviceView): void {
  card.classList.toggle('disconnected', !d.connected);
  card.dataset.deviceIndex = d.index === null ? '' : String(d.index);
  card.dataset.deviceName = d.displayName ?? d.name;
  updateName(card, d);
  const status = part(card, 'status');
  setText(status, d.connected ? 'Connected' : 'Not connected');
  status.dataset.connected = String(d.connected);
  const battery = part(card, 'battery');
  battery.hidden = d.battery === null;
  setText(battery, `Battery ${formatBattery(d.battery)}`);
  battery.classList.toggle('low', d.battery !== null && d.battery < 15);
  setText(part(card, 'index'), d.index === null ? '' : `Device ${d.index}`);
  setText(part(card, 'transport'), d.transport ? transportLabel(d.transport) : '');
  setText(part(card, 'protocol'), d.protocol ? `${d.protocol} protocol` : '');
  setText(part(card, 'address'), d.address);

  // Outputs of one kind are numbered in feature order: "Vibrate 1", "Vibrate 2".
  const ordinals = new Map<string, number>();
  const counted = d.outputs.map((o) => {
    const n = (ordinals.get(o.kind) ?? 0) + 1;
    ordinals.set(o.kind, n);
    return { o, n };
  });
  const single = new Set(Array.from(ordinals).filter(([, n]) => n === 1).map(([kind]) => kind));
  reconcile(
    part(card, 'outputs'),
    counted,
    ({ o }) => `${o.featureIndex}:${o.kind}`,
    'data-key',
    ({ o, n }) => createOutput(o, single.has(o.kind) ? 0 : n),
    (item, { o }) => updateOutput(item, o),
  );
  reconcile(part(card, 'inputs'), d.inputs, (i) => `${i.featureIndex}:${i.kind}`, 'data-key', createInput, () => {});

  const allow = card.querySelector('button.allow') as HTMLButtonElement;
  allow.setAttribute('aria-pressed', String(d.allowed));
  setText(allow, d.allowed ? 'Allowed' : 'Allow');
  allow.title = d.allowed ? 'Click to stop allowing only this device' : 'Only devices marked Allow will connect';
  const deny = card.querySelector('button.deny') as HTMLButtonElement;
  deny.setAttribute('aria-pressed', String(d.denied));
  setText(deny, d.denied ? 'Blocked' : 'Block');
  deny.title = d.denied ? 'Click to let this device connect again' : 'Never connect to this device';
  const forget = card.querySelector('button.forget') as HTMLButtonElement;
  forget.title = 'Remove this device and its settings (name, limits, allow/block)';
}

export function render(s: Snapshot): void {
  setValue(byId<HTMLInputElement>('setting-device-database-url'), s.settings.deviceDatabaseUrl);
  const scanning = s.hardware.scanning;
  setText(byId('scan-toggle'), scanning ? 'Stop scanning' : 'Start scanning');
  byId('scan-toggle').setAttribute('aria-pressed', String(scanning));
  byId('scan-progress').hidden = !scanning;
  const idle = byId('scan-idle');
  idle.hidden = scanning;
  setText(idle, 'Not scanning. Known devices reconnect by themselves when they are turned on.');

  byId('allow-banner').hidden = !s.devices.some((d) => d.allowed);
  // Drop rename drafts of devices that are gone.
  for (const a of renaming) if (!s.devices.some((d) => d.address === a)) renaming.delete(a);
  reconcile(byId('devices'), sortDevices(s.devices), (d) => d.address, 'data-device-address', createCard, updateCard);
  byId('devices-empty').hidden = s.devices.length > 0;
  byId('try-hint').hidden = !s.devices.some((d) => d.connected && d.outputs.length > 0);
}
