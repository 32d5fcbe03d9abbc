// Only the view on screen renders each snapshot; a hidden view catches up once, when shown.
import { describe, expect, it } from 'vitest';
import { navigation } from '../src/navigation';
import type { Snapshot } from '../src/models';

function counter() {
  const seen: Snapshot[] = [];
  return { render: (s: Snapshot) => void seen.push(s), seen };
}

/** Stand-ins for snapshots: the views under test only count and compare them. */
const snapshots = Array.from({ length: 500 }, (_, i) => ({ serial: i }) as unknown as Snapshot);

describe('navigation', () => {
  it('renders only the shown view for each snapshot, and a hidden one once when it is shown', () => {
    const server = counter();
    const devices = counter();
    const clients = counter();
    const nav = navigation({ server: server.render, devices: devices.render, clients: clients.render, logs: null }, 'server');
    for (const s of snapshots) nav.publish(s);
    expect(server.seen.length).toBe(500);
    expect(devices.seen.length).toBe(0);
    expect(clients.seen.length).toBe(0);

    nav.show('devices', snapshots[499] ?? null);
    expect(devices.seen).toEqual([snapshots[499]]);
    nav.show('server', snapshots[499] ?? null);
    nav.show('devices', snapshots[499] ?? null);
    expect(devices.seen.length).toBe(1);
    expect(server.seen.length).toBe(500);

    for (const s of snapshots.slice(0, 10)) nav.publish(s);
    expect(devices.seen.length).toBe(11);
    expect(server.seen.length).toBe(500);
    expect(clients.seen.length).toBe(0);
    expect(nav.shown()).toBe('devices');
  });

  it('renders a view shown before the first snapshot when that snapshot arrives', () => {
    const clients = counter();
    const nav = navigation({ server: null, clients: clients.render }, 'server');
    nav.show('clients', null);
    expect(clients.seen.length).toBe(0);
    nav.publish(snapshots[0] as Snapshot);
    expect(clients.seen).toEqual([snapshots[0]]);
  });

  it('leaves a view without a render function alone', () => {
    const server = counter();
    const nav = navigation({ server: server.render, logs: null }, 'logs');
    nav.publish(snapshots[0] as Snapshot);
    nav.show('server', snapshots[0] ?? null);
    nav.show('logs', snapshots[0] ?? null);
    expect(server.seen.length).toBe(1);
  });
});
