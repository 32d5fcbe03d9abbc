// Small DOM helpers shared by the views.
import { errorText } from './api';
import { refresh } from './store';

type Attrs = Record<string, string | number | boolean | null | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c);
  }
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

/** Sets text only when it changed (keeps selections and avoids layout churn). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** True while the user is editing this input (focus or an uncommitted draft). */
export function isEditing(input: HTMLInputElement | HTMLSelectElement): boolean {
  return document.activeElement === input || input.dataset.draft === '1';
}

/** Writes a snapshot value into an input unless the user is editing it. */
export function setValue(input: HTMLInputElement, value: string): void {
  if (!isEditing(input) && input.value !== value) input.value = value;
}

export function setChecked(input: HTMLInputElement, checked: boolean): void {
  if (input.checked !== checked) input.checked = checked;
}

/**
 * Keyed reconciliation of rows: keeps existing elements (and so focus, open editors and
 * half-typed values), creates missing ones, removes stale ones, and keeps the given order.
 */
export function reconcile<T, E extends HTMLElement>(
  parent: HTMLElement,
  items: readonly T[],
  keyOf: (item: T) => string,
  keyAttr: string,
  create: (item: T) => E,
  update: (el: E, item: T) => void,
): void {
  const existing = new Map<string, E>();
  for (const child of Array.from(parent.children)) {
    const k = (child as HTMLElement).getAttribute(keyAttr);
    if (k !== null) existing.set(k, child as E);
    else child.remove();
  }
  let prev: Element | null = null;
  for (const item of items) {
    const k = keyOf(item);
    let el = existing.get(k);
    if (el) existing.delete(k);
    else {
      el = create(item);
      el.setAttribute(keyAttr, k);
    }
    update(el, item);
    const wanted: Element | null = prev ? prev.nextElementSibling : parent.firstElementChild;
    if (wanted !== el) parent.insertBefore(el, wanted);
    prev = el;
  }
  for (const stale of existing.values()) stale.remove();
}

/** Clipboard write with a fallback for webviews without the async clipboard API. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // fall through
  }
  const ta = h('textarea', { 'aria-hidden': 'true', class: 'offscreen' });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  const ok = document.execCommand('copy');
  ta.remove();
  if (!ok) throw new Error('The clipboard is not available.');
}

let noticeTimer: number | undefined;

/** A short message in the status area (role="status"), e.g. a failed command. */
export function notify(message: string, kind: 'info' | 'error' = 'info'): void {
  const el = document.getElementById('notice');
  if (!el) return;
  el.textContent = message;
  el.className = `notice notice-${kind}`;
  el.hidden = false;
  window.clearTimeout(noticeTimer);
  noticeTimer = window.setTimeout(() => {
    el.hidden = true;
  }, kind === 'error' ? 10000 : 4000);
}

/** Runs a command, disabling the button while it runs and reporting a failure in plain words. */
export async function run<T>(
  button: HTMLButtonElement | HTMLInputElement | null,
  action: () => Promise<T>,
  onError?: (msg: string) => void,
): Promise<T | undefined> {
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (e) {
    const msg = errorText(e);
    notify(msg, 'error');
    onError?.(msg);
    return undefined;
  } finally {
    if (button) button.disabled = false;
    refresh(); // render may have its own reasons to keep the button disabled
  }
}
