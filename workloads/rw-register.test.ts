// workloads/rw-register.test.ts — rw-register's checker wiring: verdicts and named anomalies.
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../lib/rng.ts';
import type { ElleWorkloadResult } from './elle-check.ts';
import { HistoryBuilder } from '../test/support/history-builder.ts';
import { rwRegisterWorkload } from './rw-register.ts';
import type { OpSpec } from './types.ts';

describe('rw-register workload', () => {
  it('generates writes and reads only', () => {
    const gen = rwRegisterWorkload.generator(0, new SeededRng(2), { concurrency: 2, keyCount: 2, nodes: ['n1'] });
    const fs = new Set<string>();
    for (let i = 0; i < 50; i++) for (const [f] of (gen.next() as OpSpec).value as [string][]) fs.add(f);
    expect([...fs].sort()).toEqual(['r', 'w']);
  });

  it('a serial history is valid', async () => {
    const history = new HistoryBuilder()
      .op(0, 'txn', [['w', 0, 1]], 0, 'ok', 1)
      .op(1, 'txn', [['r', 0, null], ['w', 0, 2]], 2, 'ok', 3, [['r', 0, 1], ['w', 0, 2]])
      .op(0, 'txn', [['r', 0, null]], 4, 'ok', 5, [['r', 0, 2]]);
    const result = (await rwRegisterWorkload.check(history.ops, {})) as ElleWorkloadResult;
    expect(result.valid).toBe(true);
    expect(result.anomalies).toEqual([]);
  });

  it('a read of a value nobody wrote is a garbage read, and the verdict is invalid', async () => {
    const history = new HistoryBuilder()
      .op(0, 'txn', [['w', 0, 1]], 0, 'ok', 1)
      .op(1, 'txn', [['r', 0, null]], 2, 'ok', 3, [['r', 0, 99]]);
    const result = (await rwRegisterWorkload.check(history.ops, { consistencyModel: 'read-committed' })) as ElleWorkloadResult;
    expect(result.valid).toBe(false);
    expect(result.elle.workload).toBe('rw-register');
    expect(result.anomalies[0]).toMatch(/^garbage-read on key 0: /);
  });

  it('a stale read after a completed read-then-write is G-single-realtime under strict-serializable only', async () => {
    const history = new HistoryBuilder()
      .op(0, 'txn', [['w', 0, 1]], 0, 'ok', 1)
      .op(0, 'txn', [['r', 0, null], ['w', 0, 2]], 2, 'ok', 3, [['r', 0, 1], ['w', 0, 2]])
      .op(1, 'txn', [['r', 0, null]], 4, 'ok', 5, [['r', 0, 1]]);
    const strict = (await rwRegisterWorkload.check(history.ops, {})) as ElleWorkloadResult;
    expect(strict.valid).toBe(false);
    expect(strict.anomalies.some((a) => /^G-single-realtime on key 0: /.test(a)), strict.anomalies.join('; ')).toBe(true);
    const serializable = (await rwRegisterWorkload.check(history.ops, { consistencyModel: 'serializable' })) as ElleWorkloadResult;
    expect(serializable.valid).toBe(true);
  });
});
