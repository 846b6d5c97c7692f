// workloads/register.test.ts — the register workload: generator, final reads, client mapping, checking.
import { describe, expect, it } from 'vitest';
import type { Op } from '../history/op.ts';
import { SeededRng } from '../lib/rng.ts';
import { getWorkload, WORKLOAD_NAMES } from './index.ts';
import { OPS_PER_KEY, opsPerThreadPerKey, registerWorkload } from './register.ts';
import { FINAL_KEYS_PER_THREAD_MAX } from './types.ts';
import type { Completion, KvClientLike, OpSpec } from './types.ts';

const ctx = { concurrency: 2, keyCount: 3, nodes: ['n1', 'n2'] };

function take(n: number, seed: number): OpSpec[] {
  const gen = registerWorkload.generator(0, new SeededRng(seed), ctx);
  return Array.from({ length: n }, () => gen.next()!);
}

describe('register workload', () => {
  it('is registered by name', () => {
    expect(WORKLOAD_NAMES).toContain('register');
    expect(getWorkload('register')).toBe(registerWorkload);
    expect(() => getWorkload('queue')).toThrow(/unknown workload "queue"; expected one of register/);
  });

  it('draws read/write/cas over keyCount live keys, rotating keys after about OPS_PER_KEY ops per key, from the seed', () => {
    const perThread = opsPerThreadPerKey(ctx);
    expect(perThread).toBe((OPS_PER_KEY * 3) / 2);
    expect(opsPerThreadPerKey({ keyCount: 1, concurrency: 1000 })).toBe(1);
    const ops = take(2 * perThread, 5);
    expect(take(2 * perThread, 5)).toEqual(ops);
    expect(take(50, 6)).not.toEqual(ops.slice(0, 50));
    expect(new Set(ops.map((op) => op.f))).toEqual(new Set(['read', 'write', 'cas']));
    const firstKeys = new Set(ops.slice(0, perThread).map((op) => op.key));
    const secondKeys = new Set(ops.slice(perThread).map((op) => op.key));
    expect(firstKeys).toEqual(new Set([0, 1, 2]));
    expect(secondKeys).toEqual(new Set([3, 4, 5]));
    for (const op of ops) {
      if (op.f === 'cas') expect((op.value as number[]).every((v) => v >= 0 && v < 5)).toBe(true);
      if (op.f === 'write') expect(op.value).toBeGreaterThanOrEqual(0);
    }
  });

  it('final reads: every thread reads every key used (each key through every node); past the cap a node\'s threads split', () => {
    const mainOps: Op[] = [0, 1, 2, 3, 4, 3].map((key, index) => ({ index, type: 'invoke', process: 0, f: 'write', key, value: 1 }));
    const reads = (thread: number, ops: readonly Op[], c: typeof ctx = ctx): OpSpec[] => {
      const gen = registerWorkload.finalGenerator!(thread, c, ops);
      const out: OpSpec[] = [];
      for (let op = gen.next(); op !== null; op = gen.next()) out.push(op);
      return out;
    };
    expect(reads(0, mainOps).map((op) => op.key)).toEqual([0, 1, 2, 3, 4]);
    expect(reads(1, mainOps).map((op) => op.key)).toEqual([0, 1, 2, 3, 4]);
    expect(reads(1, mainOps).every((op) => op.f === 'read' && op.value === null)).toBe(true);
    const many: Op[] = Array.from({ length: FINAL_KEYS_PER_THREAD_MAX + 2 }, (_, key) => ({ index: key, type: 'invoke', process: 0, f: 'read', key }));
    // Five threads on two nodes: n1 has threads 0, 2, 4 and n2 has 1, 3; each node's threads read every key once between them.
    const five = { ...ctx, concurrency: 5 };
    const keysOn = (threads: number[]): number[] => threads.flatMap((t) => reads(t, many, five).map((op) => op.key as number)).sort((a, b) => a - b);
    const all = many.map((op) => op.key as number);
    expect(keysOn([0, 2, 4])).toEqual(all);
    expect(keysOn([1, 3])).toEqual(all);
    expect(reads(2, many, five).every((op) => (op.key as number) % 3 === 1)).toBe(true);
  });

  it('maps ops to client calls with string keys', async () => {
    const calls: unknown[] = [];
    const ok = (...args: unknown[]): Promise<Completion> => {
      calls.push(args);
      return Promise.resolve({ type: 'ok' });
    };
    const client: KvClientLike = { read: (k) => ok('read', k), write: (k, v) => ok('write', k, v), cas: (k, e, v) => ok('cas', k, e, v), txn: () => ok('txn') };
    await registerWorkload.invoke(client, { f: 'read', key: 1, value: null });
    await registerWorkload.invoke(client, { f: 'write', key: 2, value: 3 });
    await registerWorkload.invoke(client, { f: 'cas', key: 3, value: [1, 2] });
    expect(calls).toEqual([['read', '1'], ['write', '2', 3], ['cas', '3', 1, 2]]);
    await expect(registerWorkload.invoke(client, { f: 'append', key: 1 })).rejects.toThrow(/unknown f/);
  });

  it('checks per key: a stale read on one key is named, other keys do not matter', async () => {
    const h = (ops: Array<Omit<Op, 'index'>>): Op[] => ops.map((op, index) => ({ index, ...op }));
    const good = h([
      { type: 'invoke', process: 0, f: 'write', key: 1, value: 2 }, { type: 'ok', process: 0, f: 'write', key: 1, value: 2 },
      { type: 'invoke', process: 1, f: 'read', key: 1, value: null }, { type: 'ok', process: 1, f: 'read', key: 1, value: 2 },
      { type: 'invoke', process: 0, f: 'read', key: 2, value: null }, { type: 'ok', process: 0, f: 'read', key: 2, value: null },
    ]);
    expect((await registerWorkload.check(good, {})).valid).toBe(true);
    const bad = h([
      ...good.map(({ index: _i, ...op }) => op),
      { type: 'invoke', process: 1, f: 'read', key: 1, value: null }, { type: 'ok', process: 1, f: 'read', key: 1, value: 0 },
    ]);
    const result = await registerWorkload.check(bad, {});
    expect(result.valid).toBe(false);
    expect(result.anomalies[0]).toMatch(/^nonlinearizable read \(stale or divergent value\) on key 1: .*cannot be linearized/);
  });
});
