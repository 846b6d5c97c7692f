// lib/abort-watch.test.ts — onAbort behaves as a once listener: called once on abort, never after removal or when added late.
import { describe, expect, it } from 'vitest';
import { onAbort } from './abort-watch.ts';

describe('onAbort', () => {
  it('calls each watcher once, in the order they were added, except those that stopped watching', () => {
    const ac = new AbortController();
    const calls: string[] = [];
    onAbort(ac.signal, () => calls.push('a'));
    const stopB = onAbort(ac.signal, () => calls.push('b'));
    const f = (): void => void calls.push('c');
    onAbort(ac.signal, f);
    onAbort(ac.signal, f);
    stopB();
    stopB();
    ac.abort();
    ac.abort();
    expect(calls).toEqual(['a', 'c', 'c']);
  });

  it('never calls a watcher added after the abort, and keeps signals apart', () => {
    const first = new AbortController();
    const second = new AbortController();
    const calls: string[] = [];
    onAbort(first.signal, () => calls.push('first'));
    onAbort(second.signal, () => calls.push('second'));
    first.abort();
    onAbort(first.signal, () => calls.push('late'));
    expect(calls).toEqual(['first']);
    second.abort();
    expect(calls).toEqual(['first', 'second']);
  });
});
