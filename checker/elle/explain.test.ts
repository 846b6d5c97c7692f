// checker/elle/explain.test.ts — explanations in the fewest steps: an order path is one "completed before began" fact.
import { describe, expect, it } from 'vitest';
import { checkElle } from './check.ts';
import { collapseOrderRuns } from './cycles.ts';
import { PROCESS, REALTIME, RW, WR, WW } from './graph.ts';
import { TxnHistoryBuilder } from '../../test/support/txn-history-builder.ts';

/**
 * plantedRealtimeCycle: T0 appends to key 7 and completes; then `chain` txns run one after
 * another (each reads the previous one's key and appends to its own, so all share one
 * component and real time orders them in a line); then T(chain+1) reads key 7 = []. The read
 * missed an append completed long before it began: a 2-txn G-single-realtime. In the reduced
 * realtime graph the only path from T0 back to the reader runs through the whole chain.
 */
function plantedRealtimeCycle(chain: number): TxnHistoryBuilder {
  const h = new TxnHistoryBuilder().txn(0, [['append', 7, 1]]);
  for (let i = 1; i <= chain; i++) {
    const mops: [string, number, unknown][] = [['r', 100 + i - 1, i === 1 ? [] : [i - 1]], ['append', 100 + i, i]];
    h.txn(i % 3, mops);
  }
  h.txn(5, [['r', 7, []], ['r', 100 + chain, [chain]]]);
  return h.txn(6, [['r', 7, [1]]]);
}

describe('shortest explanations (issue 16)', () => {
  it('the shortest explanation for a planted 2-transaction realtime cycle has 2 transactions', () => {
    const chain = 40;
    const r = checkElle(plantedRealtimeCycle(chain).ops, { workload: 'list-append', consistencyModel: 'strict-serializable' });
    expect(r.valid).toBe(false);
    const a = r.anomalies.find((x) => x.type === 'G-single-realtime');
    expect(a, JSON.stringify(r.anomalyTypes)).toBeDefined();
    expect(a?.txns.map((t) => t.id)).toEqual([chain + 1, 0]);
    expect(a?.cycle?.map((s) => s.edge)).toEqual(['rw', 'realtime']);
    expect(a?.explanation).toContain(`T0 completed (history index 1) before T${chain + 1} was invoked (history index ${2 * chain + 2})`);
    expect(a?.explanation).toContain(`T0 appended 1 to key 7 after T${chain + 1} read key 7 = [] without it`);
  });

  it('collapseOrderRuns: a run of order edges is one step; a lone order edge or data edges stay', () => {
    const long = { nodes: [5, 9, 1, 2, 3], bits: [RW, REALTIME, PROCESS, REALTIME, REALTIME] };
    expect(collapseOrderRuns(long)).toEqual({ nodes: [5, 9], bits: [RW, REALTIME] });
    const session = { nodes: [1, 2, 3, 4], bits: [WR, PROCESS, PROCESS, WW] };
    expect(collapseOrderRuns(session)).toEqual({ nodes: [1, 2, 4], bits: [WR, PROCESS, WW] });
    const plain = { nodes: [1, 2, 3], bits: [WW, REALTIME, RW] };
    expect(collapseOrderRuns(plain).nodes).toHaveLength(3);
  });
});
