// checker/elle/elle-rules.test.ts — one ok/bad hand-built history pair per Elle inference rule, named after Elle's source.
//
// Rules read in jepsen-io/elle (src/elle/list_append.clj, rw_register.clj, txn.clj, core.clj);
// each test name cites the file and function whose rule it pins down.
import { describe, expect, it } from 'vitest';
import { checkElle } from './check.ts';
import { TxnHistoryBuilder } from '../../test/support/txn-history-builder.ts';
import type { ElleOptions, ElleResult } from './types.ts';

function la(h: TxnHistoryBuilder, opts: Partial<ElleOptions> = {}): ElleResult {
  return checkElle(h.ops, { workload: 'list-append', consistencyModel: 'serializable', ...opts });
}

function rr(h: TxnHistoryBuilder, opts: Partial<ElleOptions> = {}): ElleResult {
  return checkElle(h.ops, { workload: 'rw-register', consistencyModel: 'serializable', ...opts });
}

function explanation(r: ElleResult, type: string): string {
  const a = r.anomalies.find((x) => x.type === type);
  expect(a, `${type} in ${JSON.stringify(r.anomalyTypes)}`).toBeDefined();
  return a?.explanation ?? '';
}

describe('list_append.clj', () => {
  it('list_append.clj append-index: the longest read orders appends (ww); consistent reads pass, opposite orders are G0', () => {
    const ok = new TxnHistoryBuilder().txn(0, [['append', 1, 1]]).txn(1, [['append', 1, 2]]).txn(2, [['r', 1, [1, 2]]]);
    expect(la(ok, { consistencyModel: 'strict-serializable' }).valid).toBe(true);
    const bad = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1], ['append', 2, 1]]).invoke(1, [['append', 1, 2], ['append', 2, 2]]).ok(0).ok(1)
      .txn(2, [['r', 1, [1, 2]], ['r', 2, [2, 1]]]);
    expect(la(bad, { consistencyModel: 'read-uncommitted' }).forbiddenTypes).toEqual(['G0']);
  });

  it('list_append.clj previously-appended-element: an append no read shows follows the last element read (ww, rw); Elle\'s G2-item fails repeatable-read', () => {
    // Write skew whose appends nobody reads: each txn read the other's key empty, and the other's
    // append, never observed, still came after that empty state.
    const bad = new TxnHistoryBuilder()
      .invoke(0, [['r', 1, []], ['r', 2, []], ['append', 1, 1]])
      .invoke(1, [['r', 1, []], ['r', 2, []], ['append', 2, 1]])
      .ok(0).ok(1);
    const r = la(bad, { consistencyModel: 'repeatable-read' });
    expect(r.valid).toBe(false);
    expect(r.forbiddenTypes).toEqual(['G2-item']);
    expect(explanation(r, 'G2-item')).toContain('T1 appended 1 to key 2, which no read shows, so after every element a read shows; T0 read key 2 = [] without it');
    // The unread append after a read of [1]: ww from 1's writer, rw from that read, no cycle.
    const ok = new TxnHistoryBuilder().txn(0, [['append', 1, 1]]).txn(1, [['r', 1, [1]]]).txn(2, [['append', 1, 2]]);
    const fine = la(ok, { consistencyModel: 'strict-serializable' });
    expect(fine.valid).toBe(true);
    expect(fine.edgeCount).toBeGreaterThanOrEqual(3);
    // ...and an unread append that must follow [1] but preceded its reader in real time is caught.
    const late = new TxnHistoryBuilder().txn(0, [['append', 1, 1]]).txn(2, [['append', 1, 2]]).txn(1, [['r', 1, [1]]]);
    const rt = la(late, { consistencyModel: 'strict-serializable' });
    expect(rt.forbiddenTypes).toEqual(['G-single-realtime']);
    expect(explanation(rt, 'G-single-realtime')).toContain('T1 appended 2 to key 1, which no read shows');
  });

  it('list_append.clj values-from-single-appends: a key\'s only append, never read, still follows the empty state', () => {
    const bad = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1], ['append', 2, 1]])
      .invoke(1, [['r', 1, []], ['r', 2, [1]]])
      .ok(0).ok(1);
    expect(la(bad).forbiddenTypes).toEqual(['G-single']);
    const ok = new TxnHistoryBuilder().txn(1, [['r', 1, []]]).txn(0, [['append', 1, 1], ['append', 2, 1]]).txn(1, [['r', 2, [1]]]);
    expect(la(ok, { consistencyModel: 'strict-serializable' }).valid).toBe(true);
  });

  it('list_append.clj wr-mop-dep: a read depends on the append of its last element (G1c when both ways)', () => {
    const bad = new TxnHistoryBuilder().invoke(0, [['append', 1, 1], ['r', 2, [1]]]).invoke(1, [['append', 2, 1], ['r', 1, [1]]]).ok(0).ok(1);
    expect(la(bad, { consistencyModel: 'read-committed' }).forbiddenTypes).toEqual(['G1c']);
    const ok = new TxnHistoryBuilder().txn(0, [['append', 1, 1]]).txn(1, [['append', 2, 1], ['r', 1, [1]]]).txn(0, [['r', 2, [1]]]);
    expect(la(ok, { consistencyModel: 'strict-serializable' }).valid).toBe(true);
  });

  it('list_append.clj rw-mop-deps: a read precedes the next append in the version order, from every read, internal ones too', () => {
    const bad = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1], ['append', 2, 1]]).invoke(1, [['r', 1, []], ['r', 2, [1]]]).ok(0).ok(1)
      .txn(2, [['r', 1, [1]]]);
    expect(la(bad).forbiddenTypes).toEqual(['G-single']);
    const ok = new TxnHistoryBuilder().txn(1, [['r', 1, []], ['append', 1, 0], ['r', 1, [0]]]).txn(0, [['append', 1, 1]]).txn(2, [['r', 1, [0, 1]]]);
    expect(la(ok, { consistencyModel: 'strict-serializable' }).valid).toBe(true);
  });

  it('list_append.clj g1a-cases: every read of a failed append is reported, not only the longest', () => {
    const bad = new TxnHistoryBuilder().invoke(0, [['append', 1, 1]]).fail(0).txn(1, [['r', 1, [1]]]).txn(2, [['append', 1, 2]]).txn(3, [['r', 1, [1, 2]]]);
    const r = la(bad, { consistencyModel: 'read-committed' });
    expect(r.anomalyCounts.G1a).toBe(2);
    const ok = new TxnHistoryBuilder().invoke(0, [['append', 1, 1]]).fail(0).txn(1, [['r', 1, []]]);
    expect(la(ok, { consistencyModel: 'read-committed' }).valid).toBe(true);
  });

  it('list_append.clj g1b-cases: a read ending in an append its txn followed with another', () => {
    const bad = new TxnHistoryBuilder().invoke(0, [['append', 1, 1], ['append', 1, 2]]).invoke(1, [['r', 1, [1]]]).ok(0).ok(1);
    expect(la(bad, { consistencyModel: 'read-committed' }).forbiddenTypes).toContain('G1b');
    const ok = new TxnHistoryBuilder().txn(0, [['append', 1, 1], ['append', 1, 2]]).txn(1, [['r', 1, [1, 2]]]);
    expect(la(ok, { consistencyModel: 'read-committed' }).valid).toBe(true);
  });

  it('list_append.clj op-int-case: a read must agree with the txn\'s own earlier appends and reads', () => {
    const bad = new TxnHistoryBuilder().txn(0, [['r', 1, []], ['append', 1, 1], ['r', 1, []]]);
    expect(la(bad, { consistencyModel: 'read-uncommitted' }).forbiddenTypes).toEqual(['internal']);
    const ok = new TxnHistoryBuilder().txn(0, [['r', 1, []], ['append', 1, 1], ['r', 1, [1]]]);
    expect(la(ok, { consistencyModel: 'read-uncommitted' }).valid).toBe(true);
  });

  it('list_append.clj op-future-read-case: a read holding an element its own txn appends later', () => {
    const bad = new TxnHistoryBuilder().txn(0, [['r', 1, [1]], ['append', 1, 1]]);
    const r = la(bad, { consistencyModel: 'read-committed' });
    expect(r.forbiddenTypes).toContain('future-read');
    expect(explanation(r, 'future-read')).toContain('T0 read key 1 = [1], which holds 1, before it appended 1 itself');
    expect(la(bad, { consistencyModel: 'read-uncommitted' }).forbiddenTypes).not.toContain('future-read');
    const ok = new TxnHistoryBuilder().txn(0, [['r', 1, []], ['append', 1, 1]]);
    expect(la(ok, { consistencyModel: 'read-committed' }).valid).toBe(true);
  });

  it('list_append.clj dirty-update-cases: a committed append on a failed one, info appends between', () => {
    const bad = new TxnHistoryBuilder()
      .invoke(0, [['append', 1, 1]]).fail(0).invoke(1, [['append', 1, 2]]).info(1).txn(2, [['append', 1, 3]])
      .txn(3, [['r', 1, [1, 2, 3]]]);
    const r = la(bad, { consistencyModel: 'read-committed' });
    expect(r.anomalyCounts['dirty-update']).toBe(1);
    expect(explanation(r, 'dirty-update')).toContain('T2 appended 3 to key 1 on top of 1, written by T0, which failed');
    // A failed append with only info appends after it: Elle cannot say, so neither do we.
    const ok = new TxnHistoryBuilder().invoke(0, [['append', 1, 1]]).fail(0).invoke(1, [['append', 1, 2]]).info(1).txn(3, [['r', 1, [1, 2]]]);
    expect(la(ok, { consistencyModel: 'read-committed' }).anomalyCounts['dirty-update']).toBeUndefined();
  });

  it('list_append.clj duplicates: an element twice in one read', () => {
    expect(la(new TxnHistoryBuilder().txn(0, [['append', 1, 1]]).txn(1, [['r', 1, [1, 1]]]), { consistencyModel: 'read-uncommitted' }).forbiddenTypes)
      .toEqual(['duplicate-elements']);
    expect(la(new TxnHistoryBuilder().txn(0, [['append', 1, 1]]).txn(1, [['r', 1, [1]]]), { consistencyModel: 'read-uncommitted' }).valid).toBe(true);
  });

  it('list_append.clj incompatible-orders: every read must be a prefix of the longest', () => {
    const base = (): TxnHistoryBuilder => new TxnHistoryBuilder().invoke(0, [['append', 1, 1]]).invoke(1, [['append', 1, 2]]).ok(0).ok(1).txn(2, [['r', 1, [1, 2]]]);
    expect(la(base().txn(3, [['r', 1, [2]]]), { consistencyModel: 'read-uncommitted' }).forbiddenTypes).toEqual(['incompatible-order']);
    expect(la(base().txn(3, [['r', 1, [1]]]), { consistencyModel: 'read-uncommitted' }).valid).toBe(true);
  });
});

describe('txn.clj', () => {
  it('txn.clj lost-update-cases: two committed txns read the same version of a key and both write it', () => {
    const bad = new TxnHistoryBuilder().invoke(1, [['r', 1, []], ['append', 1, 2]]).invoke(2, [['r', 1, []], ['append', 1, 3]]).ok(1).ok(2);
    expect(la(bad, { consistencyModel: 'cursor-stability' }).forbiddenTypes).toContain('lost-update');
    const badRr = new TxnHistoryBuilder().invoke(1, [['r', 1, null], ['w', 1, 2]]).invoke(2, [['r', 1, null], ['w', 1, 3]]).ok(1).ok(2);
    expect(rr(badRr, { consistencyModel: 'cursor-stability' }).forbiddenTypes).toContain('lost-update');
    const ok = new TxnHistoryBuilder().txn(1, [['r', 1, []], ['append', 1, 2]]).txn(2, [['r', 1, [2]], ['append', 1, 3]]);
    expect(la(ok, { consistencyModel: 'cursor-stability' }).valid).toBe(true);
  });

  it('txn.clj cycle-exists-cases: out of budget, a cyclic subgraph still proves the model violated', () => {
    const skew = new TxnHistoryBuilder()
      .invoke(0, [['r', 1, []], ['r', 2, []], ['append', 1, 1]]).invoke(1, [['r', 1, []], ['r', 2, []], ['append', 2, 1]]).ok(0).ok(1);
    const bad = la(skew, { consistencyModel: 'repeatable-read', searchStepsMax: 1 });
    expect(bad.valid).toBe(false);
    expect(bad.forbiddenTypes).toEqual(['G2-item']);
    expect(explanation(bad, 'G2-item')).toContain('Found by the fallback search');
    // The same write skew under consistent-view: the snapshot-isolation subgraph (ww, wr, then
    // single rw hops) has no component, so G-single is ruled out without any search.
    const ok = la(skew, { consistencyModel: 'consistent-view', searchStepsMax: 1 });
    expect(ok.valid).toBe(true);
    expect(ok.unknownComponents).toEqual([]);
  });

  it('txn.clj cycle-exists-cases: a proof without an example names the subgraph and the model', () => {
    // G-nonadjacent: its fallback example is G-nonadjacent, which also rules out snapshot
    // isolation, so PL-SI-cycle-exists is redundant and dropped as Elle's remove-redundant-cycle-exists does.
    const h = new TxnHistoryBuilder()
      .invoke(0, [['r', 1, []], ['r', 4, [1]]]).invoke(1, [['append', 1, 1], ['append', 2, 1]])
      .invoke(2, [['r', 2, [1]], ['r', 3, []]]).invoke(3, [['append', 3, 1], ['append', 4, 1]])
      .ok(0).ok(1).ok(2).ok(3);
    const r = la(h, { consistencyModel: 'snapshot-isolation', searchStepsMax: 1 });
    expect(r.valid).toBe(false);
    expect(r.anomalyTypes).toEqual(['G-nonadjacent']);
    expect(la(h, { consistencyModel: 'snapshot-isolation' }).anomalyTypes).toEqual(['G-nonadjacent']);
  });
});

describe('core.clj', () => {
  it('core.clj process-graph: a process sees its own earlier append', () => {
    const bad = new TxnHistoryBuilder().txn(0, [['append', 1, 1]]).txn(0, [['r', 1, []]]).txn(2, [['r', 1, [1]]]);
    expect(la(bad, { consistencyModel: 'strong-session-serializable' }).forbiddenTypes).toEqual(['G-single-process']);
    const ok = new TxnHistoryBuilder().txn(0, [['append', 1, 1]]).txn(1, [['r', 1, []]]).txn(2, [['r', 1, [1]]]);
    expect(la(ok, { consistencyModel: 'strong-session-serializable' }).valid).toBe(true);
  });

  it('core.clj realtime-graph: a txn sees every append completed before it began', () => {
    const bad = new TxnHistoryBuilder().txn(0, [['append', 1, 1]]).txn(1, [['r', 1, []]]).txn(2, [['r', 1, [1]]]);
    expect(la(bad, { consistencyModel: 'strict-serializable' }).forbiddenTypes).toEqual(['G-single-realtime']);
    const ok = new TxnHistoryBuilder().invoke(0, [['append', 1, 1]]).txn(1, [['r', 1, []]]).ok(0).txn(2, [['r', 1, [1]]]);
    expect(la(ok, { consistencyModel: 'strict-serializable' }).valid).toBe(true);
  });
});

describe('rw_register.clj', () => {
  it('rw_register.clj initial-state-version-graphs: null precedes every version', () => {
    const bad = new TxnHistoryBuilder().invoke(0, [['w', 1, 1], ['w', 2, 1]]).invoke(1, [['r', 1, null], ['r', 2, 1]]).ok(0).ok(1);
    expect(rr(bad).forbiddenTypes).toEqual(['G-single']);
    const ok = new TxnHistoryBuilder().txn(1, [['r', 1, null]]).txn(0, [['w', 1, 1], ['w', 2, 1]]).txn(1, [['r', 2, 1]]);
    expect(rr(ok, { consistencyModel: 'strict-serializable' }).valid).toBe(true);
  });

  it('rw_register.clj wfr-version-graphs: a txn\'s write follows its own read (on by default; wfrKeys: false is Elle\'s default)', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['r', 1, null], ['w', 1, 1], ['r', 2, 2], ['w', 2, 3]])
      .invoke(1, [['r', 2, null], ['w', 2, 2], ['r', 1, 1], ['w', 1, 4]])
      .ok(0).ok(1);
    expect(rr(h).anomalyTypes).toContain('G0');
    expect(rr(h, { wfrKeys: false }).anomalyTypes).not.toContain('G0');
  });

  /** Process 0 writes x = 1 then x = 2; T2 reads x = 1 and the z = 5 that T1 wrote with x = 2. */
  const ordered = (sameProcess: boolean): TxnHistoryBuilder => new TxnHistoryBuilder()
    .txn(0, [['w', 1, 1]])
    .txn(sameProcess ? 0 : 3, [['w', 1, 2], ['w', 3, 5]])
    .txn(1, [['r', 1, 1], ['r', 3, 5]]);

  it('rw_register.clj sequential-keys (transaction-graph->version-graphs over process-graph): process order orders versions', () => {
    expect(rr(ordered(true)).valid).toBe(true);
    const r = rr(ordered(true), { sequentialKeys: true });
    expect(r.forbiddenTypes).toEqual(['G-single']);
    expect(explanation(r, 'G-single')).toContain('the same process met it first (sequential keys)');
    expect(rr(ordered(false), { sequentialKeys: true }).valid).toBe(true);
  });

  it('rw_register.clj linearizable-keys (transaction-graph->version-graphs over realtime-graph): real time orders versions', () => {
    // T0 (x = 1) completes before T1 (x = 2, z = 5) and T2 (reads x = 1, z = 5) begin; T1 and T2 overlap.
    const h = new TxnHistoryBuilder()
      .txn(0, [['w', 1, 1]])
      .invoke(3, [['w', 1, 2], ['w', 3, 5]]).invoke(1, [['r', 1, 1], ['r', 3, 5]]).ok(3).ok(1);
    expect(rr(h).valid).toBe(true);
    const r = rr(h, { linearizableKeys: true });
    expect(r.forbiddenTypes).toEqual(['G-single']);
    expect(explanation(r, 'G-single')).toContain('linearizable keys');
    // Had T2 begun after T1 completed, its read of x = 1 would put 2 before 1: cyclic.
    expect(rr(ordered(false), { linearizableKeys: true, consistencyModel: 'read-uncommitted' }).forbiddenTypes).toEqual(['cyclic-versions']);
  });

  it('rw_register.clj cyclic-version-cases: a source that makes versions cyclic is dropped and reported', () => {
    // Process 0 wrote x = 1 and then read the initial null: sequential keys would put 1 before null.
    const bad = new TxnHistoryBuilder().txn(0, [['w', 1, 1]]).txn(0, [['r', 1, null]]);
    const r = rr(bad, { sequentialKeys: true, consistencyModel: 'read-uncommitted' });
    expect(r.forbiddenTypes).toEqual(['cyclic-versions']);
    expect(explanation(r, 'cyclic-versions')).toContain('with sequential-keys, the versions [null,1] of key 1');
    const ok = new TxnHistoryBuilder().txn(0, [['w', 1, 1]]).txn(0, [['r', 1, 1]]);
    expect(rr(ok, { sequentialKeys: true, consistencyModel: 'read-uncommitted' }).valid).toBe(true);
  });

  it('rw_register.clj g1a-cases, g1b-cases, op-internal-case: aborted, intermediate and inconsistent reads', () => {
    const g1a = new TxnHistoryBuilder().invoke(0, [['w', 1, 1]]).fail(0).txn(1, [['r', 1, 1]]);
    expect(rr(g1a, { consistencyModel: 'read-committed' }).forbiddenTypes).toEqual(['G1a']);
    const g1b = new TxnHistoryBuilder().invoke(0, [['w', 1, 1], ['w', 1, 2]]).invoke(1, [['r', 1, 1]]).ok(0).ok(1);
    expect(rr(g1b, { consistencyModel: 'read-committed' }).forbiddenTypes).toEqual(['G1b']);
    const internal = new TxnHistoryBuilder().txn(0, [['w', 1, 1], ['r', 1, null]]);
    expect(rr(internal, { consistencyModel: 'read-uncommitted' }).forbiddenTypes).toEqual(['internal']);
    const ok = new TxnHistoryBuilder().txn(0, [['w', 1, 1], ['w', 1, 2], ['r', 1, 2]]).txn(1, [['r', 1, 2]]);
    expect(rr(ok, { consistencyModel: 'strict-serializable' }).valid).toBe(true);
  });
});
