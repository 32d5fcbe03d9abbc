// Commands from live controls (a slider being dragged): at most one in flight per control, and
// only the latest value waits behind it, so a fast drag never queues up stale levels.
import { errorText } from './api';
import { notify } from './dom';

type Send<A extends unknown[]> = (key: string, ...args: A) => Promise<void>;

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface LiveSender<A extends unknown[]> {
  /**
   * Sends `args` for `key` now, or as soon as the command in flight for `key` is answered
   * (replacing any value already waiting). Resolves once it, or a later value that replaced
   * it, was sent; rejects, after telling the user, when it failed.
   */
  send(key: string, ...args: A): Promise<void>;
}

export function liveSender<A extends unknown[]>(send: Send<A>): LiveSender<A> {
  const waiting = new Map<string, { args: A; waiters: Waiter[] }>();
  const inFlight = new Set<string>();

  async function pump(key: string): Promise<void> {
    inFlight.add(key);
    try {
      for (let next = waiting.get(key); next; next = waiting.get(key)) {
        waiting.delete(key);
        try {
          await send(key, ...next.args);
          for (const w of next.waiters) w.resolve();
        } catch (e) {
          notify(errorText(e), 'error');
          for (const w of next.waiters) w.reject(e);
        }
      }
    } finally {
      inFlight.delete(key);
    }
  }

  return {
    send(key, ...args) {
      return new Promise<void>((resolve, reject) => {
        const waiters = waiting.get(key)?.waiters ?? [];
        waiters.push({ resolve, reject });
        waiting.set(key, { args, waiters });
        if (!inFlight.has(key)) void pump(key);
      });
    },
  };
}
