// workloads/counter.test.ts — the counter workload: the cas-loop increment and the bounds checker on hand-made histories.
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../lib/rng.ts';
import { CAS_ATTEMPTS_MAX, checkCounter, COUNTER_KEY, counterWorkload } from './counter.ts';
import { HistoryBuilder } from '../test/support/history-builder.ts';
import { getWorkload } from './index.ts';
import type { Completion, KvClientLike } from './types.ts';

/** scriptedClient answers reads from `value` and cas from the queue of outcomes. */
function scriptedClient(casOutcomes: Completion['type'][]): { client: KvClientLike; calls: unknown[] } {
  const calls: unknown[] = [];
  let value: unknown = null;
  const client: KvClientLike = {
    read: async (key) => (calls.push(['read', key]), { type: 'ok', value }),
    write: async () => ({ type: 'fail' }),
    cas: async (key, expected, next) => {
      calls.push(['cas', key, expected, next]);
      const type = casOutcomes.shift() ?? 'fail';
      if (type === 'ok') value = next;
      return { type };
    },
    txn: async () => ({ type: 'fail' }),
  };
  return { client, calls };
}

describe('counter workload', () => {
  it('is registered and draws positive increments and reads from the seed', () => {
    expect(getWorkload('counter')).toBe(counterWorkload);
    const gen = counterWorkload.generator(0, new SeededRng(3), { concurrency: 1, keyCount: 1, nodes: ['n1'] });
    const ops = Array.from({ length: 60 }, () => gen.next());
    expect(new Set(ops.map((op) => op?.f))).toEqual(new Set(['add', 'read']));
    for (const op of ops) if (op?.f === 'add') expect(op.value).toBeGreaterThanOrEqual(1);
  });

  it('increments by read + cas, retrying only cas that certainly failed; an unknown cas is info', async () => {
    const ok = scriptedClient(['fail', 'ok']);
    expect((await counterWorkload.invoke(ok.client, { f: 'add', value: 3 })).type).toBe('ok');
    expect(ok.calls).toEqual([['read', COUNTER_KEY], ['cas', COUNTER_KEY, null, 3], ['read', COUNTER_KEY], ['cas', COUNTER_KEY, null, 3]]);
    expect(await counterWorkload.invoke(ok.client, { f: 'read', value: null })).toMatchObject({ type: 'ok', value: 3 });
    const info = scriptedClient(['info']);
    expect((await counterWorkload.invoke(info.client, { f: 'add', value: 1 })).type).toBe('info');
    const contended = scriptedClient([]);
    const result = await counterWorkload.invoke(contended.client, { f: 'add', value: 1 });
    expect(result.type).toBe('fail');
    expect(contended.calls.filter((c) => (c as string[])[0] === 'cas')).toHaveLength(CAS_ATTEMPTS_MAX);
  });
});

describe('checkCounter (bounds)', () => {
  it('accepts reads between acknowledged and attempted sums, counting info increments as attempted', () => {
    const h = new HistoryBuilder()
      .op(0, 'add', 2, 0, 'ok', 1)
      .invoke(1, 'add', 5, 1).complete(1, 'info', 3)
      .op(2, 'read', null, 2, 'ok', 4, 7)
      .op(2, 'read', null, 5, 'ok', 6, 2)
      .op(3, 'add', 4, 7, 'fail', 8)
      .op(2, 'final-read', null, 9, 'ok', 10, 7, 'n1')
      .op(4, 'final-read', null, 9, 'ok', 10, 7, 'n2');
    const result = checkCounter(h.ops);
    expect(result.anomalies).toEqual([]);
    expect(result).toMatchObject({ valid: true, readCount: 4, errorCount: 0, lowerFinal: 2, upperFinal: 7 });
  });

  it('flags a read below the acknowledged sum (a lost increment) and above the attempted sum', () => {
    const h = new HistoryBuilder()
      .op(0, 'add', 3, 0, 'ok', 1)
      .op(1, 'read', null, 2, 'ok', 3, 0)
      .op(1, 'read', null, 4, 'ok', 5, 4)
      .op(1, 'read', null, 6, 'ok', 7, 3);
    const result = checkCounter(h.ops);
    expect(result.valid).toBe(false);
    expect(result.elementTables[0].rows.map((r) => [r.element, r.opIndexes])).toEqual([[0, [2, 3]], [4, [4, 5]]]);
    expect(result.anomalies[0]).toMatch(/^2 read\(s\) out of bounds, first: read 0 outside \[3, 3\]/);
  });

  it('a read that began before an increment was acknowledged may miss it; a failed increment leaves the upper bound', () => {
    const h = new HistoryBuilder()
      .invoke(0, 'add', 3, 0)
      .invoke(1, 'read', null, 1)
      .complete(0, 'ok', 2)
      .complete(1, 'ok', 3, 0)
      .op(2, 'add', 5, 4, 'fail', 5)
      .op(1, 'read', null, 6, 'ok', 7, 8);
    const result = checkCounter(h.ops);
    expect(result.errorCount).toBe(1);
    expect(result.elementTables[0].rows[0]).toMatchObject({ element: 8, opIndexes: [6, 7] });
  });

  it('flags final reads that disagree (diverged replicas) and is unknown with no reads', () => {
    const h = new HistoryBuilder()
      .invoke(0, 'add', 1, 0).complete(0, 'info', 1)
      .invoke(1, 'add', 2, 0).complete(1, 'info', 1)
      .op(2, 'final-read', null, 5, 'ok', 6, 1, 'n1')
      .op(3, 'final-read', null, 5, 'ok', 6, 2, 'n2');
    const result = checkCounter(h.ops);
    expect(result.valid).toBe(false);
    expect(result.anomalies).toEqual(['final reads disagree (replicas diverged): n1=1, n2=2']);
    expect(checkCounter(new HistoryBuilder().op(0, 'add', 1, 0, 'ok', 1).ops).valid).toBe('unknown');
  });
});
