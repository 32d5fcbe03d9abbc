// One part of the Apps view. The view is a list of sections, each with its own heading and
// markup: a new kind of approval or rule is a new section, added to the list in views/clients.ts.
import { run } from '../../dom';
import type { Snapshot } from '../../models';
import { applyResult, mark } from '../../store';

export interface Section {
  /** Fills `root`, the section's own element, once. */
  mount(root: HTMLElement): void;
  /** Shows a snapshot (only while the Apps view is on screen). */
  render(s: Snapshot): void;
}

/** Runs a command that answers with the new snapshot, and shows it at once. */
export function change(control: HTMLButtonElement | HTMLInputElement, command: () => Promise<Snapshot>): void {
  void run(control, async () => {
    const m = mark();
    applyResult(await command(), m);
  });
}
