// The one piece of truth the window holds: the latest Snapshot from the shell.
// Views render from it; nothing else is kept except drafts of forms being edited.
import type { Snapshot } from './models';

type Listener = (s: Snapshot) => void;

let current: Snapshot | null = null;
let eventCount = 0;
const listeners: Listener[] = [];

export function snapshot(): Snapshot | null {
  return current;
}

export function subscribe(l: Listener): void {
  listeners.push(l);
}

function publish(s: Snapshot): void {
  current = s;
  for (const l of listeners) l(s);
}

/** A "snapshot" event: always the newest state (the shell emits one after every engine event). */
export function applyEvent(s: Snapshot): void {
  eventCount++;
  publish(s);
}

/** Marker taken before a command or get_snapshot is sent. */
export function mark(): number {
  return eventCount;
}

/**
 * A snapshot returned by a command (or get_snapshot). It is applied only if no event arrived
 * while the command ran: such an event is at least as new, or is followed by a newer one.
 */
export function applyResult(s: Snapshot, markAtSend: number): void {
  if (eventCount === markAtSend && s && typeof s === 'object') publish(s);
}

/** Re-render from the current snapshot (e.g. after a failed command, to drop a rejected draft). */
export function refresh(): void {
  if (current) publish(current);
}
