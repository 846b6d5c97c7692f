// checker/elle/rw-register.test.ts — hand-built rw-register histories: each anomaly class detected and explained.
import { describe, expect, it } from 'vitest';
import { checkElle } from './check.ts';
import { TxnHistoryBuilder } from '../../test/support/txn-history-builder.ts';
import type { ElleOptions, ElleResult } from './types.ts';

function check(h: TxnHistoryBuilder, opts: Partial<ElleOptions> = {}): ElleResult {
  return checkElle(h.ops, { workload: 'rw-register', consistencyModel: 'serializable', ...opts });
}

function only(r: ElleResult, type: string): string {
  const found = r.anomalies.filter((a) => a.type === type);
  expect(found.length, `${type} in ${JSON.stringify(r.anomalyTypes)}`).toBeGreaterThan(0);
  return found[0].explanation;
}

describe('rw-register', () => {
  it('a serial history reports nothing', () => {
    const h = new TxnHistoryBuilder()
      .txn(0, [['r', 1, null], ['w', 1, 1]])
      .txn(1, [['r', 1, 1], ['w', 1, 2], ['w', 2, 1]])
      .txn(0, [['r', 1, 2], ['r', 2, 1], ['w', 2, 2], ['r', 2, 2]]);
    const r = check(h, { consistencyModel: 'strict-serializable' });
    expect(r.valid).toBe(true);
    expect(r.anomalyTypes).toEqual([]);
  });

  it('G0: writes ordered oppositely on two keys', () => {
    // Each txn reads the other's write on one key and overwrites it: ww both ways.
    const g0 = new TxnHistoryBuilder()
      .invoke(0, [['r', 1, null], ['w', 1, 1], ['r', 2, 2], ['w', 2, 3]])
      .invoke(1, [['r', 2, null], ['w', 2, 2], ['r', 1, 1], ['w', 1, 4]])
      .ok(0).ok(1);
    const r0 = check(g0);
    expect(r0.anomalyTypes).toContain('G0');
    const text = only(r0, 'G0');
    expect(text).toContain('T1 wrote 4 to key 1 over 1, written by T0');
    expect(text).toContain('T0 wrote 3 to key 2 over 2, written by T1');
  });

  it('G1c: each txn reads the other\'s write', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['w', 1, 1], ['r', 2, 1]])
      .invoke(1, [['w', 2, 1], ['r', 1, 1]])
      .ok(0).ok(1);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G1c']);
    expect(only(r, 'G1c')).toContain('T0 read key 2 = 1, written by T1');
  });

  it('G-single: read skew against the initial version', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['w', 1, 1], ['w', 2, 1]])
      .invoke(1, [['r', 1, null], ['r', 2, 1]])
      .ok(0).ok(1);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G-single']);
    expect(only(r, 'G-single')).toContain("T0 wrote 1 to key 1, a later version than T1's read of key 1 = null (the initial version)");
  });

  it('G2-item: write skew; snapshot isolation allows it', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['r', 1, null], ['r', 2, null], ['w', 1, 1]])
      .invoke(1, [['r', 1, null], ['r', 2, null], ['w', 2, 1]])
      .ok(0).ok(1);
    const r = check(h);
    expect(r.anomalyTypes).toEqual(['G2-item']);
    expect(r.valid).toBe(false);
    expect(check(h, { consistencyModel: 'snapshot-isolation' }).valid).toBe(true);
  });

  it('G1a, G1b, garbage and internal reads', () => {
    const h = new TxnHistoryBuilder()
      .invoke(0, [['w', 1, 1]]).fail(0)
      .txn(1, [['r', 1, 1]])
      .invoke(2, [['w', 2, 1], ['w', 2, 2]])
      .invoke(3, [['r', 2, 1]])
      .ok(2).ok(3)
      .txn(4, [['r', 3, 7]])
      .txn(5, [['w', 4, 1], ['r', 4, 2]]);
    const r = check(h);
    // As in Elle, only a txn's last write to a key is a version others can order against, so the
    // intermediate read is G1b and nothing more (no cycle through T2's own writes).
    expect(r.anomalyTypes).toEqual(['G1a', 'G1b', 'garbage-read', 'internal']);
    expect(only(r, 'G1a')).toContain('T1 read key 1 = 1, written by T0, which failed');
    expect(only(r, 'G1b')).toContain('T3 read key 2 = 1, an intermediate write of T2');
    expect(only(r, 'garbage-read')).toContain('no txn ever wrote 7');
    expect(only(r, 'internal')).toContain('T5 read key 4 = 2, but its own earlier micro-ops imply 1');
  });

  it('lost update: two txns read the same value and both overwrite it', () => {
    const h = new TxnHistoryBuilder()
      .txn(0, [['w', 1, 1]])
      .invoke(1, [['r', 1, 1], ['w', 1, 2]])
      .invoke(2, [['r', 1, 1], ['w', 1, 3]])
      .ok(1).ok(2);
    const r = check(h);
    expect(r.anomalyTypes).toContain('lost-update');
    expect(only(r, 'lost-update')).toContain('T1 and T2 both read key 1 = 1 and both wrote it');
    // The order of 2 and 3 is unknown, so each reader anti-depends on the other's write: two rw edges.
    expect(r.anomalyTypes).toContain('G2-item');
  });

  it('rejects duplicate writes', () => {
    const h = new TxnHistoryBuilder().txn(0, [['w', 1, 1]]).txn(1, [['w', 1, 1]]);
    expect(() => check(h)).toThrow(/written twice/);
  });
});
