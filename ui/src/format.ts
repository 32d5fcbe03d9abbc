// Pure helpers (no DOM, no Tauri): unit-tested in test/format.test.ts.
import { LOG_LEVELS, type LogLevel, type LogLine, type ServerError } from './models';

/** "v3" for "v3", "3", "V3" or 3; an em dash when the client has not finished its handshake. */
export function formatSpecVersion(v: string | number | null | undefined): string {
  if (v === null || v === undefined || v === '') return '—';
  const s = String(v).trim();
  const m = /^v?(\d+)$/i.exec(s);
  return m ? `v${m[1]}` : s;
}

/** "just now", "42 s ago", "5 min ago", "2 h 5 min ago", "3 days ago". */
export function formatRelativeTime(iso: string, now: number = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const secs = Math.max(0, Math.floor((now - t) / 1000));
  if (secs < 10) return 'just now';
  if (secs < 60) return `${secs} s ago`;
  const mins = Math.floor(secs / 60);
  if (mins < 60) return `${mins} min ago`;
  const hours = Math.floor(mins / 60);
  if (hours < 24) {
    const rest = mins % 60;
    return rest ? `${hours} h ${rest} min ago` : `${hours} h ago`;
  }
  const days = Math.floor(hours / 24);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

/** Local wall-clock time of an RFC 3339 stamp, for tooltips and log lines. */
export function formatClock(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).toLocaleTimeString();
}

export function levelRank(level: string): number {
  const i = LOG_LEVELS.indexOf(level.toUpperCase() as LogLevel);
  return i < 0 ? LOG_LEVELS.length : i;
}

/** True when a line is at or above (as severe as) the chosen level. */
export function logPasses(line: LogLine, minLevel: LogLevel, search = ''): boolean {
  if (levelRank(line.level) > levelRank(minLevel)) return false;
  if (!search) return true;
  const q = search.toLowerCase();
  return line.message.toLowerCase().includes(q) || line.target.toLowerCase().includes(q);
}

export function filterLogs(lines: readonly LogLine[], minLevel: LogLevel, search = ''): LogLine[] {
  return lines.filter((l) => logPasses(l, minLevel, search));
}

export function formatLogLine(l: LogLine): string {
  return `${l.time} ${l.level.padEnd(5)} ${l.target}: ${l.message}`;
}

function sameLine(a: LogLine, b: LogLine): boolean {
  return a.time === b.time && a.level === b.level && a.target === b.target && a.message === b.message;
}

/**
 * Joins the history from get_logs with "log" events that arrived while it was loading:
 * events already contained in the history's tail are dropped, the rest are appended.
 */
export function mergeLogs(history: readonly LogLine[], early: readonly LogLine[]): LogLine[] {
  const tail = history.slice(-Math.max(early.length * 2, 64));
  const out = history.slice();
  for (const l of early) {
    if (!tail.some((h) => sameLine(h, l))) out.push(l);
  }
  return out;
}

export interface ServerErrorText {
  text: string;
  /** Label of the "use next free port" button, or null when there is none to offer. */
  nextPortLabel: string | null;
}

/** The plain-language message shown in #server-error. */
export function serverErrorMessage(err: ServerError, fallbackPort?: number): ServerErrorText {
  if (err.kind !== 'portInUse') {
    return { text: `The server could not start: ${err.message}`, nextPortLabel: null };
  }
  const port = err.port ?? fallbackPort;
  const portText = port !== undefined ? `Port ${port}` : 'The port';
  const who = err.heldBy ? `another program (${err.heldBy})` : 'another program';
  let text = `${portText} is already in use by ${who}, so the server can't listen there.`;
  if (err.nextFreePort !== null) {
    text += ` You can close ${err.heldBy ?? 'that program'}, or use port ${err.nextFreePort} instead.`;
    text += ' Games must then be pointed at the new address.';
    return { text, nextPortLabel: `Use port ${err.nextFreePort}` };
  }
  text += ` Close ${err.heldBy ?? 'that program'} or choose another port below.`;
  return { text, nextPortLabel: null };
}

/** Range check for a user-entered TCP port. Returns an error sentence or null. */
export function validatePort(raw: string): string | null {
  if (!/^\d+$/.test(raw.trim())) return 'The port must be a whole number.';
  const n = Number(raw);
  if (n < 1024 || n > 65535) return 'The port must be between 1024 and 65535.';
  return null;
}

export function formatBattery(b: number | null): string {
  return b === null ? '—' : `${b}%`;
}

export function transportLabel(t: string): string {
  switch (t.toLowerCase()) {
    case 'ble':
    case 'bluetooth':
    case 'bluetoothle':
      return 'Bluetooth';
    case 'serial':
      return 'Serial (USB)';
    case 'websocket':
      return 'Device websocket';
    case 'virtual':
      return 'Virtual';
    default:
      return t;
  }
}

/** What the window calls an output type ("Vibrate" is "Vibration"), numbered when a device has
 * several of that type (`ordinal` 0: the only one). */
export function outputLabel(kind: string, ordinal = 0): string {
  const names: Record<string, string> = {
    Vibrate: 'Vibration',
    Rotate: 'Rotation',
    Oscillate: 'Oscillation',
    Constrict: 'Squeeze',
    Inflate: 'Inflation',
    Temperature: 'Temperature',
    Led: 'Light',
    Spray: 'Spray',
    Position: 'Position',
    HwPositionWithDuration: 'Stroke',
  };
  const name = names[kind] ?? kind;
  return ordinal > 0 ? `${name} ${ordinal}` : name;
}

/** Who runs an output, for the line under it: "run by this window", "run by Game"; nothing when
 * it is at rest or nobody set it. A position is where someone last moved it. */
export function ownerText(o: { kind: string; value: number; owner: string | null }): string {
  if (!o.owner) return '';
  if (o.kind === 'Position' || o.kind === 'HwPositionWithDuration') return `moved by ${o.owner}`;
  return o.value === 0 ? '' : `run by ${o.owner}`;
}
