// workloads/bank.test.ts — the bank workload: init, transfer by cas, and the conservation checker on hand-made histories.
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../rsm/core/rng.ts';
import { ACCOUNT_COUNT, BANK_KEY, BANK_TOTAL, bankWorkload, checkBank, INITIAL_BALANCE, type Transfer } from './bank.ts';
import { HistoryBuilder } from './history-builder.ts';
import { getWorkload } from './index.ts';
import type { KvClientLike } from './types.ts';

const initial = Array.from({ length: ACCOUNT_COUNT }, () => INITIAL_BALANCE);

/** memoryClient: one in-memory key space with JSON-equal cas (as the state machine's). */
function memoryClient(): { client: KvClientLike; data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  const get = (k: string): unknown => data.get(k) ?? null;
  const client: KvClientLike = {
    read: async (k) => ({ type: 'ok', value: structuredClone(get(k)) }),
    write: async (k, v) => (data.set(k, v), { type: 'ok' }),
    cas: async (k, expected, v) => {
      if (JSON.stringify(get(k)) !== JSON.stringify(expected)) return { type: 'fail', error: 'cas mismatch' };
      data.set(k, v);
      return { type: 'ok' };
    },
    txn: async () => ({ type: 'fail' }),
  };
  return { client, data };
}

describe('bank workload', () => {
  it('is registered; each thread first initialises, then transfers between distinct accounts and reads', () => {
    expect(getWorkload('bank')).toBe(bankWorkload);
    const gen = bankWorkload.generator(1, new SeededRng(9), { concurrency: 2, keyCount: 1, nodes: ['n1'] });
    expect(gen.next()).toEqual({ f: 'init', value: initial });
    const ops = Array.from({ length: 50 }, () => gen.next());
    expect(new Set(ops.map((op) => op?.f))).toEqual(new Set(['transfer', 'read']));
    for (const op of ops) {
      if (op?.f !== 'transfer') continue;
      const t = op.value as Transfer;
      expect(t.from).not.toBe(t.to);
      expect(t.amount).toBeGreaterThan(0);
    }
  });

  it('initialises once, transfers atomically by cas of the whole state, refuses overdrafts', async () => {
    const { client, data } = memoryClient();
    expect((await bankWorkload.invoke(client, { f: 'transfer', value: { from: 0, to: 1, amount: 1 } })).type).toBe('fail');
    expect((await bankWorkload.invoke(client, { f: 'init', value: initial })).type).toBe('ok');
    expect((await bankWorkload.invoke(client, { f: 'init', value: initial })).type).toBe('fail');
    expect((await bankWorkload.invoke(client, { f: 'transfer', value: { from: 0, to: 1, amount: 4 } })).type).toBe('ok');
    const overdraft = await bankWorkload.invoke(client, { f: 'transfer', value: { from: 0, to: 2, amount: 7 } });
    expect(overdraft).toMatchObject({ type: 'fail', error: 'insufficient funds' });
    expect(data.get(BANK_KEY)).toEqual([6, 14, 10, 10, 10]);
    expect(await bankWorkload.invoke(client, { f: 'final-read', value: null })).toMatchObject({ type: 'ok', value: [6, 14, 10, 10, 10] });
  });
});

describe('checkBank', () => {
  it('is valid when every read sums to the total with no negative balance (reads before init may be empty)', () => {
    const h = new HistoryBuilder()
      .op(0, 'read', null, 0, 'ok', 1, null)
      .op(1, 'init', initial, 0, 'ok', 2)
      .invoke(2, 'transfer', { from: 0, to: 1, amount: 3 }, 3).complete(2, 'info', 6)
      .op(0, 'read', null, 4, 'ok', 5, [7, 13, 10, 10, 10])
      .op(0, 'final-read', null, 8, 'ok', 9, [7, 13, 10, 10, 10], 'n1')
      .op(1, 'final-read', null, 8, 'ok', 9, [7, 13, 10, 10, 10], 'n2');
    const result = checkBank(h.ops);
    expect(result.anomalies).toEqual([]);
    expect(result).toMatchObject({ valid: true, readCount: 4, badReadCount: 0 });
    expect(BANK_TOTAL).toBe(50);
  });

  it('lists every wrong read: total not conserved, negative balance, accounts vanished', () => {
    const h = new HistoryBuilder()
      .op(0, 'init', initial, 0, 'ok', 1)
      .op(1, 'read', null, 2, 'ok', 3, [7, 10, 10, 10, 10])
      .op(1, 'read', null, 4, 'ok', 5, [-1, 11, 10, 10, 20])
      .op(1, 'read', null, 6, 'ok', 7, null);
    const result = checkBank(h.ops);
    expect(result.valid).toBe(false);
    expect(result.badReads).toEqual([
      { opIndex: 3, balances: [7, 10, 10, 10, 10], total: 47, problem: 'total 47 ≠ 50' },
      { opIndex: 5, balances: [-1, 11, 10, 10, 20], total: 50, problem: 'negative: account 0 at -1' },
      { opIndex: 7, balances: null, total: null, problem: 'accounts missing after they were initialised' },
    ]);
    expect(result.elementTables[0].rows[0].opIndexes).toEqual([2, 3]);
    expect(result.anomalies[0]).toMatch(/^3 wrong read\(s\), first at op 3: \[7,10,10,10,10\] \(total 47 ≠ 50\)/);
  });

  it('flags final reads that disagree, and is unknown when nothing was read', () => {
    const h = new HistoryBuilder()
      .op(0, 'final-read', null, 0, 'ok', 1, [10, 10, 10, 10, 10], 'n1')
      .op(1, 'final-read', null, 0, 'ok', 1, [9, 11, 10, 10, 10], 'n2');
    expect(checkBank(h.ops).anomalies).toEqual(['final reads disagree (replicas diverged): n1=[10,10,10,10,10], n2=[9,11,10,10,10]']);
    expect(checkBank(new HistoryBuilder().op(0, 'init', initial, 0, 'ok', 1).ops).valid).toBe('unknown');
  });
});
