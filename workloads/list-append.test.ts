// workloads/list-append.test.ts — list-append's checker wiring: verdicts, named anomalies, the consistency model.
import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from '../test/support/history-builder.ts';
import { listAppendWorkload } from './list-append.ts';
import type { ElleWorkloadResult } from './elle-check.ts';

/** serial: T0 appends 1 to key 0, then T1 appends 2 and reads [1,2]: strict-serializable. */
function serial(): HistoryBuilder {
  return new HistoryBuilder()
    .op(0, 'txn', [['append', 0, 1]], 0, 'ok', 1)
    .op(1, 'txn', [['append', 0, 2], ['r', 0, null]], 2, 'ok', 3, [['append', 0, 2], ['r', 0, [1, 2]]]);
}

/**
 * writeSkew: T0 and T1 both read keys 0 and 1 empty, then each appends to one of them: a G2-item
 * cycle of two rw edges. Snapshot isolation allows it; serializability does not.
 */
function writeSkew(): HistoryBuilder {
  return new HistoryBuilder()
    .invoke(0, 'txn', [['r', 0, null], ['r', 1, null], ['append', 0, 1]], 0)
    .invoke(1, 'txn', [['r', 0, null], ['r', 1, null], ['append', 1, 2]], 0)
    .complete(0, 'ok', 1, [['r', 0, []], ['r', 1, []], ['append', 0, 1]])
    .complete(1, 'ok', 1, [['r', 0, []], ['r', 1, []], ['append', 1, 2]])
    .op(2, 'txn', [['r', 0, null], ['r', 1, null]], 2, 'ok', 3, [['r', 0, [1]], ['r', 1, [2]]]);
}

describe('list-append workload check', () => {
  it('a serial history is valid and names nothing', async () => {
    const result = (await listAppendWorkload.check(serial().ops, {})) as ElleWorkloadResult;
    expect(result.valid).toBe(true);
    expect(result.anomalies).toEqual([]);
    expect(result.elle.consistencyModel).toBe('strict-serializable');
    expect(result.elle.txnCount).toBe(2);
  });

  it('write skew is G2-item under serializable, named with its keys and edges', async () => {
    const result = (await listAppendWorkload.check(writeSkew().ops, { consistencyModel: 'serializable' })) as ElleWorkloadResult;
    expect(result.valid).toBe(false);
    expect(result.elle.anomalyTypes).toContain('G2-item');
    expect(result.elle.notModels).toEqual(['repeatable-read']);
    expect(result.anomalies).toHaveLength(1);
    expect(result.anomalies[0]).toMatch(/^G2-item on keys [01],[01]: T\d < T\d \(rw\): .*; T\d < T\d \(rw\): /);
  });

  it('the same write skew is valid under snapshot isolation (found, but allowed)', async () => {
    const result = (await listAppendWorkload.check(writeSkew().ops, { consistencyModel: 'snapshot-isolation' })) as ElleWorkloadResult;
    expect(result.valid).toBe(true);
    expect(result.anomalies).toEqual([]);
    expect(result.elle.anomalyTypes).toContain('G2-item');
  });

  it('diverged copies show as incompatible orders, named per key', async () => {
    const history = new HistoryBuilder()
      .op(0, 'txn', [['append', 5, 1]], 0, 'ok', 1)
      .op(1, 'txn', [['append', 5, 2]], 0, 'ok', 1)
      .op(0, 'txn', [['r', 5, null]], 2, 'ok', 3, [['r', 5, [1, 2]]])
      .op(1, 'txn', [['r', 5, null]], 2, 'ok', 3, [['r', 5, [2, 1]]]);
    const result = (await listAppendWorkload.check(history.ops, {})) as ElleWorkloadResult;
    expect(result.valid).toBe(false);
    // As in Elle, the divergent read still names a state (its last element), so cycles may show too.
    expect(result.anomalies.some((line) => /^incompatible-order on key 5: /.test(line))).toBe(true);
  });
});
