// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { liveSender } from '../src/live';

describe('liveSender', () => {
  it('sends at once, then only the latest value that waited behind the command in flight', async () => {
    const sent: number[] = [];
    let answer: () => void = () => {};
    const sender = liveSender((_key: string, value: number) => {
      sent.push(value);
      return new Promise<void>((resolve) => (answer = resolve));
    });
    const first = sender.send('a', 1);
    const second = sender.send('a', 2);
    const third = sender.send('a', 3);
    expect(sent).toEqual([1]);
    answer();
    await first;
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual([1, 3]);
    answer();
    await Promise.all([second, third]);
    expect(sent).toEqual([1, 3]);
  });

  it('keeps controls apart and reports a failure to the caller', async () => {
    const sent: string[] = [];
    const sender = liveSender(async (key: string, value: number) => {
      sent.push(`${key}=${value}`);
      if (value < 0) throw 'The device is gone.';
    });
    await Promise.all([sender.send('a', 1), sender.send('b', 2)]);
    await expect(sender.send('a', -1)).rejects.toBe('The device is gone.');
    expect(sent).toEqual(['a=1', 'b=2', 'a=-1']);
  });
});
