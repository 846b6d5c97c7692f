// workloads/txn-keys.test.ts — the Elle-style txn generator: bounds, unique values, key retirement, final reads.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Op } from '../history/op.ts';
import { SeededRng } from '../lib/rng.ts';
import type { MicroOp } from '../history/op.ts';
import { finalReadGenerator, FINAL_READS_PER_TXN, invokeTxn, mergeKnobs, pickSlot, TXN_KNOBS_DEFAULT, txnGenerator, type TxnKnobs } from './txn-keys.ts';
import type { Completion, KvClientLike, OpSpec, WorkloadContext } from './types.ts';

type Mop = [string, number, unknown];

/** drawAll runs every thread's generator for `perThread` txns. */
function drawAll(seed: number, ctx: WorkloadContext, knobs: TxnKnobs, perThread: number, writeF: 'append' | 'w' = 'append'): Mop[][] {
  const root = new SeededRng(seed);
  const txns: Mop[][] = [];
  for (let thread = 0; thread < ctx.concurrency; thread++) {
    const gen = txnGenerator(writeF, thread, root.fork(), ctx, knobs);
    for (let i = 0; i < perThread; i++) {
      const op = gen.next() as OpSpec;
      expect(op.f).toBe('txn');
      txns.push(op.value as Mop[]);
    }
  }
  return txns;
}

const CTX: WorkloadContext = { concurrency: 4, keyCount: 3, nodes: ['n1', 'n2', 'n3'] };

describe('txnGenerator', () => {
  it('keeps txn lengths, unique values per key and the writes-per-key bound, for any knobs', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 1, max: 40 }), fc.constantFrom('uniform' as const, 'exponential' as const),
      fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6 }),
      (seed, lengthMin, lengthExtra, writesPerKeyMax, keyDistribution, concurrency, keyCount) => {
        const knobs: TxnKnobs = { keyDistribution, txnLengthMin: lengthMin, txnLengthMax: lengthMin + lengthExtra, writesPerKeyMax };
        const ctx = { ...CTX, concurrency, keyCount };
        const txns = drawAll(seed, ctx, knobs, 60);
        const writes = new Map<number, unknown[]>();
        for (const txn of txns) {
          expect(txn.length).toBeGreaterThanOrEqual(knobs.txnLengthMin);
          expect(txn.length).toBeLessThanOrEqual(knobs.txnLengthMax);
          for (const [f, key, value] of txn) {
            if (f === 'r') { expect(value).toBeNull(); continue; }
            expect(f).toBe('append');
            writes.set(key, [...(writes.get(key) ?? []), value]);
          }
        }
        for (const values of writes.values()) {
          expect(new Set(values).size).toBe(values.length);
          // Each thread writes at most its share, so a key never takes more than the max (or one per thread).
          expect(values.length).toBeLessThanOrEqual(Math.max(writesPerKeyMax, concurrency));
        }
      },
    ), { numRuns: 60 });
  });

  it('retires keys: with 2 writes per key and 1 thread, slot keys move on by keyCount', () => {
    const txns = drawAll(7, { ...CTX, concurrency: 1 }, { ...TXN_KNOBS_DEFAULT, writesPerKeyMax: 2 }, 200);
    const keys = new Set(txns.flat().map(([, key]) => key));
    expect(Math.max(...keys)).toBeGreaterThan(CTX.keyCount * 10);
    const writesPerKey = new Map<number, number>();
    for (const [f, key] of txns.flat()) if (f !== 'r') writesPerKey.set(key, (writesPerKey.get(key) ?? 0) + 1);
    expect(Math.max(...writesPerKey.values())).toBe(2);
  });

  it('is deterministic per seed and writes with the given f', () => {
    expect(drawAll(3, CTX, TXN_KNOBS_DEFAULT, 20, 'w')).toEqual(drawAll(3, CTX, TXN_KNOBS_DEFAULT, 20, 'w'));
    expect(drawAll(3, CTX, TXN_KNOBS_DEFAULT, 20, 'w').flat().every(([f]) => f === 'w' || f === 'r')).toBe(true);
    expect(drawAll(3, CTX, TXN_KNOBS_DEFAULT, 20)).not.toEqual(drawAll(4, CTX, TXN_KNOBS_DEFAULT, 20));
  });

  it('takes the run knobs from the context; a lone minimum lifts the maximum', () => {
    expect(mergeKnobs(TXN_KNOBS_DEFAULT, { txnLengthMin: 6 })).toEqual({ ...TXN_KNOBS_DEFAULT, txnLengthMin: 6, txnLengthMax: 6 });
    const txns = drawAll(1, { ...CTX, txn: { txnLengthMin: 3, txnLengthMax: 3 } }, TXN_KNOBS_DEFAULT, 10);
    expect(txns.every((t) => t.length === 3)).toBe(true);
    expect(() => txnGenerator('append', 0, new SeededRng(1), { ...CTX, txn: { txnLengthMin: 3, txnLengthMax: 2 } }, TXN_KNOBS_DEFAULT)).toThrow(/txnLengthMax/);
  });
});

describe('pickSlot', () => {
  it('exponential favours low slots; uniform does not; both stay in range', () => {
    const rng = new SeededRng(5);
    const counts = { uniform: new Array<number>(8).fill(0), exponential: new Array<number>(8).fill(0) };
    for (let i = 0; i < 8000; i++) {
      counts.uniform[pickSlot(rng, 8, 'uniform')]++;
      counts.exponential[pickSlot(rng, 8, 'exponential')]++;
    }
    expect(counts.exponential[0]).toBeGreaterThan(2 * counts.exponential[7]);
    expect(counts.exponential.every((c) => c > 0)).toBe(true);
    expect(Math.max(...counts.uniform) / Math.min(...counts.uniform)).toBeLessThan(1.3);
  });
});

describe('finalReadGenerator', () => {
  it('reads every used key in read-only batches', () => {
    const mainOps: Op[] = [
      { index: 0, type: 'invoke', process: 0, f: 'txn', value: [['append', 4, 1], ['r', 9, null]] },
      { index: 1, type: 'invoke', process: 1, f: 'txn', value: Array.from({ length: 10 }, (_, i) => ['r', 20 + i, null]) },
    ];
    const gen = finalReadGenerator(0, CTX, mainOps);
    const batches: Mop[][] = [];
    for (let op = gen.next(); op !== null; op = gen.next()) batches.push(op.value as Mop[]);
    expect(batches.every((b) => b.length <= FINAL_READS_PER_TXN && b.every(([f, , v]) => f === 'r' && v === null))).toBe(true);
    expect(batches.flat().map(([, key]) => key)).toEqual([4, 9, ...Array.from({ length: 10 }, (_, i) => 20 + i)]);
  });
});

describe('invokeTxn', () => {
  it('sends string keys and records the completion with the history\'s number keys', async () => {
    let sent: MicroOp[] = [];
    const client: KvClientLike = {
      read: () => Promise.reject(new Error('unused')), write: () => Promise.reject(new Error('unused')), cas: () => Promise.reject(new Error('unused')),
      txn: (ops: MicroOp[]): Promise<Completion> => {
        sent = ops;
        return Promise.resolve({ type: 'ok', value: ops.map(([f, k, v]) => [f, k, f === 'r' ? [1] : v]), node: 'n1' });
      },
    };
    const done = await invokeTxn(client, { f: 'txn', value: [['append', 3, 7], ['r', 3, null]] }, 'list-append');
    expect(sent).toEqual([['append', '3', 7], ['r', '3', null]]);
    expect(done).toEqual({ type: 'ok', value: [['append', 3, 7], ['r', 3, [1]]], node: 'n1' });
    await expect(invokeTxn(client, { f: 'read' }, 'list-append')).rejects.toThrow(/unknown f/);
  });
});
