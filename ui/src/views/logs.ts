// Logs view: live log lines from "log" events, a level filter, copy and export.
import { api, onLog } from '../api';
import { byId, copyText, h, notify, run } from '../dom';
import { filterLogs, formatClock, formatLogLine, logPasses, mergeLogs } from '../format';
import { LOG_LEVELS, type LogLevel, type LogLine } from '../models';

const MAX_LINES = 5000;
let lines: LogLine[] = [];
let level: LogLevel = 'INFO';
let search = '';

export function mount(root: HTMLElement): void {
  root.innerHTML = `
    <h1 id="h-logs">Logs</h1>
    <div class="panel log-tools">
      <label for="log-level">Show</label>
      <select id="log-level"></select>
      <label for="log-search" class="sr-only">Search the logs</label>
      <input id="log-search" type="search" placeholder="Search" autocomplete="off" />
      <button id="copy-logs" type="button">Copy</button>
      <span class="spacer"></span>
      <button id="export-logs" type="button">Export logs…</button>
    </div>
    <ol id="logs" class="logs" aria-live="off" tabindex="0" aria-label="Log lines"></ol>
    <p id="logs-count" class="muted"></p>
  `;
  const sel = byId<HTMLSelectElement>('log-level');
  const labels: Record<LogLevel, string> = {
    ERROR: 'Errors only',
    WARN: 'Warnings and errors',
    INFO: 'Normal (info)',
    DEBUG: 'Detailed (debug)',
    TRACE: 'Everything (trace)',
  };
  for (const l of LOG_LEVELS) sel.append(h('option', { value: l, text: labels[l] }));
  sel.value = level;
  sel.addEventListener('change', () => {
    level = sel.value as LogLevel;
    renderAll();
  });
  const searchEl = byId<HTMLInputElement>('log-search');
  searchEl.addEventListener('input', () => {
    search = searchEl.value;
    renderAll();
  });

  const copy = byId<HTMLButtonElement>('copy-logs');
  copy.addEventListener('click', () => {
    const visible = filterLogs(lines, level, search);
    void run(copy, async () => {
      await copyText(visible.map(formatLogLine).join('\n'));
      notify(`Copied ${visible.length} log lines.`);
    });
  });

  // The shell asks where to save in the system's save dialog and writes the file; the page
  // handles no path and has no file-system permission.
  const exp = byId<HTMLButtonElement>('export-logs');
  exp.addEventListener('click', () => {
    void run(exp, async () => {
      const result = await api.exportLogs();
      if (result.outcome === 'saved') notify(`Saved ${result.lines} log lines to ${result.path}`);
      else notify('Export cancelled: nothing was saved.');
    });
  });
}

/** Subscribes to "log" first, then loads the history, so no line falls between the two. */
export async function start(): Promise<void> {
  const early: LogLine[] = [];
  let loading = true;
  await onLog((l) => {
    if (loading) early.push(l);
    else append(l);
  });
  try {
    lines = mergeLogs(await api.getLogs(), early);
  } catch (e) {
    lines = early.slice();
    throw e;
  } finally {
    loading = false;
    trim();
    renderAll();
  }
}

function trim(): void {
  if (lines.length > MAX_LINES) lines = lines.slice(lines.length - MAX_LINES);
}

function lineEl(l: LogLine): HTMLLIElement {
  return h(
    'li',
    { class: `log log-${l.level.toLowerCase()}`, 'data-level': l.level },
    h('time', { datetime: l.time, text: formatClock(l.time) }),
    ' ',
    h('span', { class: 'level', text: l.level }),
    ' ',
    h('span', { class: 'target', text: l.target }),
    ' ',
    h('span', { class: 'message', text: l.message }),
  );
}

function atBottom(list: HTMLElement): boolean {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 40;
}

function append(l: LogLine): void {
  lines.push(l);
  const list = document.getElementById('logs');
  if (!list) return;
  const stick = atBottom(list);
  if (lines.length > MAX_LINES) {
    const dropped = lines.shift();
    if (dropped && logPasses(dropped, level, search)) list.firstElementChild?.remove();
  }
  if (logPasses(l, level, search)) {
    list.append(lineEl(l));
    if (stick) list.scrollTop = list.scrollHeight;
  }
  updateCount();
}

function renderAll(): void {
  const list = document.getElementById('logs');
  if (!list) return;
  const visible = filterLogs(lines, level, search);
  list.replaceChildren(...visible.map(lineEl));
  list.scrollTop = list.scrollHeight;
  updateCount();
}

function updateCount(): void {
  const el = document.getElementById('logs-count');
  if (!el) return;
  const shown = document.getElementById('logs')?.childElementCount ?? 0;
  el.textContent = lines.length === 0 ? 'No log lines yet.' : `Showing ${shown} of ${lines.length} lines.`;
}
