// Server view: start/stop, the address for games, and the server settings.
import { api } from '../api';
import { byId, copyText, notify, run, setChecked, setText, setValue } from '../dom';
import { serverErrorMessage, validatePort } from '../format';
import type { Settings, ShortcutView, Snapshot, Theme } from '../models';
import { applyResult, mark, snapshot } from '../store';

let pending: 'starting' | 'stopping' | null = null;

export function mount(root: HTMLElement): void {
  root.innerHTML = `
    <h1 id="h-server">Server</h1>
    <div class="panel server-main">
      <div class="server-row">
        <button id="server-toggle" type="button" class="primary big">Start server</button>
        <div>
          <div id="server-state" class="state" aria-live="polite"></div>
          <div id="server-clients-summary" class="muted"></div>
        </div>
      </div>
      <div class="address">
        <label for="server-url" class="label">Address to paste into games and apps</label>
        <div class="address-row">
          <output id="server-url" class="url" aria-live="polite"></output>
          <button id="copy-url" type="button">Copy</button>
        </div>
      </div>
      <div id="server-error" class="panel error" role="alert" hidden>
        <p id="server-error-text"></p>
        <button id="use-next-port" type="button" class="primary" hidden></button>
      </div>
    </div>

    <h2>Settings</h2>
    <form class="panel form" id="server-settings" novalidate>
      <p id="settings-message" class="warning-text" role="status" hidden></p>
      <div class="field">
        <label for="setting-port">Port</label>
        <input id="setting-port" type="number" min="1024" max="65535" step="1" inputmode="numeric" />
        <p class="hint" id="port-hint"></p>
        <p class="field-error" id="port-error" hidden></p>
      </div>
      <div class="field">
        <label for="setting-name">Server name</label>
        <input id="setting-name" type="text" maxlength="64" autocomplete="off" />
        <p class="hint">Games show this name when they connect.</p>
      </div>
      <div class="field check">
        <input id="setting-all-interfaces" type="checkbox" />
        <label for="setting-all-interfaces">Listen on all network interfaces</label>
        <p class="hint">Lets apps on other computers or phones connect.</p>
        <p id="all-interfaces-warning" class="warning-text" hidden>
          Anyone on your network can then control your devices.
        </p>
      </div>
      <div class="field check" id="allow-all-remote-field" hidden>
        <input id="setting-allow-all-remote" type="checkbox" />
        <label for="setting-allow-all-remote">Let every app from another computer or phone in without asking</label>
        <p class="hint">Otherwise each new one waits until you allow it under Connected apps.</p>
      </div>
      <div class="field check">
        <input id="setting-allow-any-web-page" type="checkbox" />
        <label for="setting-allow-any-web-page">Let any web page connect</label>
        <p class="hint">Any web page you open can try to reach Plugboard. Off: each new one waits until you allow it
          under Connected apps. Apps that are not web pages are not affected.</p>
      </div>
      <div class="field check">
        <input id="setting-lovense-api" type="checkbox" />
        <label for="setting-lovense-api">Let apps made for Lovense use my toys</label>
        <p class="hint">Games made for Lovense toys then drive any toy Plugboard knows, through the Lovense API.</p>
      </div>
      <div id="lovense-api-fields" hidden>
        <div class="field">
          <label for="setting-lovense-port">Lovense port</label>
          <input id="setting-lovense-port" type="number" min="1024" max="65535" step="1" inputmode="numeric" />
          <p class="hint">Games made for Lovense usually expect 20010.</p>
        </div>
        <div class="field">
          <label for="setting-lovense-https-port">Lovense HTTPS port</label>
          <input id="setting-lovense-https-port" type="number" min="0" max="65535" step="1" inputmode="numeric" />
          <p class="hint">Usually 30010; 0 turns HTTPS off. Its certificate is self-signed: apps that check certificates refuse it.</p>
        </div>
        <p class="hint">Address to type into the game: <output id="lovense-url" class="url"></output></p>
      </div>
      <div class="field check">
        <input id="setting-rest-api" type="checkbox" />
        <label for="setting-rest-api">Let scripts use my devices through the REST API</label>
        <p class="hint">Scripts and home automation then list devices and set levels with plain HTTP requests
          (intiface-engine's REST API). It is one app under Connected apps.</p>
      </div>
      <div id="rest-api-fields" hidden>
        <div class="field">
          <label for="setting-rest-api-port">REST API port</label>
          <input id="setting-rest-api-port" type="number" min="1024" max="65535" step="1" inputmode="numeric" />
        </div>
        <p class="hint">Address for scripts: <output id="rest-api-url" class="url"></output></p>
        <p id="rest-api-warning" class="warning-text" hidden>
          It listens on all network interfaces: anyone on your network can then control your devices through it.
        </p>
      </div>
      <div class="field check">
        <input id="setting-mdns" type="checkbox" />
        <label for="setting-mdns">Announce the server on my network (mDNS)</label>
        <p class="hint">Apps that look for Intiface on the network then find Plugboard.</p>
        <p id="mdns-status" class="hint" hidden></p>
        <p id="mdns-warning" class="warning-text" hidden>
          Every device on your network can see that Plugboard runs here, and connect to it.
        </p>
      </div>
      <div class="field">
        <label for="setting-max-ping">Max ping time (milliseconds)</label>
        <input id="setting-max-ping" type="number" min="0" max="3600000" step="100" inputmode="numeric" />
        <p class="hint">If an app stays silent this long, its devices are stopped. 0 turns this off.</p>
      </div>
      <div class="field check">
        <input id="setting-start-on-launch" type="checkbox" />
        <label for="setting-start-on-launch">Start the server when Plugboard opens</label>
      </div>
      <div class="field check">
        <input id="setting-close-to-tray" type="checkbox" />
        <label for="setting-close-to-tray">Keep running in the tray when the window is closed</label>
        <p class="hint" id="tray-message" hidden></p>
      </div>
      <div class="field check">
        <input id="setting-start-minimized" type="checkbox" />
        <label for="setting-start-minimized">Start minimized</label>
      </div>
      <div class="field check">
        <input id="setting-launch-at-login" type="checkbox" />
        <label for="setting-launch-at-login">Launch Plugboard when I log in</label>
      </div>
      <div class="field">
        <label for="setting-stop-shortcut">STOP ALL shortcut</label>
        <input id="setting-stop-shortcut" type="text" autocomplete="off" spellcheck="false" />
        <p class="hint">Stops every device from anywhere. Modifiers and one key joined by +, like
          Ctrl+Alt+Shift+S; leave it empty to turn the shortcut off.</p>
        <p class="hint" id="stop-shortcut-where"></p>
        <p class="hint" id="stop-shortcut-mechanism"></p>
        <p class="field-error" id="stop-shortcut-problem" role="status" hidden></p>
      </div>
      <div class="field check">
        <input id="setting-notify-connections" type="checkbox" />
        <label for="setting-notify-connections">Notify me when a device connects or disconnects</label>
      </div>
      <div class="field check">
        <input id="setting-notify-low-battery" type="checkbox" />
        <label for="setting-notify-low-battery">Notify me when a device's battery falls under 15 %</label>
      </div>
      <div class="field">
        <label for="setting-theme">Colours</label>
        <select id="setting-theme">
          <option value="system">Follow the system (light or dark)</option>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
      </div>
      <p class="hint" id="settings-restart-hint" hidden></p>
    </form>
  `;

  const toggle = byId<HTMLButtonElement>('server-toggle');
  toggle.addEventListener('click', () => {
    const s = snapshot();
    if (!s || pending) return;
    const running = s.server.running;
    pending = running ? 'stopping' : 'starting';
    void run(toggle, async () => {
      try {
        // A field typed into just before the click is saved first, so the server starts with it.
        if (!running) await flushDrafts();
        const m = mark();
        const next = await (running ? api.stopServer() : api.startServer());
        applyResult(next, m);
      } finally {
        pending = null;
      }
    });
  });

  const copy = byId<HTMLButtonElement>('copy-url');
  copy.addEventListener('click', () => {
    const url = snapshot()?.server.url;
    if (!url) return;
    void run(copy, async () => {
      await copyText(url);
      notify(`Copied ${url}`);
    });
  });

  byId<HTMLButtonElement>('use-next-port').addEventListener('click', (ev) => {
    const s = snapshot();
    const next = s?.server.error?.nextFreePort;
    if (!s || next == null) return;
    void run(ev.currentTarget as HTMLButtonElement, async () => {
      await saveSetting({ port: next });
      const m = mark();
      applyResult(await api.startServer(), m);
    });
  });

  byId('server-settings').addEventListener('submit', (e) => e.preventDefault());

  // Text and number fields: a draft while typing, saved on change (Enter or leaving the field).
  const port = byId<HTMLInputElement>('setting-port');
  draftOnInput(port);
  committers.set(port, () => {
    const err = validatePort(port.value);
    const errEl = byId('port-error');
    errEl.hidden = err === null;
    setText(errEl, err ?? '');
    if (err) return Promise.resolve();
    return commit(port, { port: Number(port.value) });
  });
  port.addEventListener('change', () => void committers.get(port)?.());

  const name = byId<HTMLInputElement>('setting-name');
  draftOnInput(name);
  committers.set(name, () => {
    const v = name.value.trim();
    if (!v) {
      notify('The server name cannot be empty.', 'error');
      return Promise.resolve();
    }
    return commit(name, { serverName: v });
  });
  name.addEventListener('change', () => void committers.get(name)?.());

  const ping = byId<HTMLInputElement>('setting-max-ping');
  draftOnInput(ping);
  committers.set(ping, () => {
    const n = Number(ping.value);
    if (!/^\d+$/.test(ping.value.trim()) || n > 3600000) {
      notify('Max ping time must be a whole number of milliseconds (0 turns it off).', 'error');
      return Promise.resolve();
    }
    return commit(ping, { maxPingTimeMs: n });
  });
  ping.addEventListener('change', () => void committers.get(ping)?.());

  const keys = byId<HTMLInputElement>('setting-stop-shortcut');
  draftOnInput(keys);
  committers.set(keys, () => commit(keys, { stopShortcut: keys.value.trim() }));
  keys.addEventListener('change', () => void committers.get(keys)?.());

  const theme = byId<HTMLSelectElement>('setting-theme');
  theme.addEventListener('change', () => {
    const value = theme.value as Theme;
    void run(null, () => saveSetting({ theme: value }));
  });

  portField('setting-lovense-port', 'lovenseApiPort', false);
  portField('setting-lovense-https-port', 'lovenseApiHttpsPort', true);
  portField('setting-rest-api-port', 'restApiPort', false);

  checkbox('setting-lovense-api', 'lovenseApi');
  checkbox('setting-rest-api', 'restApi');
  checkbox('setting-mdns', 'mdns');
  checkbox('setting-all-interfaces', 'allInterfaces');
  checkbox('setting-allow-all-remote', 'allowAllRemoteClients');
  checkbox('setting-allow-any-web-page', 'allowAnyWebPage');
  checkbox('setting-start-on-launch', 'startServerOnLaunch');
  checkbox('setting-close-to-tray', 'closeToTray');
  checkbox('setting-start-minimized', 'startMinimized');
  checkbox('setting-launch-at-login', 'launchAtLogin');
  checkbox('setting-notify-connections', 'notifyDeviceConnections');
  checkbox('setting-notify-low-battery', 'notifyLowBattery');
}

/** Save functions of the text/number fields, used on change and before a start. */
const committers = new Map<HTMLInputElement, () => Promise<void>>();

async function flushDrafts(): Promise<void> {
  for (const [input, commitFn] of committers) {
    if (input.dataset.draft === '1') await commitFn();
  }
  await saveChain;
  for (const input of committers.keys()) {
    if (input.dataset.draft === '1') throw new Error('A setting could not be saved; fix it first, then start the server.');
  }
}

function draftOnInput(input: HTMLInputElement): void {
  input.addEventListener('input', () => (input.dataset.draft = '1'));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      delete input.dataset.draft;
      input.blur();
      const s = snapshot();
      if (s) render(s);
    }
  });
}

async function commit(input: HTMLInputElement, patch: Partial<Settings>): Promise<void> {
  const ok = await run(null, () => saveSetting(patch));
  if (ok !== undefined) delete input.dataset.draft;
}

/** A port field of the Lovense API or the REST API; `offAllowed`: 0 turns that part off. */
function portField(id: string, key: 'lovenseApiPort' | 'lovenseApiHttpsPort' | 'restApiPort', offAllowed: boolean): void {
  const input = byId<HTMLInputElement>(id);
  draftOnInput(input);
  committers.set(input, () => {
    const off = offAllowed && input.value.trim() === '0';
    const err = off ? null : validatePort(input.value);
    if (err) {
      notify(offAllowed ? `${err} (0 turns HTTPS off.)` : err, 'error');
      return Promise.resolve();
    }
    return commit(input, { [key]: Number(input.value) });
  });
  input.addEventListener('change', () => void committers.get(input)?.());
}

type CheckboxSetting =
  | 'lovenseApi'
  | 'restApi'
  | 'mdns'
  | 'allInterfaces'
  | 'allowAllRemoteClients'
  | 'allowAnyWebPage'
  | 'startServerOnLaunch'
  | 'closeToTray'
  | 'startMinimized'
  | 'launchAtLogin'
  | 'notifyDeviceConnections'
  | 'notifyLowBattery';

function checkbox(id: string, key: CheckboxSetting): void {
  const input = byId<HTMLInputElement>(id);
  input.addEventListener('change', () => {
    if (id === 'setting-all-interfaces') {
      byId('all-interfaces-warning').hidden = !input.checked;
      byId('allow-all-remote-field').hidden = !input.checked;
    }
    if (id === 'setting-lovense-api') byId('lovense-api-fields').hidden = !input.checked;
    if (id === 'setting-rest-api') byId('rest-api-fields').hidden = !input.checked;
    void run(input, () => saveSetting({ [key]: input.checked }));
  });
}

// Saves are serialised so two quick edits don't overwrite each other.
let saveChain: Promise<unknown> = Promise.resolve();

export function saveSetting(patch: Partial<Settings>): Promise<true> {
  const job = saveChain.then(async () => {
    const s = snapshot();
    if (!s) throw new Error('Not connected to the app yet.');
    const m = mark();
    const next = await api.saveSettings({ ...s.settings, ...patch });
    applyResult(next, m);
    return true as const;
  });
  saveChain = job.catch(() => undefined);
  return job;
}

export function render(s: Snapshot): void {
  const { server, settings } = s;
  const toggle = byId<HTMLButtonElement>('server-toggle');
  setText(toggle, server.running ? 'Stop server' : 'Start server');
  toggle.classList.toggle('danger-outline', server.running);
  toggle.classList.toggle('primary', !server.running);

  let state: string;
  if (pending === 'starting') state = 'Starting…';
  else if (pending === 'stopping') state = 'Stopping…';
  else if (server.running) state = `Running on port ${server.port}`;
  else if (server.error) state = 'Not running — see the problem below';
  else state = 'Stopped';
  const stateEl = byId('server-state');
  setText(stateEl, state);
  stateEl.dataset.state = server.running ? 'running' : server.error ? 'error' : 'stopped';

  const n = s.clients.filter((c) => !c.local).length;
  setText(
    byId('server-clients-summary'),
    server.running ? (n === 0 ? 'No app connected yet.' : n === 1 ? '1 app connected.' : `${n} apps connected.`) : '',
  );

  const url = byId('server-url');
  setText(url, server.url ?? 'Start the server to get the address.');
  url.classList.toggle('muted', !server.url);
  byId<HTMLButtonElement>('copy-url').disabled = !server.url;

  const errBox = byId('server-error');
  const nextBtn = byId<HTMLButtonElement>('use-next-port');
  if (server.error) {
    const msg = serverErrorMessage(server.error, settings.port);
    errBox.hidden = false;
    setText(byId('server-error-text'), msg.text);
    nextBtn.hidden = msg.nextPortLabel === null;
    setText(nextBtn, msg.nextPortLabel ?? '');
  } else {
    errBox.hidden = true;
    nextBtn.hidden = true;
  }

  setValue(byId<HTMLInputElement>('setting-port'), String(settings.port));
  setValue(byId<HTMLInputElement>('setting-name'), settings.serverName);
  setValue(byId<HTMLInputElement>('setting-max-ping'), String(settings.maxPingTimeMs));
  setChecked(byId<HTMLInputElement>('setting-all-interfaces'), settings.allInterfaces);
  setChecked(byId<HTMLInputElement>('setting-start-on-launch'), settings.startServerOnLaunch);
  setChecked(byId<HTMLInputElement>('setting-close-to-tray'), settings.closeToTray);
  setChecked(byId<HTMLInputElement>('setting-start-minimized'), settings.startMinimized);
  setChecked(byId<HTMLInputElement>('setting-launch-at-login'), settings.launchAtLogin);
  setChecked(byId<HTMLInputElement>('setting-notify-connections'), settings.notifyDeviceConnections);
  setChecked(byId<HTMLInputElement>('setting-notify-low-battery'), settings.notifyLowBattery);
  byId('all-interfaces-warning').hidden = !byId<HTMLInputElement>('setting-all-interfaces').checked;
  byId('allow-all-remote-field').hidden = !byId<HTMLInputElement>('setting-all-interfaces').checked;
  setChecked(byId<HTMLInputElement>('setting-allow-all-remote'), settings.allowAllRemoteClients);
  setValue(byId<HTMLInputElement>('setting-stop-shortcut'), settings.stopShortcut);
  setText(byId('stop-shortcut-where'), s.shortcut.whereItWorks);
  const mechanism = byId('stop-shortcut-mechanism');
  mechanism.dataset.mechanism = s.shortcut.mechanism;
  setText(mechanism, shortcutMechanismText(s.shortcut));
  const problem = byId('stop-shortcut-problem');
  problem.hidden = !s.shortcut.problem;
  setText(problem, s.shortcut.problem ?? '');
  const theme = byId<HTMLSelectElement>('setting-theme');
  if (theme.value !== settings.theme) theme.value = settings.theme;
  setChecked(byId<HTMLInputElement>('setting-lovense-api'), settings.lovenseApi);
  byId('lovense-api-fields').hidden = !settings.lovenseApi;
  setValue(byId<HTMLInputElement>('setting-lovense-port'), String(settings.lovenseApiPort));
  setValue(byId<HTMLInputElement>('setting-lovense-https-port'), String(settings.lovenseApiHttpsPort));
  const lovenseUrl = byId('lovense-url');
  setText(
    lovenseUrl,
    server.lovenseApiUrl ??
      (server.running ? 'Start the server again to turn this on.' : `http://127.0.0.1:${settings.lovenseApiPort} (once the server runs)`),
  );
  renderRestApiAndMdns(s);
  setChecked(byId<HTMLInputElement>('setting-allow-any-web-page'), settings.allowAnyWebPage);
  const settingsMessage = byId('settings-message');
  settingsMessage.hidden = !s.settingsMessage;
  setText(settingsMessage, s.settingsMessage ?? '');

  const tray = byId<HTMLInputElement>('setting-close-to-tray');
  tray.disabled = !s.trayAvailable;
  const trayMsg = byId('tray-message');
  trayMsg.hidden = !s.trayMessage;
  setText(trayMsg, s.trayMessage ?? '');

  setText(byId('port-hint'), `Games usually expect 12345.`);

  // Saved settings that differ from what the running server uses apply at the next start.
  const differs =
    server.running &&
    (server.port !== settings.port ||
      server.serverName !== settings.serverName ||
      server.allInterfaces !== settings.allInterfaces ||
      server.maxPingTimeMs !== settings.maxPingTimeMs ||
      (server.lovenseApiUrl !== null) !== settings.lovenseApi ||
      (server.restApiUrl !== null) !== settings.restApi);
  const hint = byId('settings-restart-hint');
  hint.hidden = !differs;
  setText(hint, differs ? 'Some changes take effect when the server is stopped and started again.' : '');
}

/** The REST API and mDNS settings: their switches, the REST API's address, and what each
 * exposes when the server listens beyond this computer. */
/** How the STOP shortcut is heard and, through the portal, the combination the desktop assigned. */
export function shortcutMechanismText(shortcut: ShortcutView): string {
  if (shortcut.mechanism === 'keyGrab') return shortcut.keys ? 'Heard through an X11 key grab.' : '';
  const portal = "Heard through your desktop's global shortcuts portal.";
  if (shortcut.assignedTrigger) return `${portal} Your desktop assigned: ${shortcut.assignedTrigger}`;
  if (shortcut.active) return `${portal} Your desktop has not assigned a combination yet: assign one in its keyboard settings.`;
  return portal;
}

function renderRestApiAndMdns(s: Snapshot): void {
  const { server, settings } = s;
  // Warn about what the server listens on now, and about what it will at its next start.
  const beyondThisComputer = settings.allInterfaces || (server.running && server.allInterfaces);
  setChecked(byId<HTMLInputElement>('setting-rest-api'), settings.restApi);
  byId('rest-api-fields').hidden = !settings.restApi;
  setValue(byId<HTMLInputElement>('setting-rest-api-port'), String(settings.restApiPort));
  setText(
    byId('rest-api-url'),
    server.restApiUrl ??
      (server.running ? 'Start the server again to turn this on.' : `http://127.0.0.1:${settings.restApiPort}/api/v1 (once the server runs)`),
  );
  byId('rest-api-warning').hidden = !(settings.restApi && beyondThisComputer);

  setChecked(byId<HTMLInputElement>('setting-mdns'), settings.mdns);
  const status = byId('mdns-status');
  let text = '';
  if (settings.mdns && !beyondThisComputer) {
    text = 'Nothing is announced while Plugboard listens on this computer only: turn on "Listen on all network interfaces" first.';
  } else if (settings.mdns && server.mdnsName) {
    text = `Announced as "${server.mdnsName}".`;
  } else if (settings.mdns && server.running) {
    text = 'Start the server again to announce it.';
  }
  status.hidden = text === '';
  setText(status, text);
  byId('mdns-warning').hidden = !(settings.mdns && beyondThisComputer);
}
