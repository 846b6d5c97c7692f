// workloads/set.test.ts — the set workload: unique elements, client mapping, and set-full on hand-made histories.
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../lib/rng.ts';
import { HistoryBuilder } from '../test/support/history-builder.ts';
import { getWorkload } from './index.ts';
import { checkSet } from './set-check.ts';
import { SET_KEY, setElement, setWorkload } from './set.ts';
import type { Completion, KvClientLike } from './types.ts';
import type { MicroOp } from '../history/op.ts';

const ctx = { concurrency: 3, keyCount: 1, nodes: ['n1', 'n2'] };

describe('set workload', () => {
  it('is registered and its threads add unique elements, reproducibly from the seed', () => {
    expect(getWorkload('set')).toBe(setWorkload);
    const elements: unknown[] = [];
    for (let thread = 0; thread < 3; thread += 1) {
      const gen = setWorkload.generator(thread, new SeededRng(7 + thread), ctx);
      for (let i = 0; i < 100; i += 1) {
        const op = gen.next();
        if (op?.f === 'add') elements.push(op.value);
        else expect(op).toEqual({ f: 'read', value: null });
      }
    }
    expect(new Set(elements).size).toBe(elements.length);
    expect(elements.length).toBeGreaterThan(150);
    expect(setElement(2, 4, 3)).toBe(14);
  });

  it('adds by a txn append to one key and reads that key; the add completion keeps the element', async () => {
    const calls: unknown[] = [];
    const client: KvClientLike = {
      read: async (key) => (calls.push(['read', key]), { type: 'ok', value: [1, 2], node: 'n1' }),
      write: async () => ({ type: 'fail' }),
      cas: async () => ({ type: 'fail' }),
      txn: async (ops: MicroOp[]): Promise<Completion> => (calls.push(['txn', ops]), { type: 'ok', value: ops, node: 'n2' }),
    };
    expect(await setWorkload.invoke(client, { f: 'add', value: 9 })).toEqual({ type: 'ok', error: undefined, node: 'n2' });
    expect(await setWorkload.invoke(client, { f: 'read', value: null })).toEqual({ type: 'ok', value: [1, 2], node: 'n1' });
    expect(calls).toEqual([['txn', [['append', SET_KEY, 9]]], ['read', SET_KEY]]);
    expect(setWorkload.finalGenerator?.(0, ctx, []).next()).toEqual({ f: 'read', value: null });
  });
});

describe('checkSet (set-full)', () => {
  it('is valid when every acknowledged add is in every read begun after it, info adds included', async () => {
    const h = new HistoryBuilder()
      .op(0, 'add', 0, 0, 'ok', 1)
      .invoke(1, 'add', 1, 0).complete(1, 'info', 5)
      .op(2, 'read', null, 2, 'ok', 3, [0])
      .op(3, 'add', 2, 6, 'fail', 7)
      .op(2, 'read', null, 8, 'ok', 9, [0, 1])
      .op(4, 'read', null, 10, 'ok', 11, [0, 1]);
    const result = checkSet(h.ops);
    expect(result.valid).toBe(true);
    expect(result.anomalies).toEqual([]);
    expect(result).toMatchObject({ attemptCount: 3, acknowledgedCount: 1, stableCount: 2, lostCount: 0, staleCount: 0, unexpectedCount: 0 });
    expect((await setWorkload.check(h.ops, {})).valid).toBe(true);
  });

  it('names lost elements, how long they were visible before they vanished, and when and where they were acknowledged', () => {
    const h = new HistoryBuilder()
      .op(0, 'add', 10, 0, 'ok', 1, undefined, 'n1')
      .op(1, 'add', 11, 0, 'ok', 1)
      .invoke(2, 'add', 12, 0).complete(2, 'info', 2)
      .op(3, 'read', null, 2, 'ok', 3, [10, 11, 12])
      .op(3, 'read', null, 20, 'ok', 23, [10, 11, 12])
      .op(4, 'read', null, 30, 'ok', 31, [11]);
    const result = checkSet(h.ops);
    expect(result.valid).toBe(false);
    expect(result.lostElements).toEqual([10, 12]);
    expect(result.lostVisibleMs).toEqual([{ element: 10, visibleMs: 20 }, { element: 12, visibleMs: 20 }]);
    // 12's add was info: it is lost because reads saw it, but nobody acknowledged it.
    expect(result.lostAcknowledged).toEqual([{ element: 10, ackedMs: 1, node: 'n1' }]);
    expect(result.anomalies).toEqual(['lost 2 element(s) (1 acknowledged between 0.00 s and 0.00 s, by n1): 10, 12']);
    expect(result.lost[0]).toMatchObject({ element: 10, opIndexes: [0, 1, 7, 9, 11] });
    expect(result.lost[0].detail).toMatch(/^add ok, acknowledged at 0\.001 s by n1; .*visible for 20 ms/);
    expect(result.lost[1].detail).toMatch(/^add info; /);
  });

  it('calls an acknowledged add never seen by later reads lost, and one without later reads never-read', () => {
    const h = new HistoryBuilder()
      .op(0, 'add', 1, 0, 'ok', 1)
      .op(1, 'read', null, 2, 'ok', 3, [])
      .op(0, 'add', 2, 4, 'ok', 5);
    const result = checkSet(h.ops);
    expect(result.lostElements).toEqual([1]);
    expect(result.lost[0].detail).toMatch(/never seen/);
    expect(result.neverReadCount).toBe(1);
    expect(result.elementTables[0].rows.map((r) => r.element)).toEqual([2]);
  });

  it('reports stale elements (missing, then seen again) without invalidating, and unexpected and duplicated ones as invalid', () => {
    const stale = new HistoryBuilder()
      .op(0, 'add', 1, 0, 'ok', 1)
      .op(1, 'read', null, 2, 'ok', 3, [])
      .op(1, 'read', null, 4, 'ok', 5, [1]);
    const staleResult = checkSet(stale.ops);
    expect(staleResult.valid).toBe(true);
    expect(staleResult.stale.map((r) => r.element)).toEqual([1]);
    const bad = new HistoryBuilder()
      .op(0, 'add', 1, 0, 'fail', 1)
      .op(0, 'add', 2, 1, 'ok', 2)
      .op(1, 'read', null, 3, 'ok', 4, [1, 2, 2, 99]);
    const badResult = checkSet(bad.ops);
    expect(badResult.valid).toBe(false);
    expect(badResult.unexpected.map((r) => [r.element, r.detail])).toEqual([[1, 'its add failed'], [99, 'never added']]);
    expect(badResult.duplicated.map((r) => r.element)).toEqual([2]);
  });

  it('is unknown when adds were attempted and none became stable (nothing read)', () => {
    const h = new HistoryBuilder().invoke(0, 'add', 1, 0).complete(0, 'info', 1);
    expect(checkSet(h.ops).valid).toBe('unknown');
  });
});
