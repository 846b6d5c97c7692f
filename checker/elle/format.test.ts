// checker/elle/format.test.ts — the result is JSON-safe and the terminal text names verdict, models and cycles.
import { describe, expect, it } from 'vitest';
import { checkElle } from './check.ts';
import { formatElleResult } from './format.ts';
import { TxnHistoryBuilder } from '../../test/support/txn-history-builder.ts';

describe('formatElleResult', () => {
  it('renders an invalid result and survives a JSON round trip', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1], ['append', 2, 1]])
      .invoke(1, [['r', 1, []], ['r', 2, []]])
      .ok(0).ok(1)
      .invoke(2, [['r', 1, [1]]]).info(2);
    h.ops.push({ index: h.ops.length, type: 'invoke', process: 3, f: 'txn', value: [['r', 1, null]] });
    const r = checkElle(h.ops, { workload: 'list-append', consistencyModel: 'PL-2+' });
    // The info read of [1] counts for nothing; T0's unread appends only follow T1's reads (rw), no cycle.
    expect(r.valid).toBe(true);
    expect(r.infoCount).toBe(2);
    const h2 = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1], ['append', 2, 1]])
      .invoke(1, [['r', 1, []], ['r', 2, [1]]])
      .ok(0).ok(1)
      .txn(2, [['r', 1, [1]]]);
    const bad = checkElle(h2.ops, { workload: 'list-append', consistencyModel: 'PL-2+' });
    expect(bad.consistencyModel).toBe('consistent-view');
    expect(JSON.parse(JSON.stringify(bad))).toEqual(bad);
    const text = formatElleResult(bad);
    expect(text).toContain('Elle list-append, model consistent-view: valid false');
    expect(text).toContain('anomalies: G-single ×1');
    expect(text).toContain('not: consistent-view, repeatable-read');
    expect(text).toContain('T0 appended 1 to key 1 after T1 read key 1 = [] without it.');
    expect(text).toContain('T0 = process 0, history index 0, ok: [[append 1 1] [append 2 1]]');
  });
});
