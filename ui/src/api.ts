// The only place that talks to the shell: typed wrappers over the contract's commands and events.
import { invoke, isTauri } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { DeviceDatabaseUpdate, InputReading, LogExport, LogLine, Settings, Snapshot, VirtualKind } from './models';

export { isTauri };

export const api = {
  getSnapshot: () => invoke<Snapshot>('get_snapshot'),
  startServer: () => invoke<Snapshot>('start_server'),
  stopServer: () => invoke<Snapshot>('stop_server'),
  saveSettings: (settings: Settings) => invoke<Snapshot>('save_settings', { settings }),
  /** Downloads, checks and keeps a newer device database; the server uses it from its next start. */
  checkDeviceUpdates: () => invoke<DeviceDatabaseUpdate>('check_device_updates'),
  disconnectClient: (id: number) => invoke<void>('disconnect_client', { id }),
  answerClient: (id: number, allow: boolean, remember: boolean) =>
    invoke<void>('answer_client', { id, allow, remember }),
  /** The answer about a web page refused over HTTP while the user is asked (see `webPagesAsking`). */
  answerWebPage: (origin: string, allow: boolean, remember: boolean) =>
    invoke<void>('answer_web_page', { origin, allow, remember }),
  forgetApprovedClient: (address: string, origin: string | null) =>
    invoke<Snapshot>('forget_approved_client', { address, origin }),
  forgetWebPage: (origin: string) => invoke<Snapshot>('forget_web_page', { origin }),
  setClientDeviceAccess: (name: string, devices: string[] | null) =>
    invoke<Snapshot>('set_client_device_access', { name, devices }),
  stopAll: () => invoke<void>('stop_all'),
  setScanning: (on: boolean) => invoke<void>('set_scanning', { on }),
  addVirtualDevice: (kind: VirtualKind, name: string | null) =>
    invoke<number>('add_virtual_device', { kind, name }),
  removeVirtualDevice: (index: number) => invoke<void>('remove_virtual_device', { index }),
  setDeviceAccess: (address: string, allow: boolean, deny: boolean) =>
    invoke<void>('set_device_access', { address, allow, deny }),
  renameDevice: (address: string, displayName: string | null) =>
    invoke<void>('rename_device', { address, displayName }),
  setOutputLimit: (
    address: string,
    featureIndex: number,
    kind: string,
    limit: [number, number] | null,
    disabled: boolean,
  ) => invoke<void>('set_output_limit', { address, featureIndex, kind, limit, disabled }),
  forgetDevice: (address: string) => invoke<void>('forget_device', { address }),
  /** The window's own control of an output: it drives the device as a client of the engine. */
  setOutput: (index: number, featureIndex: number, kind: string, value: number, durationMs: number | null) =>
    invoke<void>('set_output', { index, featureIndex, kind, value, durationMs }),
  readInput: (index: number, featureIndex: number, kind: string) =>
    invoke<InputReading>('read_input', { index, featureIndex, kind }),
  getLogs: () => invoke<LogLine[]>('get_logs'),
  /** Opens the system's save dialog (on the shell's side) and writes the logs where the user chose. */
  exportLogs: () => invoke<LogExport>('export_logs'),
};

export function onSnapshot(handler: (s: Snapshot) => void): Promise<UnlistenFn> {
  return listen<Snapshot>('snapshot', (e) => handler(e.payload));
}

export function onLog(handler: (l: LogLine) => void): Promise<UnlistenFn> {
  return listen<LogLine>('log', (e) => handler(e.payload));
}

/** Commands reject with a plain sentence (string); normalise anything else to one. */
export function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e && typeof e.message === 'string') return e.message;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}
