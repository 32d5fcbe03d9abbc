// Shared plumbing for the client scripts driven by tests/e2e/js.rs.
//
// Protocol with the Rust side (one JSON object per stdout line, or a bare `READY <step>`):
//   {"event":"server", ...}      what the client learned in the handshake
//   {"event":"devices", ...}     the device list as the client library sees it
//   {"event":"battery", ...}     a battery reading, as the client library returns it
//   READY <step>                 the script waits for one line on stdin before going on
//   {"event":"done"}             the script finished its scenario and disconnected cleanly
//   {"event":"error", ...}       something failed (the script then exits non-zero)
import { createInterface } from 'node:readline';

export function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const lines = createInterface({ input: process.stdin });
const waiting = [];
const buffered = [];
let stdinClosed = false;
lines.on('line', (line) => {
  const next = waiting.shift();
  if (next) next.resolve(line); else buffered.push(line);
});
lines.on('close', () => {
  stdinClosed = true;
  for (const w of waiting.splice(0)) w.reject(new Error('stdin closed while waiting for the test'));
});

/** Prints `READY <step>` and waits for the test to answer with one line on stdin. */
export function ready(step) {
  process.stdout.write(`READY ${step}\n`);
  if (buffered.length > 0) return Promise.resolve(buffered.shift());
  if (stdinClosed) return Promise.reject(new Error('stdin closed while waiting for the test'));
  return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
}

/** `node vN.mjs URL SCENARIO [DEVICE_INDEX...]`. No indexes = every device the scenario applies to. */
export function parseArgs(scripts) {
  const [url, scenario, ...rest] = process.argv.slice(2);
  if (!url || !scenario || !scripts.includes(scenario)) {
    process.stderr.write(`usage: node ${process.argv[1]} ws://HOST:PORT (${scripts.join('|')}) [DEVICE_INDEX...]\n`);
    process.exit(2);
  }
  const only = rest.map((x) => Number.parseInt(x, 10));
  return { url, scenario, selects: (index) => only.length === 0 || only.includes(index) };
}

function describe(e) {
  if (e === undefined || e === null) return 'the connector gave no reason';
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  if (typeof e === 'object') {
    // A DOM-style Event (the connectors reject with the raw 'error'/'close' event).
    if (e.type !== undefined) return `websocket ${e.type} event${e.message ? `: ${e.message}` : ''}${e.reason ? `: ${e.reason}` : ''}`;
    try { return JSON.stringify(e); } catch { return String(e); }
  }
  return String(e);
}

/** Runs the scenario; any failure becomes an `error` line and exit code 1. */
export async function run(main) {
  // A stuck client must not hang the test run forever: the Rust side has its own, shorter timeouts.
  const watchdog = setTimeout(() => fail('watchdog: scenario still running after 60 s'), 60000);
  watchdog.unref();
  try {
    await main();
    emit({ event: 'done' });
    lines.close();
    // Let the WebSocket close handshake finish, but never hang on it.
    setTimeout(() => process.exit(0), 2000).unref();
  } catch (e) {
    fail(describe(e));
  }
}

function fail(message) {
  emit({ event: 'error', message });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
}

/** Wraps a connect() call: the old connectors reject with nothing useful when nothing listens. */
export async function connectOrExplain(url, connect) {
  try {
    await connect();
  } catch (e) {
    const cause = lastSocketError ? ` (${lastSocketError.message})` : '';
    throw new Error(`could not connect to ${url}: ${describe(e)}${cause}`);
  }
}

import WebSocket from 'ws';

function parseFrame(data) {
  const text = data.toString();
  try { return JSON.parse(text); } catch { return text; }
}

/**
 * The `ws` WebSocket, with every frame the client library sends or receives also printed as a
 * `{"event":"sent"|"received","frame":...}` line: the evidence when the engine misbehaves.
 * Text frames are handed to the library as strings, as a browser WebSocket does.
 */
export class TracedWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    this.on('message', (data, isBinary) => {
      const frame = parseFrame(data);
      received.push(frame);
      emit({ event: 'received', binary: isBinary, frame });
    });
    // A browser WebSocket never throws its 'error'; an EventEmitter without a listener would.
    this.on('error', (e) => {
      lastSocketError = e;
      emit({ event: 'socket_error', message: String(e && e.message) });
    });
    this.on('close', (code, reason) => emit({ event: 'closed', code, reason: reason.toString() }));
  }
  send(data, ...rest) {
    emit({ event: 'sent', frame: parseFrame(data) });
    return super.send(data, ...rest);
  }
}

let lastSocketError;

/** Every frame received so far, parsed. */
export const received = [];

/** The first ServerInfo body among the frames received so far (the old clients do not keep it). */
export function receivedServerInfo() {
  for (const f of received) {
    if (Array.isArray(f)) for (const m of f) if (m && m.ServerInfo) return m.ServerInfo;
  }
  return undefined;
}
