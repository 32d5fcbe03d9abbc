// Wiring: navigation, STOP ALL, the snapshot subscription, and the views.
import './style.css';
import { api, errorText, isTauri, onSnapshot } from './api';
import { byId, notify, run, setText } from './dom';
import type { Snapshot } from './models';
import { navigation } from './navigation';
import { applyEvent, applyResult, mark, snapshot, subscribe } from './store';
import * as clients from './views/clients';
import * as devices from './views/devices';
import * as hardware from './views/hardware';
import * as logs from './views/logs';
import * as server from './views/server';

const VIEWS = ['server', 'clients', 'devices', 'hardware', 'logs'] as const;
type ViewName = (typeof VIEWS)[number];

// Only the view on screen renders each snapshot; the logs view follows the "log" events.
const views = navigation<ViewName>(
  { server: server.render, clients: clients.render, devices: devices.render, hardware: hardware.render, logs: null },
  'server',
);

function show(view: ViewName): void {
  const changed = views.shown() !== view;
  views.show(view, snapshot());
  // Each view starts at its top (they share one scrolling area).
  if (changed) document.querySelector('.content')?.scrollTo({ top: 0 });
  for (const v of VIEWS) {
    byId(`view-${v}`).hidden = v !== view;
    const nav = byId(`nav-${v}`);
    if (v === view) nav.setAttribute('aria-current', 'page');
    else nav.removeAttribute('aria-current');
  }
  try {
    localStorage.setItem('plugboard.view', view);
  } catch {
    // storage may be unavailable; the view choice is cosmetic
  }
}

function renderChrome(s: Snapshot): void {
  // "Follow the system" leaves the colours to prefers-color-scheme (style.css).
  if (s.settings.theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = s.settings.theme;
  const shortcut = byId('stop-shortcut');
  shortcut.hidden = !s.shortcut.active;
  // Through the portal the desktop may have assigned another combination: that is the one to press.
  const keys = s.shortcut.assignedTrigger ?? s.shortcut.keys;
  setText(shortcut, keys);
  shortcut.title = `Press ${keys} to stop every device. ${s.shortcut.whereItWorks}`;

  // Apps that connect to the server; this window's own controls are not one of them.
  const apps = s.clients.filter((c) => !c.local).length;
  const status = byId('top-status');
  const text = s.server.running
    ? `Server running · ${apps === 1 ? '1 app' : `${apps} apps`} · ${
        s.devices.filter((d) => d.connected).length
      } connected device${s.devices.filter((d) => d.connected).length === 1 ? '' : 's'}`
    : s.server.error
      ? 'Server not running — there is a problem'
      : 'Server stopped';
  setText(status, text);
  status.dataset.state = s.server.running ? 'running' : s.server.error ? 'error' : 'stopped';
  setText(byId('badge-clients'), apps ? String(apps) : '');
  const connected = s.devices.filter((d) => d.connected).length;
  setText(byId('badge-devices'), connected ? String(connected) : '');
  setText(byId('badge-hardware'), hardware.hasProblem(s) ? '!' : '');
  byId('badge-hardware').title = hardware.hasProblem(s) ? 'Something needs attention' : '';
}

async function boot(): Promise<void> {
  server.mount(byId('view-server'));
  clients.mount(byId('view-clients'));
  devices.mount(byId('view-devices'));
  hardware.mount(byId('view-hardware'));
  logs.mount(byId('view-logs'));

  for (const v of VIEWS) byId(`nav-${v}`).addEventListener('click', () => show(v));
  let initial: ViewName = 'server';
  try {
    const saved = localStorage.getItem('plugboard.view');
    if (saved && (VIEWS as readonly string[]).includes(saved)) initial = saved as ViewName;
  } catch {
    // ignore
  }
  show(initial);

  const stopAll = byId<HTMLButtonElement>('stop-all');
  stopAll.addEventListener('click', () => {
    void run(stopAll, async () => {
      await api.stopAll();
      notify('All devices stopped.');
    });
  });

  subscribe((s) => {
    renderChrome(s);
    views.publish(s);
  });
  window.setInterval(clients.tick, 15_000);

  if (!isTauri()) {
    byId('not-in-app').hidden = false;
    return;
  }

  // Listen first, then ask once: events that arrive meanwhile win over the reply.
  await onSnapshot(applyEvent);
  const m = mark();
  try {
    applyResult(await api.getSnapshot(), m);
  } catch (e) {
    notify(`Could not read the server state: ${errorText(e)}`, 'error');
  }
  logs.start().catch((e: unknown) => notify(`Could not read the logs: ${errorText(e)}`, 'error'));
}

void boot();
