import { describe, expect, it } from 'vitest';
import {
  filterLogs,
  formatRelativeTime,
  formatSpecVersion,
  logPasses,
  mergeLogs,
  outputLabel,
  ownerText,
  serverErrorMessage,
  validatePort,
} from '../src/format';
import type { LogLine, ServerError } from '../src/models';

describe('formatSpecVersion', () => {
  it('shows the negotiated version as "v3"', () => {
    expect(formatSpecVersion('v3')).toBe('v3');
    expect(formatSpecVersion('3')).toBe('v3');
    expect(formatSpecVersion('V4')).toBe('v4');
    expect(formatSpecVersion(2)).toBe('v2');
  });
  it('shows a dash before the handshake', () => {
    expect(formatSpecVersion(null)).toBe('—');
    expect(formatSpecVersion('')).toBe('—');
  });
});

describe('formatRelativeTime', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');
  it('counts up from just now to days', () => {
    expect(formatRelativeTime('2025-01-01T11:59:55Z', now)).toBe('just now');
    expect(formatRelativeTime('2025-01-01T11:59:18Z', now)).toBe('42 s ago');
    expect(formatRelativeTime('2025-01-01T11:55:00Z', now)).toBe('5 min ago');
    expect(formatRelativeTime('2025-01-01T09:55:00+00:00', now)).toBe('2 h 5 min ago');
    expect(formatRelativeTime('2025-01-01T10:00:00Z', now)).toBe('2 h ago');
    expect(formatRelativeTime('2024-12-29T12:00:00Z', now)).toBe('3 days ago');
  });
  it('never shows the future and keeps unparsable text', () => {
    expect(formatRelativeTime('2025-01-01T12:00:30Z', now)).toBe('just now');
    expect(formatRelativeTime('garbage', now)).toBe('garbage');
  });
});

const line = (level: LogLine['level'], message: string, time = 't'): LogLine => ({
  time,
  level,
  target: 'plugboard_server',
  message,
});

describe('log filtering', () => {
  const lines = [line('ERROR', 'boom'), line('WARN', 'careful'), line('INFO', 'hello'), line('DEBUG', 'detail'), line('TRACE', 'noise')];
  it('keeps lines at or above the chosen level', () => {
    expect(filterLogs(lines, 'ERROR').map((l) => l.message)).toEqual(['boom']);
    expect(filterLogs(lines, 'INFO').map((l) => l.message)).toEqual(['boom', 'careful', 'hello']);
    expect(filterLogs(lines, 'TRACE')).toHaveLength(5);
  });
  it('searches message and target, case-insensitively', () => {
    expect(filterLogs(lines, 'TRACE', 'HELLO').map((l) => l.message)).toEqual(['hello']);
    expect(filterLogs(lines, 'INFO', 'plugboard')).toHaveLength(3);
    expect(logPasses(line('DEBUG', 'x'), 'INFO')).toBe(false);
  });
  it('merges early events into the history without duplicates', () => {
    const history = [line('INFO', 'a', '1'), line('INFO', 'b', '2')];
    const early = [line('INFO', 'b', '2'), line('INFO', 'c', '3')];
    expect(mergeLogs(history, early).map((l) => l.message)).toEqual(['a', 'b', 'c']);
  });
});

describe('serverErrorMessage', () => {
  const inUse: ServerError = {
    kind: 'portInUse',
    message: 'Address already in use',
    port: 12345,
    heldBy: 'intiface-engine',
    nextFreePort: 12346,
  };
  it('names the port, the process and the next free port', () => {
    const m = serverErrorMessage(inUse);
    expect(m.text).toContain('Port 12345 is already in use by another program (intiface-engine)');
    expect(m.text).toContain('use port 12346 instead');
    expect(m.nextPortLabel).toBe('Use port 12346');
  });
  it('stays plain when the process or a free port is unknown', () => {
    const m = serverErrorMessage({ ...inUse, heldBy: null, nextFreePort: null });
    expect(m.text).toBe(
      "Port 12345 is already in use by another program, so the server can't listen there. Close that program or choose another port below.",
    );
    expect(m.nextPortLabel).toBeNull();
  });
  it('falls back to the configured port and passes other errors through', () => {
    expect(serverErrorMessage({ ...inUse, port: null }, 4000).text).toMatch(/^Port 4000 /);
    const other = serverErrorMessage({ kind: 'other', message: 'Bad config.', port: null, heldBy: null, nextFreePort: null });
    expect(other).toEqual({ text: 'The server could not start: Bad config.', nextPortLabel: null });
  });
});

describe('validatePort', () => {
  it('accepts 1024..65535 whole numbers only', () => {
    expect(validatePort('12345')).toBeNull();
    expect(validatePort('80')).not.toBeNull();
    expect(validatePort('70000')).not.toBeNull();
    expect(validatePort('12.5')).not.toBeNull();
    expect(validatePort('')).not.toBeNull();
  });
});

describe('outputs', () => {
  it('are named for people and numbered when a device has several of a kind', () => {
    expect(outputLabel('Vibrate')).toBe('Vibration');
    expect(outputLabel('Vibrate', 2)).toBe('Vibration 2');
    expect(outputLabel('HwPositionWithDuration')).toBe('Stroke');
    expect(outputLabel('Wiggle')).toBe('Wiggle');
  });

  it('say who runs them while they run, and who moved a position last', () => {
    expect(ownerText({ kind: 'Vibrate', value: 4, owner: 'this window' })).toBe('run by this window');
    expect(ownerText({ kind: 'Vibrate', value: 0, owner: 'Game' })).toBe('');
    expect(ownerText({ kind: 'Rotate', value: -3, owner: 'Game' })).toBe('run by Game');
    expect(ownerText({ kind: 'HwPositionWithDuration', value: 0, owner: 'Game' })).toBe('moved by Game');
    expect(ownerText({ kind: 'Vibrate', value: 4, owner: null })).toBe('');
  });
});
