// workloads/bank.test.ts — the bank workload: init and transfers as conditional transactions, and the conservation checker.
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../lib/rng.ts';
import type { MicroOp } from '../history/op.ts';
import { KvStateMachine } from '../rsm/kv/state-machine.ts';
import { ACCOUNT_COUNT, accountKey, BANK_TOTAL, bankWorkload, checkBank, INITIAL_BALANCE, type Transfer } from './bank.ts';
import { HistoryBuilder } from '../test/support/history-builder.ts';
import { getWorkload } from './index.ts';
import type { KvClientLike } from './types.ts';

const initial = Array.from({ length: ACCOUNT_COUNT }, () => INITIAL_BALANCE);

/** memoryClient: the real KV state machine behind the client calls (one copy, no network). */
function memoryClient(): { client: KvClientLike; sm: KvStateMachine } {
  const sm = new KvStateMachine();
  let seq = 0;
  const run = async (cmd: Parameters<KvStateMachine['apply']>[0]['cmd']) => {
    const r = sm.apply({ clientId: 't', seq: ++seq, cmd });
    return r.type === 'ok' ? { type: 'ok' as const, value: r.value } : { type: 'fail' as const, error: r.error };
  };
  const client: KvClientLike = {
    read: (k) => run({ kind: 'read', key: k }),
    write: (k, v) => run({ kind: 'write', key: k, value: v }),
    cas: (k, expected, v) => run({ kind: 'cas', key: k, expected, value: v }),
    txn: (ops: MicroOp[]) => run({ kind: 'txn', ops }),
  };
  return { client, sm };
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

  it('initialises once, transfers atomically as a conditional transaction, refuses overdrafts', async () => {
    const { client, sm } = memoryClient();
    expect((await bankWorkload.invoke(client, { f: 'transfer', value: { from: 0, to: 1, amount: 1 } })).type).toBe('fail');
    expect((await bankWorkload.invoke(client, { f: 'init', value: initial })).type).toBe('ok');
    expect((await bankWorkload.invoke(client, { f: 'init', value: initial })).type).toBe('fail');
    expect((await bankWorkload.invoke(client, { f: 'transfer', value: { from: 0, to: 1, amount: 4 } })).type).toBe('ok');
    const overdraft = await bankWorkload.invoke(client, { f: 'transfer', value: { from: 0, to: 2, amount: 7 } });
    expect(overdraft).toMatchObject({ type: 'fail', error: 'insufficient funds' });
    expect(Array.from({ length: ACCOUNT_COUNT }, (_, i) => sm.read(accountKey(i)))).toEqual([6, 14, 10, 10, 10]);
    expect(await bankWorkload.invoke(client, { f: 'final-read', value: null })).toMatchObject({ type: 'ok', value: [6, 14, 10, 10, 10] });
  });

  it('a transfer whose balances changed after its read is a definite fail and moves nothing', async () => {
    const { client, sm } = memoryClient();
    await bankWorkload.invoke(client, { f: 'init', value: initial });
    // Another client's transfer lands between this transfer's read and its conditional write.
    const racing: KvClientLike = {
      ...client,
      txn: async (ops) => {
        if (ops[0][0] === 'cas') sm.apply({ clientId: 'other', seq: 1, cmd: { kind: 'txn', ops: [['cas', accountKey(1), [10, 9]], ['cas', accountKey(2), [10, 11]]] } });
        return client.txn(ops);
      },
    };
    const t = await bankWorkload.invoke(racing, { f: 'transfer', value: { from: 0, to: 1, amount: 3 } });
    expect(t).toMatchObject({ type: 'fail' });
    expect(t.error).toMatch(/cas mismatch on key account-1/);
    expect(Array.from({ length: ACCOUNT_COUNT }, (_, i) => sm.read(accountKey(i)))).toEqual([10, 9, 11, 10, 10]);
  });

  it('a read before init is empty (null); a torn state is reported as such', async () => {
    const { client, sm } = memoryClient();
    expect(await bankWorkload.invoke(client, { f: 'read', value: null })).toMatchObject({ type: 'ok', value: null });
    sm.apply({ clientId: 'x', seq: 1, cmd: { kind: 'write', key: accountKey(0), value: 10 } });
    const torn = await bankWorkload.invoke(client, { f: 'read', value: null });
    expect(torn.value).toEqual([10, null, null, null, null]);
    expect(checkBank(new HistoryBuilder().op(0, 'read', null, 0, 'ok', 1, torn.value).ops).valid).toBe(false);
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

  it('flags a second acknowledged init: both copies created the accounts from absent (split brain)', () => {
    const h = new HistoryBuilder()
      .op(0, 'init', initial, 0, 'ok', 1, undefined, 'n1')
      .op(1, 'init', initial, 0, 'ok', 2, undefined, 'n2')
      .op(2, 'init', initial, 3, 'fail', 4)
      .op(0, 'read', null, 5, 'ok', 6, initial);
    const result = checkBank(h.ops);
    expect(result.valid).toBe(false);
    expect(result.anomalies).toEqual(['2 inits acknowledged (a create-from-absent can succeed once): ops 1, 3']);
    expect(result.elementTables[1].rows.map((r) => r.detail)).toEqual(['init acknowledged by n1', 'init acknowledged by n2']);
    // One acknowledged init and a failed one are fine.
    expect(checkBank(new HistoryBuilder().op(0, 'init', initial, 0, 'ok', 1).op(1, 'init', initial, 2, 'fail', 3).op(0, 'read', null, 4, 'ok', 5, initial).ops).valid).toBe(true);
  });

  it('flags final reads that disagree, and is unknown when nothing was read', () => {
    const h = new HistoryBuilder()
      .op(0, 'final-read', null, 0, 'ok', 1, [10, 10, 10, 10, 10], 'n1')
      .op(1, 'final-read', null, 0, 'ok', 1, [9, 11, 10, 10, 10], 'n2');
    expect(checkBank(h.ops).anomalies).toEqual(['final reads disagree (replicas diverged): n1=[10,10,10,10,10], n2=[9,11,10,10,10]']);
    expect(checkBank(new HistoryBuilder().op(0, 'init', initial, 0, 'ok', 1).ops).valid).toBe('unknown');
  });
});
