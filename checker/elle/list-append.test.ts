// checker/elle/list-append.test.ts — hand-built list-append histories: each anomaly class detected and explained.
import { describe, expect, it } from 'vitest';
import { checkElle } from './check.ts';
import { TxnHistoryBuilder } from '../../test/support/txn-history-builder.ts';
import type { ElleOptions, ElleResult } from './types.ts';

function check(h: TxnHistoryBuilder, opts: Partial<ElleOptions> = {}): ElleResult {
  return checkElle(h.ops, { workload: 'list-append', consistencyModel: 'serializable', ...opts });
}

function only(r: ElleResult, type: string): string {
  const found = r.anomalies.filter((a) => a.type === type);
  expect(found.length, `${type} in ${JSON.stringify(r.anomalyTypes)}`).toBeGreaterThan(0);
  return found[0].explanation;
}

describe('list-append: valid histories', () => {
  it('a serial history reports nothing', () => {
    const h = new TxnHistoryBuilder()
      .txn(0, [['append', 1, 1], ['r', 1, [1]]])
      .txn(1, [['r', 1, [1]], ['append', 1, 2], ['append', 2, 1]])
      .txn(0, [['r', 1, [1, 2]], ['r', 2, [1]], ['r', 3, null]]);
    const r = check(h, { consistencyModel: 'strict-serializable' });
    expect(r.valid).toBe(true);
    expect(r.anomalyTypes).toEqual([]);
    expect(r.notModels).toEqual([]);
    expect(r.txnCount).toBe(3);
    expect(r.edgeCount).toBeGreaterThan(0);
  });

  it('info appends that were observed count as committed; unobserved ones constrain nothing', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1]]).info(0)
      .invoke(1, [['append', 1, 2]]).info(1)
      .txn(2, [['r', 1, [1]]]);
    const r = check(h, { consistencyModel: 'strict-serializable' });
    expect(r.valid).toBe(true);
    expect(r.infoCount).toBe(2);
  });
});

describe('list-append: cycle anomalies', () => {
  it('G0: two txns append to two keys in opposite orders', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1], ['append', 2, 1]])
      .invoke(1, [['append', 1, 2], ['append', 2, 2]])
      .ok(0).ok(1)
      .txn(2, [['r', 1, [1, 2]], ['r', 2, [2, 1]]]);
    const r = check(h);
    expect(r.valid).toBe(false);
    expect(r.anomalyTypes).toEqual(['G0']);
    expect(r.notModels).toEqual(['read-uncommitted']);
    const text = only(r, 'G0');
    expect(text).toContain('T0 < T1 (ww): T1 appended 2 to key 1 right after T0 appended 1');
    expect(text).toContain('T1 < T0 (ww): T0 appended 1 to key 2 right after T1 appended 2');
    expect(text).toContain('write-write');
    const cycle = r.anomalies[0].cycle ?? [];
    expect(cycle.map((s) => s.edge)).toEqual(['ww', 'ww']);
    expect(cycle.map((s) => s.key)).toEqual([1, 2]);
  });

  it('G1c: each txn reads the other one\'s append', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1], ['r', 2, [1]]])
      .invoke(1, [['append', 2, 1], ['r', 1, [1]]])
      .ok(0).ok(1);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G1c']);
    expect(r.notModels).toEqual(['read-committed']);
    const text = only(r, 'G1c');
    expect(text).toContain("T0 read key 2 = [1], observing T1's append of 1");
    expect(text).toContain('(wr)');
    expect(text).toContain('circular information flow');
  });

  it('G-single: read skew, one rw edge', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1], ['append', 2, 1]])
      .invoke(1, [['r', 1, []], ['r', 2, [1]]])
      .ok(0).ok(1)
      .txn(2, [['r', 1, [1]]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G-single']);
    expect(r.notModels).toEqual(['consistent-view', 'repeatable-read']);
    expect(r.alsoNotModels).toContain('snapshot-isolation');
    const text = only(r, 'G-single');
    expect(text).toContain('T0 appended 1 to key 1 after T1 read key 1 = [] without it');
    expect(text).toContain('exactly one anti-dependency');
    expect(check(h, { consistencyModel: 'snapshot-isolation' }).valid).toBe(false);
    expect(check(h, { consistencyModel: 'read-committed' }).valid).toBe(true);
  });

  it('G2-item: write skew, two adjacent rw edges (allowed by snapshot isolation)', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['r', 1, []], ['r', 2, []], ['append', 1, 1]])
      .invoke(1, [['r', 1, []], ['r', 2, []], ['append', 2, 1]])
      .ok(0).ok(1)
      .txn(2, [['r', 1, [1]], ['r', 2, [1]]]);
    const r = check(h);
    expect(r.valid).toBe(false);
    expect(r.anomalyTypes).toEqual(['G2-item']);
    expect(r.notModels).toEqual(['repeatable-read']);
    const text = only(r, 'G2-item');
    expect(text).toContain('T1 appended 1 to key 2 after T0 read key 2 = [] without it');
    expect(text).toContain('T0 appended 1 to key 1 after T1 read key 1 = [] without it');
    expect(r.anomalies[0].cycle?.map((s) => s.edge)).toEqual(['rw', 'rw']);
    const si = check(h, { consistencyModel: 'snapshot-isolation' });
    expect(si.valid).toBe(true);
    expect(si.anomalyTypes).toEqual(['G2-item']);
    expect(si.forbiddenTypes).toEqual([]);
  });

  it('G-nonadjacent: rw edges separated by wr edges (forbidden by snapshot isolation)', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['r', 1, []], ['r', 4, [1]]])
      .invoke(1, [['append', 1, 1], ['append', 2, 1]])
      .invoke(2, [['r', 2, [1]], ['r', 3, []]])
      .invoke(3, [['append', 3, 1], ['append', 4, 1]])
      .ok(0).ok(1).ok(2).ok(3)
      .txn(4, [['r', 1, [1]], ['r', 3, [1]]]);
    const r = check(h, { consistencyModel: 'snapshot-isolation' });
    expect(r.valid).toBe(false);
    expect(r.forbiddenTypes).toEqual(['G-nonadjacent']);
    const text = only(r, 'G-nonadjacent');
    expect(text).toContain('no two of them adjacent');
    const edges = r.anomalies.find((a) => a.type === 'G-nonadjacent')?.cycle?.map((s) => s.edge) ?? [];
    expect(edges.length).toBe(4);
    expect(edges.filter((e) => e === 'rw').length).toBe(2);
  });

  it('G-single-realtime: a read that misses an append completed before it began', () => {
    const h = new TxnHistoryBuilder()
      .txn(0, [['append', 1, 1]])
      .txn(1, [['r', 1, []]])
      .txn(2, [['r', 1, [1]]]);
    const r = check(h, { consistencyModel: 'strict-serializable' });
    expect(r.valid).toBe(false);
    expect(r.anomalyTypes).toEqual(['G-single-realtime']);
    expect(r.notModels).toEqual(['strong-snapshot-isolation']);
    expect(r.alsoNotModels).toEqual(['strict-serializable']);
    const text = only(r, 'G-single-realtime');
    expect(text).toContain('T0 completed (history index 1) before T1 was invoked (history index 2)');
    expect(text).toContain('needs real-time order');
    expect(check(h, { consistencyModel: 'serializable' }).valid).toBe(true);
  });

  it('G-single-process: the same process does not see its own earlier append', () => {
    const h = new TxnHistoryBuilder()
      .txn(0, [['append', 1, 1]])
      .txn(0, [['r', 1, []]])
      .txn(2, [['r', 1, [1]]]);
    const r = check(h, { consistencyModel: 'strong-session-serializable' });
    expect(r.anomalyTypes).toEqual(['G-single-process']);
    expect(only(r, 'G-single-process')).toContain('process 0 ran T0 and then T1');
  });

  it('a search out of budget says unknown, never valid, when no linear check decides', () => {
    // G-nonadjacent; consistent-view forbids G-single, which only the search could rule out here.
    const h = new TxnHistoryBuilder()
      .invoke(0, [['r', 1, []], ['r', 4, [1]]])
      .invoke(1, [['append', 1, 1], ['append', 2, 1]])
      .invoke(2, [['r', 2, [1]], ['r', 3, []]])
      .invoke(3, [['append', 3, 1], ['append', 4, 1]])
      .ok(0).ok(1).ok(2).ok(3)
      .txn(4, [['r', 1, [1]], ['r', 3, [1]]]);
    const r = check(h, { consistencyModel: 'consistent-view', searchStepsMax: 1 });
    expect(r.valid).toBe('unknown');
    expect(r.unknownComponents[0].classes).toContain('G-single');
    expect(r.anomalyTypes).toEqual(['G-nonadjacent']);
    expect(r.unknownReason).toContain('budget');
  });
});

describe('list-append: point anomalies', () => {
  it('G1a: a read observes a failed append', () => {
    const h = new TxnHistoryBuilder().invoke(0, [['append', 1, 1]]).fail(0).txn(1, [['r', 1, [1]]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G1a']);
    expect(r.notModels).toEqual(['read-committed']);
    expect(only(r, 'G1a')).toContain('T1 read key 1 = [1], observing 1, appended by T0, which failed');
  });

  it('G1b: a read observes an append that was not its txn\'s last to that key', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1], ['append', 1, 2]])
      .invoke(1, [['r', 1, [1]]])
      .ok(0).ok(1)
      .txn(2, [['r', 1, [1, 2]]]);
    const r = check(h);
    expect(r.anomalyTypes).toContain('G1b');
    expect(only(r, 'G1b')).toContain('T1 read key 1 = [1], ending in 1, an intermediate append of T0');
  });

  it('internal: a txn does not see its own append', () => {
    const h = new TxnHistoryBuilder()
      .txn(0, [['append', 1, 1]])
      .txn(1, [['r', 1, [1]], ['append', 1, 2], ['r', 1, [1]]])
      .txn(2, [['r', 1, [1, 2]]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['internal']);
    expect(r.notModels).toEqual(['read-uncommitted']);
    expect(only(r, 'internal')).toContain('T1 read key 1 = [1], but its own earlier micro-ops imply [1,2]');
  });

  it('internal: appends without a read must end the list', () => {
    const h = new TxnHistoryBuilder().txn(0, [['append', 1, 5], ['r', 1, [5, 6]]]);
    expect(only(check(h), 'internal')).toContain('a list ending in [5]');
  });

  it('dirty update: a committed append lands on top of a failed one', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1]]).fail(0)
      .txn(1, [['append', 1, 2]])
      .txn(2, [['r', 1, [1, 2]]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G1a', 'dirty-update']);
    expect(only(r, 'dirty-update')).toContain('T1 appended 2 to key 1 on top of 1, written by T0, which failed');
  });

  it('lost update: two txns read the same version and both append', () => {
    const h = new TxnHistoryBuilder()
      .txn(0, [['append', 1, 1]])
      .invoke(1, [['r', 1, [1]], ['append', 1, 2]])
      .invoke(2, [['r', 1, [1]], ['append', 1, 3]])
      .ok(1).ok(2)
      .txn(3, [['r', 1, [1, 2, 3]]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G-single', 'lost-update']);
    expect(only(r, 'lost-update')).toContain('T1 and T2 both read key 1 = [1] and both appended to it');
    expect(r.notModels).toEqual(['cursor-stability', 'consistent-view']);
  });

  it('duplicate elements in a read', () => {
    const h = new TxnHistoryBuilder().txn(0, [['append', 1, 1]]).txn(1, [['r', 1, [1, 1]]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['duplicate-elements']);
    expect(only(r, 'duplicate-elements')).toContain('holds 1 more than once');
  });

  it('incompatible orders: two reads no single order explains', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1]]).invoke(1, [['append', 1, 2]]).ok(0).ok(1)
      .txn(2, [['r', 1, [1, 2]]])
      .txn(3, [['r', 1, [2, 1]]]);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['incompatible-order']);
    expect(only(r, 'incompatible-order')).toContain('T3 read key 1 = [2,1], which is not a prefix of the longest read [1,2]');
    expect(r.valid).toBe(false);
  });

  it('garbage read: a value nobody appended', () => {
    const r = check(new TxnHistoryBuilder().txn(0, [['r', 1, [9]]]));
    expect(r.anomalyTypes).toEqual(['garbage-read']);
    expect(only(r, 'garbage-read')).toContain('no txn ever appended 9');
  });

  it('anomalies named in `anomalies` make the history invalid even when the model allows them', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['r', 1, []], ['r', 2, []], ['append', 1, 1]])
      .invoke(1, [['r', 1, []], ['r', 2, []], ['append', 2, 1]])
      .ok(0).ok(1)
      .txn(2, [['r', 1, [1]], ['r', 2, [1]]]);
    expect(check(h, { consistencyModel: 'read-committed', anomalies: ['G2-item'] }).valid).toBe(false);
    expect(() => check(h, { anomalies: ['G9'] })).toThrow(/anomaly 'G9' is unknown/);
  });

  it('rejects malformed input with the history index', () => {
    const bad = new TxnHistoryBuilder().txn(0, [['append', 1, 1]]);
    bad.ops[1].value = 'nope';
    expect(() => check(bad)).toThrow(/history index 1/);
    const twice = new TxnHistoryBuilder().txn(0, [['append', 1, 1]]).txn(1, [['append', 1, 1]]);
    expect(() => check(twice)).toThrow(/appended twice/);
    expect(() => check(new TxnHistoryBuilder(), { consistencyModel: 'nonsense' })).toThrow(/unknown/);
  });
});
