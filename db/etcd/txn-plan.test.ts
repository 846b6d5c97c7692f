// db/etcd/txn-plan.test.ts — the micro-op plan of a guarded etcd txn matches the rsm store's txn semantics.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MicroOp } from '../../history/op.ts';
import { planTxn, touchedKeys, type Snapshot } from './txn-plan.ts';

function snapshot(values: Record<string, unknown>): Snapshot {
  return new Map(Object.entries(values).map(([k, value]) => [k, { value, modRevision: value === null ? '0' : '7' }]));
}

describe('planTxn', () => {
  it('reads see the txn\'s own appends and writes; only written keys are written', () => {
    const mops: MicroOp[] = [['r', 'a', null], ['append', 'a', 3], ['r', 'a', null], ['w', 'c', 9], ['r', 'b', null]];
    const plan = planTxn(mops, snapshot({ a: [1, 2], b: null, c: 5 }));
    expect(plan).toEqual({
      completed: [['r', 'a', [1, 2]], ['append', 'a', 3], ['r', 'a', [1, 2, 3]], ['w', 'c', 9], ['r', 'b', null]],
      writes: new Map<string, unknown>([['a', [1, 2, 3]], ['c', 9]]),
    });
    expect(touchedKeys(mops)).toEqual(['a', 'c', 'b']);
  });

  it('refuses an append to a non-list and a cas that does not match', () => {
    expect(planTxn([['append', 'a', 1]], snapshot({ a: 4 }))).toEqual({ error: 'append to key a, which holds a non-list value' });
    expect(planTxn([['cas', 'a', [1, 2]]], snapshot({ a: 3 }))).toEqual({ error: 'cas mismatch on key a' });
    expect(planTxn([['cas', 'a', [3, 2]], ['r', 'a', null]], snapshot({ a: 3 }))).toMatchObject({ completed: [['cas', 'a', [3, 2]], ['r', 'a', 2]] });
  });

  it('appends land in order after what was read, for any mix of appends and reads', () => {
    const mop = fc.oneof(fc.integer({ min: 0, max: 99 }).map((v): MicroOp => ['append', 'k', v]), fc.constant<MicroOp>(['r', 'k', null]));
    fc.assert(fc.property(fc.array(fc.integer(), { maxLength: 5 }), fc.array(mop, { minLength: 1, maxLength: 8 }), (initial, mops) => {
      const plan = planTxn(mops, snapshot({ k: initial.length === 0 ? null : initial }));
      if ('error' in plan) throw new Error(plan.error);
      const appended = mops.filter((m) => m[0] === 'append').map((m) => m[2]);
      if (appended.length > 0) expect(plan.writes.get('k')).toEqual([...initial, ...appended]);
      else expect(plan.writes.size).toBe(0);
    }));
  });
});
