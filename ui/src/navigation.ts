// Which view is shown, and rendering only what can be seen. The shell sends a snapshot after
// every change (many a second while a game drives a toy): each one renders the view on screen;
// the hidden views only note that they are behind, and catch up from the latest snapshot when
// they are shown again.
import type { Snapshot } from './models';

export type Render = (s: Snapshot) => void;

export interface Navigation<Name extends string> {
  /** The view on screen. */
  shown(): Name;
  /** Puts `name` on screen, first rendering it from `latest` if it missed snapshots. */
  show(name: Name, latest: Snapshot | null): void;
  /** A new snapshot: renders the view on screen, and marks the others as behind. */
  publish(s: Snapshot): void;
}

/** `renders` has one entry per view; `null` for a view that does not render snapshots. */
export function navigation<Name extends string>(
  renders: Record<Name, Render | null>,
  initial: NoInfer<Name>,
): Navigation<Name> {
  const names = Object.keys(renders) as Name[];
  let current = initial;
  // Every view is behind until it has rendered a snapshot.
  const behind = new Set<Name>(names);
  const render = (name: Name, s: Snapshot): void => {
    behind.delete(name);
    renders[name]?.(s);
  };
  return {
    shown: () => current,
    show(name, latest) {
      current = name;
      if (latest && behind.has(name)) render(name, latest);
    },
    publish(s) {
      for (const name of names) {
        if (name === current) render(name, s);
        else behind.add(name);
      }
    },
  };
}
