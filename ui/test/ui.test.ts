// @vitest-environment happy-dom
// Smoke test of the DOM contract (src-tauri/src/commands.rs): boots main.ts against a mocked shell,
// pushes snapshots through the "snapshot" event and checks the ids and rows the e2e relies on.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import html from '../index.html?raw';
import type { Settings, Snapshot } from '../src/models';

/** What the app asked of the (mocked) shell in the current case, in order. */
let calls: { cmd: string; args: unknown }[] = [];

function snap(over: Partial<Snapshot> = {}): Snapshot {
  const settings = {
    port: 12345, serverName: 'Plugboard', allInterfaces: false, maxPingTimeMs: 0,
    startServerOnLaunch: false, closeToTray: true, startMinimized: false, launchAtLogin: false, useBluetoothLe: true,
    useSerial: true, useDeviceWebsocketServer: false, deviceWebsocketPort: 54817,
    allowAllRemoteClients: false, approvedClients: [], allowAnyWebPage: false, rememberedWebPages: [],
    clientDeviceAccess: {}, stopShortcut: 'Ctrl+Alt+Shift+S', theme: 'system' as const,
    notifyDeviceConnections: true, notifyLowBattery: true,
    lovenseApi: false, lovenseApiPort: 20010, lovenseApiHttpsPort: 30010,
    restApi: false, restApiPort: 12346, mdns: false, deviceDatabaseUrl: '',
  };
  return {
    server: { running: false, url: null, port: 12345, serverName: 'Plugboard', allInterfaces: false,
      maxPingTimeMs: 0, startOnLaunch: false, error: null, lovenseApiUrl: null, restApiUrl: null, mdnsName: null },
    clients: [],
    devices: [],
    hardware: {
      transports: [{ name: 'ble', enabled: true, ready: false, reason: 'No Bluetooth adapter was found.', remedy: 'Plug in a Bluetooth dongle.' }],
      serialPorts: [{ path: '/dev/ttyUSB0', description: 'FTDI', boundProtocol: 'tcode-v03' }],
      deviceWebsocket: { enabled: false, port: 54817 },
      scanning: false,
    },
    settings,
    trayAvailable: true,
    trayMessage: null,
    settingsMessage: null,
    shortcut: {
      keys: 'Ctrl+Alt+Shift+S', active: true, problem: null, whereItWorks: 'Works whatever window has focus.',
      mechanism: 'keyGrab' as const, assignedTrigger: null,
    },
    webPagesAsking: [],
    ...over,
  };
}

/** What the mocked shell answers to `export_logs` (the user's choice in the save dialog). */
let exportAnswer: unknown = { outcome: 'cancelled' };

const tick = () => new Promise((r) => setTimeout(r, 0));
const $ = (sel: string) => document.querySelector(sel) as HTMLElement;
/** Puts a view on screen, as its navigation button does (only the view on screen renders). */
const view = (name: 'server' | 'clients' | 'devices' | 'hardware' | 'logs') => $(`#nav-${name}`).click();

/**
 * Boots a fresh app for one case: the page's DOM, a mocked shell that records into a new
 * `calls`, empty storage, and main.ts evaluated anew (its modules hold state, so no case sees
 * another's).
 */
async function boot(): Promise<void> {
  calls = [];
  localStorage.clear();
  document.body.innerHTML = /<body>([\s\S]*)<\/body>/.exec(html)?.[1]?.replace(/<script[\s\S]*?<\/script>/, '') ?? '';
  (globalThis as { isTauri?: boolean }).isTauri = true;
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args });
      if (cmd === 'save_settings') return snap({ settings: (args as { settings: Settings }).settings });
      if (['get_snapshot', 'start_server', 'stop_server'].includes(cmd)) return snap();
      if (cmd === 'check_device_updates') {
        return { modelsAdded: 1, message: '1 model added (lovense: Lovense Test Toy). The server uses it when it starts.' };
      }
      if (cmd === 'get_logs') return [{ time: '2025-01-01T12:00:00Z', level: 'INFO', target: 'plugboard', message: 'hello' }];
      if (cmd === 'export_logs') return exportAnswer;
      return null;
    },
    { shouldMockEvents: true },
  );
  vi.resetModules();
  await import('../src/main');
  for (let i = 0; i < 5; i++) await tick();
}

beforeEach(async () => {
  // Each app starts a refresh timer; faked, it cannot outlive its case.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  await boot();
});

afterEach(() => {
  clearMocks();
  vi.useRealTimers();
  document.body.innerHTML = '';
});

describe('DOM contract', () => {
  it('has every static id', () => {
    const ids = [
      'nav-server', 'nav-clients', 'nav-devices', 'nav-hardware', 'nav-logs', 'stop-all',
      'server-toggle', 'server-state', 'server-url', 'copy-url', 'setting-port', 'setting-name',
      'setting-all-interfaces', 'all-interfaces-warning', 'setting-max-ping', 'setting-start-on-launch',
      'server-error', 'use-next-port', 'clients', 'scan-toggle', 'scan-progress', 'devices', 'hw-ble',
      'serial-ports', 'device-ws-toggle', 'device-ws-port', 'virtual-kind', 'virtual-name', 'add-virtual',
      'log-level', 'logs', 'copy-logs', 'export-logs', 'setting-lovense-api', 'setting-lovense-port',
      'setting-lovense-https-port', 'lovense-url', 'setting-rest-api', 'setting-rest-api-port', 'rest-api-url',
      'rest-api-warning', 'setting-mdns', 'mdns-status', 'mdns-warning',
    ];
    for (const id of ids) expect(document.getElementById(id), id).not.toBeNull();
  });

  it('renders the initial snapshot and logs', () => {
    expect($('#server-toggle').textContent).toBe('Start server');
    expect(($('#setting-port') as HTMLInputElement).value).toBe('12345');
    expect($('#server-error').hidden).toBe(true);
    view('hardware');
    expect($('#hw-ble').textContent).toContain('No Bluetooth adapter was found.');
    expect($('#hw-ble').textContent).toContain('Plug in a Bluetooth dongle.');
    expect($('#serial-ports').textContent).toContain('tcode-v03');
    expect($('#logs').textContent).toContain('hello');
    expect(calls.map((c) => c.cmd)).toContain('get_snapshot');
  });

  it('applies pushed snapshots: server, port in use, clients, devices', async () => {
    view('server');
    await emit('snapshot', snap({
      server: { running: true, url: 'ws://127.0.0.1:12345', port: 12345, serverName: 'Plugboard', allInterfaces: true,
        maxPingTimeMs: 0, startOnLaunch: false, error: null, lovenseApiUrl: null, restApiUrl: null, mdnsName: null },
      settings: { ...snap().settings, allInterfaces: true },
      clients: [{ id: 7, kind: 'Buttplug v3', local: false, name: 'Game', specVersion: 'v3', address: '127.0.0.1:5000', origin: 'https://example.org',
        connectedSince: new Date().toISOString(), messagesIn: 4, messagesOut: 5, lastError: null,
        awaitingApproval: false }],
      devices: [{ index: 0, name: 'Virtual vibrator', displayName: null, protocol: 'virtual', transport: 'virtual',
        address: 'virtual:1', connected: true, battery: 80, allowed: false, denied: false,
        outputs: [{ featureIndex: 0, kind: 'Vibrate', value: 7, min: 0, max: 20, limit: null, disabled: false,
          duration: null, owner: 'Game', ownedByWindow: false }],
        inputs: [{ featureIndex: 1, kind: 'Battery' }] }],
    }));
    await tick();
    expect($('#server-toggle').textContent).toBe('Stop server');
    expect($('#server-url').textContent).toBe('ws://127.0.0.1:12345');
    expect($('#all-interfaces-warning').hidden).toBe(false);
    view('clients');
    const row = $('#clients [data-client-id="7"]');
    expect(row.querySelector('.spec')?.textContent).toBe('v3');
    expect(row.querySelector('.origin')?.textContent).toBe('https://example.org');
    expect(row.querySelector('.messages')?.textContent).toBe('4 / 5');
    expect(row.querySelector('button.disconnect')).not.toBeNull();
    view('devices');
    const dev = $('#devices [data-device-address="virtual:1"]');
    expect(dev.querySelector('.index')?.textContent).toBe('Device 0');
    expect(dev.querySelector('.battery')?.textContent).toBe('Battery 80%');
    const out = dev.querySelector('.output[data-feature="0"][data-kind="Vibrate"]') as HTMLElement;
    expect(out.textContent).toBe('7');
    expect(out.querySelector('meter')).not.toBeNull();
    expect(dev.querySelector('.owner')?.textContent).toBe('run by Game');
    expect((dev.querySelector('input.try-level') as HTMLInputElement).value).toBe('7');
    for (const sel of ['button.allow', 'button.deny', 'button.rename', 'button.forget', 'input.limit-min', 'input.limit-max',
      'button.read-input[data-kind="Battery"]']) {
      expect(dev.querySelector(sel), sel).not.toBeNull();
    }
    view('hardware');
    expect($('#virtual-devices button.remove-virtual')).not.toBeNull();

    await emit('snapshot', snap({
      server: { ...snap().server, error: { kind: 'portInUse', message: 'in use', port: 12345, heldBy: 'intiface-engine', nextFreePort: 12346 } },
    }));
    await tick();
    view('server');
    expect($('#server-error').hidden).toBe(false);
    expect($('#server-error').textContent).toContain('intiface-engine');
    expect($('#use-next-port').textContent).toBe('Use port 12346');
    view('clients');
    expect(document.querySelector('#clients [data-client-id]')).toBeNull();
    view('devices');
    expect(document.querySelector('#devices [data-device-address]')).toBeNull();
  });

  it('saves a port typed just before Start, then starts', async () => {
    view('server');
    const port = $('#setting-port') as HTMLInputElement;
    port.focus();
    port.value = '23456';
    port.dispatchEvent(new Event('input', { bubbles: true }));
    calls.length = 0;
    $('#server-toggle').click();
    for (let i = 0; i < 5; i++) await tick();
    const cmds = calls.map((c) => c.cmd);
    expect(cmds.indexOf('save_settings')).toBeGreaterThanOrEqual(0);
    expect(cmds.indexOf('save_settings')).toBeLessThan(cmds.indexOf('start_server'));
    expect((calls.find((c) => c.cmd === 'save_settings')?.args as { settings: { port: number } }).settings.port).toBe(23456);
  });

  it('asks the user about apps from other computers, and sends the answer', async () => {
    const settings = { ...snap().settings, allInterfaces: true,
      approvedClients: [{ address: '192.168.1.9', origin: null }],
      clientDeviceAccess: { 'Old game': ['virtual:1'] } };
    const waiting = { id: 8, kind: 'Buttplug v3', local: false, name: 'Phone game', specVersion: 'v3', address: '192.168.1.20:5000',
      origin: 'https://game.example', connectedSince: new Date().toISOString(), messagesIn: 1, messagesOut: 1,
      lastError: null, awaitingApproval: true };
    const devices = [
      { index: 0, name: 'Vibrator', displayName: null, protocol: 'virtual', transport: 'virtual', address: 'virtual:0',
        connected: true, battery: null, allowed: false, denied: false, outputs: [], inputs: [] },
      { index: 1, name: 'Rotator', displayName: 'Spinny', protocol: 'virtual', transport: 'virtual',
        address: 'virtual:1', connected: true, battery: null, allowed: false, denied: false, outputs: [], inputs: [] },
    ];
    await emit('snapshot', snap({ settings, clients: [waiting], devices }));
    await tick();
    view('clients');
    expect($('#clients-waiting').hidden).toBe(false);
    const row = $('#clients [data-client-id="8"]');
    expect(row.classList.contains('waiting')).toBe(true);
    expect((row.querySelector('button.disconnect') as HTMLElement).hidden).toBe(true);
    calls.length = 0;
    (row.querySelector('button.allow-always') as HTMLElement).click();
    (row.querySelector('button.refuse') as HTMLElement).click();
    await tick();
    expect(calls).toContainEqual({ cmd: 'answer_client', args: { id: 8, allow: true, remember: true } });
    expect(calls).toContainEqual({ cmd: 'answer_client', args: { id: 8, allow: false, remember: false } });

    // Remembered approvals can be forgotten.
    const approved = $('#approved-clients li');
    expect($('#approved-section').hidden).toBe(false);
    expect(approved.textContent).toContain('192.168.1.9');
    (approved.querySelector('button.forget-approval') as HTMLElement).click();
    await tick();
    expect(calls).toContainEqual({ cmd: 'forget_approved_client', args: { address: '192.168.1.9', origin: null } });

    // Device access: one row per app name (rules and connected apps), one box per device.
    const limited = $('#client-access [data-client-name="Old game"]');
    const free = $('#client-access [data-client-name="Phone game"]');
    expect((limited.querySelector('input.all-devices') as HTMLInputElement).checked).toBe(false);
    const boxes = Array.from(limited.querySelectorAll<HTMLInputElement>('input.device-access'));
    expect(boxes.map((b) => [b.dataset.address, b.checked])).toEqual([['virtual:0', false], ['virtual:1', true]]);
    expect(limited.textContent).toContain('Spinny (#1)');
    boxes[0]?.click();
    const all = free.querySelector('input.all-devices') as HTMLInputElement;
    expect(all.checked).toBe(true);
    all.click();
    await tick();
    expect(calls).toContainEqual({ cmd: 'set_client_device_access', args: { name: 'Old game', devices: ['virtual:0', 'virtual:1'] } });
    expect(calls).toContainEqual({ cmd: 'set_client_device_access', args: { name: 'Phone game', devices: ['virtual:0', 'virtual:1'] } });
  });

  it('saves "Let any web page connect" and shows a settings problem', async () => {
    await emit('snapshot', snap({ settingsMessage: 'The settings file was not valid; it was kept as settings.json.corrupt-1.' }));
    await tick();
    view('server');
    expect($('#settings-message').hidden).toBe(false);
    expect($('#settings-message').textContent).toContain('corrupt');
    const any = $('#setting-allow-any-web-page') as HTMLInputElement;
    expect(any.checked).toBe(false);
    calls.length = 0;
    any.click();
    for (let i = 0; i < 5; i++) await tick();
    const saved = calls.filter((c) => c.cmd === 'save_settings').map((c) => (c.args as { settings: Settings }).settings);
    expect(saved.some((s) => s.allowAnyWebPage)).toBe(true);
  });

  it('asks about a waiting web page and lists the remembered ones with Forget', async () => {
    view('clients');
    const page = { id: 12, kind: 'Buttplug v3', local: false, name: 'Web game', specVersion: 'v3', address: '127.0.0.1:5000', origin: 'https://game.example',
      connectedSince: new Date().toISOString(), messagesIn: 1, messagesOut: 1, lastError: null, awaitingApproval: true };
    const settings = { ...snap().settings, rememberedWebPages: ['https://old.example'] };
    await emit('snapshot', snap({ settings, clients: [page] }));
    await tick();
    expect($('#clients-waiting').hidden).toBe(false);
    const prompt = $('#approval-prompts li[data-client-id="12"]');
    expect(prompt.querySelector('.question')?.textContent).toBe('https://game.example wants to use your devices');
    calls.length = 0;
    (prompt.querySelector('button.allow-always') as HTMLButtonElement).click();
    await tick();
    expect(calls).toContainEqual({ cmd: 'answer_client', args: { id: 12, allow: true, remember: true } });
    (prompt.querySelector('button.refuse') as HTMLButtonElement).click();
    await tick();
    expect(calls).toContainEqual({ cmd: 'answer_client', args: { id: 12, allow: false, remember: false } });

    expect($('#web-pages-section').hidden).toBe(false);
    const remembered = $('#remembered-web-pages li[data-origin="https://old.example"]');
    expect(remembered.textContent).toContain('https://old.example');
    (remembered.querySelector('button.forget-web-page') as HTMLButtonElement).click();
    await tick();
    expect(calls).toContainEqual({ cmd: 'forget_web_page', args: { origin: 'https://old.example' } });

    await emit('snapshot', snap({ clients: [{ ...page, awaitingApproval: false }] }));
    await tick();
    expect($('#clients-waiting').hidden).toBe(true);
    expect($('#web-pages-section').hidden).toBe(true);
  });

  it('asks about a web page refused over HTTP and answers it by its Origin', async () => {
    view('clients');
    await emit('snapshot', snap({ webPagesAsking: ['https://a.example', 'https://b.example'] }));
    await tick();
    expect($('#clients-waiting').hidden).toBe(false);
    const prompts = Array.from(document.querySelectorAll<HTMLElement>('#web-page-prompts li'));
    expect(prompts.map((p) => p.querySelector('.question')?.textContent)).toEqual([
      'https://a.example wants to use your devices',
      'https://b.example wants to use your devices',
    ]);
    const prompt = $('#web-page-prompts li[data-origin="https://a.example"]');
    calls.length = 0;
    for (const cls of ['allow', 'allow-always', 'refuse']) {
      (prompt.querySelector(`button.${cls}`) as HTMLButtonElement).click();
      await tick();
    }
    expect(calls).toEqual([
      { cmd: 'answer_web_page', args: { origin: 'https://a.example', allow: true, remember: false } },
      { cmd: 'answer_web_page', args: { origin: 'https://a.example', allow: true, remember: true } },
      { cmd: 'answer_web_page', args: { origin: 'https://a.example', allow: false, remember: false } },
    ]);

    await emit('snapshot', snap({ webPagesAsking: ['https://b.example'] }));
    await tick();
    expect(document.querySelectorAll('#web-page-prompts li').length).toBe(1);
    await emit('snapshot', snap());
    await tick();
    expect($('#clients-waiting').hidden).toBe(true);
  });

  it('shows the STOP shortcut next to STOP ALL, saves a new one, and forces a theme', async () => {
    await emit('snapshot', snap());
    await tick();
    view('server');
    expect($('#stop-shortcut').hidden).toBe(false);
    expect($('#stop-shortcut').textContent).toBe('Ctrl+Alt+Shift+S');
    expect($('#stop-shortcut-where').textContent).toContain('whatever window');
    expect(document.documentElement.dataset.theme).toBeUndefined();
    calls.length = 0;
    const keys = $('#setting-stop-shortcut') as HTMLInputElement;
    keys.value = ' Ctrl+Alt+Shift+P ';
    keys.dispatchEvent(new Event('input', { bubbles: true }));
    keys.dispatchEvent(new Event('change', { bubbles: true }));
    const theme = $('#setting-theme') as HTMLSelectElement;
    theme.value = 'dark';
    theme.dispatchEvent(new Event('change', { bubbles: true }));
    for (let i = 0; i < 5; i++) await tick();
    const saved = calls.filter((c) => c.cmd === 'save_settings').map((c) => (c.args as { settings: Settings }).settings);
    expect(saved.some((s) => s.stopShortcut === 'Ctrl+Alt+Shift+P')).toBe(true);
    expect(saved.some((s) => s.theme === 'dark')).toBe(true);
    expect(document.documentElement.dataset.theme).toBe('dark');

    expect($('#stop-shortcut-mechanism').textContent).toContain('X11 key grab');
    const portal = {
      keys: 'Ctrl+Alt+Shift+S', active: true, problem: null, whereItWorks: 'Your desktop listens for it.',
      mechanism: 'portal' as const, assignedTrigger: 'Shift+Ctrl+Alt+S',
    };
    await emit('snapshot', snap({ shortcut: portal }));
    await tick();
    expect($('#stop-shortcut-mechanism').textContent).toContain("your desktop's global shortcuts portal");
    expect($('#stop-shortcut-mechanism').textContent).toContain('Your desktop assigned: Shift+Ctrl+Alt+S');
    expect($('#stop-shortcut').textContent).toBe('Shift+Ctrl+Alt+S');

    const off = { keys: '', active: false, problem: null, whereItWorks: '', mechanism: 'keyGrab' as const, assignedTrigger: null };
    await emit('snapshot', snap({ shortcut: off }));
    await tick();
    expect($('#stop-shortcut').hidden).toBe(true);
    const taken = {
      keys: 'Ctrl+S', active: false, problem: 'Ctrl+S could not be registered.', whereItWorks: '',
      mechanism: 'keyGrab' as const, assignedTrigger: null,
    };
    await emit('snapshot', snap({ shortcut: taken }));
    await tick();
    expect($('#stop-shortcut-problem').hidden).toBe(false);
    expect($('#stop-shortcut-problem').textContent).toContain('could not be registered');
  });

  it('shows the Lovense switch, its ports and the address to type, and Lovense apps as such', async () => {
    view('server');
    await emit('snapshot', snap());
    await tick();
    expect($('label[for="setting-lovense-api"]').textContent).toBe('Let apps made for Lovense use my toys');
    expect(($('#setting-lovense-api') as HTMLInputElement).checked).toBe(false);
    expect($('#lovense-api-fields').hidden).toBe(true);

    const running = { ...snap().server, running: true, url: 'ws://127.0.0.1:12345', lovenseApiUrl: 'http://127.0.0.1:20010' };
    const app = { id: 11, kind: 'Lovense API', local: false, name: 'Lovense Game', specVersion: 'Lovense API', address: '127.0.0.1:7000', origin: null,
      connectedSince: new Date().toISOString(), messagesIn: 1, messagesOut: 1, lastError: null, awaitingApproval: false };
    await emit('snapshot', snap({ server: running, settings: { ...snap().settings, lovenseApi: true }, clients: [app] }));
    await tick();
    expect(($('#setting-lovense-api') as HTMLInputElement).checked).toBe(true);
    expect($('#lovense-api-fields').hidden).toBe(false);
    expect(($('#setting-lovense-port') as HTMLInputElement).value).toBe('20010');
    expect(($('#setting-lovense-https-port') as HTMLInputElement).value).toBe('30010');
    expect($('#lovense-url').textContent).toBe('http://127.0.0.1:20010');
    view('clients');
    const card = $('#clients [data-client-id="11"]');
    expect(card.querySelector('.kind')?.textContent).toBe('Lovense API');
    expect((card.querySelector('.spec') as HTMLElement).hidden).toBe(true);

    ($('#setting-lovense-api') as HTMLInputElement).click();
    for (let i = 0; i < 5; i++) await tick();
    const saved = calls.filter((c) => c.cmd === 'save_settings').pop();
    expect((saved?.args as { settings: Settings }).settings.lovenseApi).toBe(false);
  });

  it('checks for device updates with the address typed, and says what was added', async () => {
    view('devices');
    const url = $('#setting-device-database-url') as HTMLInputElement;
    url.value = 'http://127.0.0.1:8000/db.json';
    url.dispatchEvent(new Event('input'));
    $('#check-device-updates').click();
    for (let i = 0; i < 5; i++) await tick();
    const cmds = calls.map((c) => c.cmd);
    expect(cmds.indexOf('save_settings')).toBeGreaterThanOrEqual(0);
    expect(cmds.indexOf('save_settings')).toBeLessThan(cmds.indexOf('check_device_updates'));
    const saved = calls.find((c) => c.cmd === 'save_settings')?.args as { settings: Settings };
    expect(saved.settings.deviceDatabaseUrl).toBe('http://127.0.0.1:8000/db.json');
    expect($('#device-update-status').textContent).toContain('1 model added (lovense: Lovense Test Toy)');
    expect($('#device-update-status').dataset.state).toBe('ok');
    expect(($('#check-device-updates') as HTMLButtonElement).disabled).toBe(false);
  });

  it('shows the REST API and mDNS switches, off by default, with the address and the warnings', async () => {
    view('server');
    await emit('snapshot', snap());
    await tick();
    expect(($('#setting-rest-api') as HTMLInputElement).checked).toBe(false);
    expect($('#rest-api-fields').hidden).toBe(true);
    expect(($('#setting-mdns') as HTMLInputElement).checked).toBe(false);
    expect($('#mdns-warning').hidden).toBe(true);
    expect($('#mdns-status').hidden).toBe(true);

    // On, this computer only: the address, no warning; mDNS says it has nothing to announce.
    const local = { ...snap().settings, restApi: true, mdns: true };
    const running = { ...snap().server, running: true, url: 'ws://127.0.0.1:12345', restApiUrl: 'http://127.0.0.1:12346/api/v1' };
    await emit('snapshot', snap({ server: running, settings: local }));
    await tick();
    expect($('#rest-api-fields').hidden).toBe(false);
    expect(($('#setting-rest-api-port') as HTMLInputElement).value).toBe('12346');
    expect($('#rest-api-url').textContent).toBe('http://127.0.0.1:12346/api/v1');
    expect($('#rest-api-warning').hidden).toBe(true);
    expect($('#mdns-warning').hidden).toBe(true);
    expect($('#mdns-status').textContent).toContain('this computer only');

    // Every interface: both warn, and mDNS names what it announces.
    const everywhere = { ...running, allInterfaces: true, mdnsName: 'Intiface a1B2c3' };
    await emit('snapshot', snap({ server: everywhere, settings: { ...local, allInterfaces: true } }));
    await tick();
    expect($('#rest-api-warning').hidden).toBe(false);
    expect($('#rest-api-warning').textContent).toContain('anyone on your network');
    expect($('#mdns-warning').hidden).toBe(false);
    expect($('#mdns-status').textContent).toBe('Announced as "Intiface a1B2c3".');

    ($('#setting-rest-api') as HTMLInputElement).click();
    for (let i = 0; i < 5; i++) await tick();
    const saved = calls.filter((c) => c.cmd === 'save_settings').pop();
    expect((saved?.args as { settings: Settings }).settings.restApi).toBe(false);
  });

  it('renders a hidden view only when it is shown, from the latest snapshot', async () => {
    view('server');
    const game = { id: 9, kind: 'Buttplug v4', local: false, name: 'Hidden game', specVersion: 'v4', address: '127.0.0.1:6000', origin: null,
      connectedSince: new Date().toISOString(), messagesIn: 0, messagesOut: 0, lastError: null, awaitingApproval: false };
    const running = { ...snap().server, running: true, url: 'ws://127.0.0.1:12345' };
    for (let i = 1; i <= 20; i++) {
      await emit('snapshot', snap({ server: running, clients: [{ ...game, messagesIn: i }] }));
    }
    await tick();
    expect($('#server-clients-summary').textContent).toBe('1 app connected.');
    expect($('#badge-clients').textContent).toBe('1');
    expect(document.querySelector('#clients [data-client-id="9"]'), 'the hidden view was not rendered').toBeNull();
    view('clients');
    const row = $('#clients [data-client-id="9"]');
    expect(row.querySelector('.messages')?.textContent).toBe('20 / 0');
    view('server');
  });

  it('drives outputs from the device cards, and lists this window as a client without Disconnect', async () => {
    const running = { ...snap().server, running: true, url: 'ws://127.0.0.1:12345' };
    const output = (featureIndex: number, kind: string, value: number, min: number, max: number) => ({
      featureIndex, kind, value, min, max, limit: null, disabled: false, duration: null as [number, number] | null,
      owner: null as string | null, ownedByWindow: false });
    const stroke = { ...output(5, 'HwPositionWithDuration', 0, 0, 100), duration: [0, 60000] as [number, number] };
    const window = { id: 3, kind: 'this window', local: true, name: 'Plugboard window', specVersion: null, address: null,
      origin: null, connectedSince: new Date().toISOString(), messagesIn: 1, messagesOut: 0, lastError: null,
      awaitingApproval: false };
    const sampler = { index: 4, name: 'Virtual Sampler', displayName: null, protocol: 'virtual', transport: 'virtual',
      address: 'virtual:4', connected: true, battery: 64, allowed: false, denied: false,
      outputs: [{ ...output(0, 'Vibrate', 5, 0, 20), owner: 'this window', ownedByWindow: true },
        output(1, 'Vibrate', 0, 0, 20), output(2, 'Rotate', 0, -20, 20), stroke],
      inputs: [{ featureIndex: 6, kind: 'Battery' }] };
    await emit('snapshot', snap({ server: running, clients: [window], devices: [sampler] }));
    await tick();
    view('devices');
    const card = $('#devices [data-device-address="virtual:4"]');
    const kinds = Array.from(card.querySelectorAll('.output-kind')).map((k) => k.textContent);
    expect(kinds).toEqual(['Vibration 1', 'Vibration 2', 'Rotation', 'Stroke']);
    expect(card.querySelector('.output-item[data-feature="0"] .owner')?.textContent).toBe('run by this window');
    calls.length = 0;
    const slider = card.querySelector('.output-item[data-feature="1"] input.try-level') as HTMLInputElement;
    slider.value = '12';
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    const position = card.querySelector('.output-item[data-feature="5"] input.try-position') as HTMLInputElement;
    (card.querySelector('.output-item[data-feature="5"] input.try-duration') as HTMLInputElement).value = '800';
    position.value = '70';
    position.dispatchEvent(new Event('change', { bubbles: true }));
    (card.querySelector('button.read-input') as HTMLElement).click();
    for (let i = 0; i < 5; i++) await tick();
    expect(calls).toContainEqual({ cmd: 'set_output',
      args: { index: 4, featureIndex: 1, kind: 'Vibrate', value: 12, durationMs: null } });
    expect(calls).toContainEqual({ cmd: 'set_output',
      args: { index: 4, featureIndex: 5, kind: 'HwPositionWithDuration', value: 70, durationMs: 800 } });
    expect(calls).toContainEqual({ cmd: 'read_input', args: { index: 4, featureIndex: 6, kind: 'Battery' } });
    // While the user holds the slider, snapshots do not move it back.
    await emit('snapshot', snap({ server: running, clients: [window], devices: [sampler] }));
    await tick();
    expect(slider.value).toBe('12');

    view('clients');
    const client = $('#clients [data-client-id="3"]');
    expect(client.querySelector('.kind')?.textContent).toBe('this window');
    expect((client.querySelector('button.disconnect') as HTMLElement).hidden).toBe(true);
    expect(client.querySelector('.address')?.textContent).toBe('inside Plugboard');
    view('server');
  });

  it('exports logs through the shell and says where they went, or that nothing was saved', async () => {
    view('logs');
    expect(document.querySelector('#view-logs input[type="text"]')).toBeNull();
    exportAnswer = { outcome: 'saved', path: '/home/u/Downloads/plugboard-logs.txt', lines: 12 };
    $('#export-logs').click();
    for (let i = 0; i < 5; i++) await tick();
    expect(calls).toContainEqual({ cmd: 'export_logs', args: {} });
    expect($('#notice').textContent).toBe('Saved 12 log lines to /home/u/Downloads/plugboard-logs.txt');
    expect($('#notice').className).toBe('notice notice-info');
    exportAnswer = { outcome: 'cancelled' };
    $('#export-logs').click();
    for (let i = 0; i < 5; i++) await tick();
    expect($('#notice').textContent).toBe('Export cancelled: nothing was saved.');
    expect($('#notice').className).toBe('notice notice-info');
    view('server');
  });

  it('saves the notification settings', async () => {
    view('server');
    const connections = $('#setting-notify-connections') as HTMLInputElement;
    const battery = $('#setting-notify-low-battery') as HTMLInputElement;
    expect([connections.checked, battery.checked]).toEqual([true, true]);
    calls.length = 0;
    connections.click();
    battery.click();
    for (let i = 0; i < 5; i++) await tick();
    const saved = calls.filter((c) => c.cmd === 'save_settings').map((c) => (c.args as { settings: Settings }).settings);
    expect(saved.some((s) => !s.notifyDeviceConnections)).toBe(true);
    expect(saved.some((s) => !s.notifyLowBattery)).toBe(true);
  });

  it('sends commands with the contract argument names', async () => {
    $('#stop-all').click();
    ($('#virtual-name') as HTMLInputElement).value = 'Toy';
    $('#add-virtual').click();
    await tick();
    expect(calls).toContainEqual({ cmd: 'stop_all', args: {} });
    expect(calls).toContainEqual({ cmd: 'add_virtual_device', args: { kind: 'vibrator', name: 'Toy' } });
  });
});
