// workloads/bank.ts — transfers between accounts as conditional rsm transactions, and whole-state reads.
import type { Op } from '../history/op.ts';
import type { Verdict } from '../checker/types.ts';
import type { ElementRow, ElementTable } from '../checker/elements.ts';
import type { MicroOp } from '../history/op.ts';
import type { Rng } from '../lib/rng.ts';
import { pairOps } from '../history/pair.ts';
import { describeDisagreement, finalReadsDisagree } from './final-reads.ts';
import type { Completion, KvClientLike, OpGenerator, OpSpec, Workload, WorkloadResult } from './types.ts';
import { listGenerator } from './types.ts';

/**
 * Each account is its own key. A transfer reads both balances in one transaction, then writes
 * both in a second one made conditional by `cas` micro-ops on the balances it read: the store
 * applies both writes or neither, so money moves atomically across keys — or, on a store that
 * breaks transactions, visibly does not. A read is one transaction over every account.
 */
export const ACCOUNT_COUNT = 5;
export const INITIAL_BALANCE = 10;
/** BANK_TOTAL: what every read must sum to. */
export const BANK_TOTAL = ACCOUNT_COUNT * INITIAL_BALANCE;
const AMOUNT_MAX = 5;
const READ_ODDS = 3;

/** accountKey names account i's key in the store. */
export function accountKey(i: number): string {
  return `account-${i}`;
}

const ACCOUNT_KEYS = Array.from({ length: ACCOUNT_COUNT }, (_, i) => accountKey(i));

/** Transfer: the value of a transfer op. */
export interface Transfer {
  from: number;
  to: number;
  amount: number;
}

/**
 * generator: each thread first asks to initialise the accounts (a cas from absent, so exactly
 * one succeeds whichever thread gets there first); then transfers and reads.
 */
function generator(_thread: number, rng: Rng): OpGenerator {
  let started = false;
  return {
    next: () => {
      if (!started) {
        started = true;
        return { f: 'init', value: Array.from({ length: ACCOUNT_COUNT }, () => INITIAL_BALANCE) };
      }
      if (rng.int(READ_ODDS) === 0) return { f: 'read', value: null };
      const from = rng.int(ACCOUNT_COUNT);
      const to = (from + 1 + rng.int(ACCOUNT_COUNT - 1)) % ACCOUNT_COUNT;
      const transfer: Transfer = { from, to, amount: 1 + rng.int(AMOUNT_MAX) };
      return { f: 'transfer', value: transfer };
    },
  };
}

/** finalGenerator: after healing each thread reads every balance once through its own node. */
function finalGenerator(): OpGenerator {
  return listGenerator([{ f: 'final-read', value: null }]);
}

function isBalances(value: unknown): value is number[] {
  return Array.isArray(value) && value.length === ACCOUNT_COUNT && value.every((b) => typeof b === 'number' && Number.isSafeInteger(b));
}

/** readValues maps a completed read-only transaction to the values it read, in order. */
function readValues(value: unknown): unknown[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return (value as MicroOp[]).map((op) => op[2]);
}

/** readAccounts reads every balance in one transaction: the array of balances, or null before init. */
async function readAccounts(client: KvClientLike): Promise<Completion> {
  const read = await client.txn(ACCOUNT_KEYS.map((k): MicroOp => ['r', k, null]));
  if (read.type !== 'ok') return read;
  const values = readValues(read.value);
  // No account at all means "not initialised yet"; a mix of present and absent is a torn state.
  const balances = values !== undefined && values.every((v) => v === null) ? null : values;
  return { type: 'ok', value: balances, node: read.node };
}

/**
 * transfer: read both balances in one transaction; refuse (fail, nothing written) when the
 * accounts are uninitialised or `from` cannot pay; else one transaction with a cas on each
 * balance read. Its outcome (ok, definite fail on a changed balance, or info) is the transfer's.
 */
async function transfer(client: KvClientLike, t: Transfer): Promise<Completion> {
  const [fromKey, toKey] = [accountKey(t.from), accountKey(t.to)];
  const read = await client.txn([['r', fromKey, null], ['r', toKey, null]]);
  if (read.type !== 'ok') return { type: 'fail', error: `read before transfer: ${read.type} ${read.error ?? ''}`.trim(), node: read.node };
  const [fromBalance, toBalance] = readValues(read.value) ?? [];
  if (typeof fromBalance !== 'number' || typeof toBalance !== 'number') {
    return { type: 'fail', error: `accounts not initialised: ${JSON.stringify([fromBalance, toBalance])}`, node: read.node };
  }
  if (fromBalance < t.amount) return { type: 'fail', error: 'insufficient funds', node: read.node };
  const done = await client.txn([
    ['cas', fromKey, [fromBalance, fromBalance - t.amount]],
    ['cas', toKey, [toBalance, toBalance + t.amount]],
  ]);
  return { type: done.type, error: done.error, node: done.node };
}

async function invoke(client: KvClientLike, op: OpSpec): Promise<Completion> {
  switch (op.f) {
    case 'init': {
      // One transaction creating every account from absent: exactly one thread's init wins.
      const balances = op.value as number[];
      const done = await client.txn(ACCOUNT_KEYS.map((k, i): MicroOp => ['cas', k, [null, balances[i]]]));
      return { type: done.type, error: done.error, node: done.node };
    }
    case 'transfer':
      return transfer(client, op.value as Transfer);
    case 'read':
    case 'final-read':
      return readAccounts(client);
    default:
      throw new Error(`bank: unknown f ${JSON.stringify(op.f)}`);
  }
}

/** BankResult: every wrong read (op index, balances, total) and the final-read agreement. */
export interface BankResult extends WorkloadResult {
  kind: 'bank';
  valid: Verdict;
  readCount: number;
  badReadCount: number;
  badReads: Array<{ opIndex: number; balances: unknown; total: number | null; problem: string }>;
  elementTables: ElementTable[];
}

/** wrongness says what is wrong with one read's balances, or undefined. */
function wrongness(value: unknown, initialisedBefore: boolean): { problem: string; total: number | null } | undefined {
  if (value === null || value === undefined) return initialisedBefore ? { problem: 'accounts missing after they were initialised', total: null } : undefined;
  if (!isBalances(value)) return { problem: `not ${ACCOUNT_COUNT} integer balances`, total: null };
  const total = value.reduce((a, b) => a + b, 0);
  const problems: string[] = [];
  if (total !== BANK_TOTAL) problems.push(`total ${total} ≠ ${BANK_TOTAL}`);
  const negative = value.flatMap((b, i) => (b < 0 ? [`account ${i} at ${b}`] : []));
  if (negative.length > 0) problems.push(`negative: ${negative.join(', ')}`);
  return problems.length === 0 ? undefined : { problem: problems.join('; '), total };
}

/**
 * checkBank is Jepsen's bank checker on whole-state reads: in every ok read the balances sum
 * to BANK_TOTAL and none is negative; a read that finds no accounts although an init or
 * transfer was acknowledged before it began is wrong too. At most one init may succeed, and
 * final reads must agree.
 */
export function checkBank(history: readonly Op[]): BankResult {
  const pairs = pairOps(history);
  const writesOk = pairs.filter((p) => (p.invoke.f === 'init' || p.invoke.f === 'transfer') && p.type === 'ok').map((p) => p.end);
  const firstWriteAt = Math.min(Infinity, ...writesOk);
  const badReads: BankResult['badReads'] = [];
  const rows: ElementRow[] = [];
  let readCount = 0;
  for (const pair of pairs) {
    if ((pair.invoke.f !== 'read' && pair.invoke.f !== 'final-read') || pair.type !== 'ok' || pair.completion === undefined) continue;
    readCount += 1;
    const wrong = wrongness(pair.completion.value, firstWriteAt < pair.start);
    if (wrong === undefined) continue;
    badReads.push({ opIndex: pair.completion.index, balances: pair.completion.value, total: wrong.total, problem: wrong.problem });
    rows.push({ element: pair.completion.value, opIndexes: [pair.invoke.index, pair.completion.index], detail: wrong.problem });
  }
  const tables: ElementTable[] = [{ name: 'wrong reads', description: `reads whose balances do not sum to ${BANK_TOTAL} or go negative`, rows }];
  const anomalies: string[] = [];
  if (badReads.length > 0) anomalies.push(`${badReads.length} wrong read(s), first at op ${badReads[0].opIndex}: ${JSON.stringify(badReads[0].balances)} (${badReads[0].problem})`);
  // Every init is a cas from absent on every account, and nothing deletes accounts: a second
  // acknowledged init means two copies each believed the accounts did not exist (split brain).
  const inits = pairs.filter((p) => p.invoke.f === 'init' && p.type === 'ok' && p.completion !== undefined);
  if (inits.length > 1) {
    tables.push({ name: 'inits acknowledged twice', description: 'an init creates the accounts from absent, so at most one can succeed', rows: inits.map((p) => ({ element: p.completion?.node ?? '?', opIndexes: [p.invoke.index, p.completion!.index], detail: `init acknowledged${p.completion?.node === undefined ? '' : ` by ${p.completion.node}`}` })) });
    anomalies.push(`${inits.length} inits acknowledged (a create-from-absent can succeed once): ops ${inits.map((p) => p.completion!.index).join(', ')}`);
  }
  const disagreement = finalReadsDisagree(pairs);
  if (disagreement !== undefined) {
    tables.push({ name: 'final reads disagree', description: 'after healing, replicas answered differently (diverged copies)', rows: disagreement.values.map((v) => ({ element: v.value, opIndexes: [v.opIndex], detail: `final read through ${v.node ?? '?'}` })) });
    anomalies.push(describeDisagreement(disagreement));
  }
  const valid: Verdict = anomalies.length > 0 ? false : readCount === 0 ? 'unknown' : true;
  return { kind: 'bank', valid, anomalies, readCount, badReadCount: badReads.length, badReads, elementTables: tables };
}

async function check(history: readonly Op[]): Promise<WorkloadResult> {
  return checkBank(history);
}

/** bankWorkload: Jepsen's bank test, one key per account, transfers as conditional transactions. */
export const bankWorkload: Workload = {
  name: 'bank',
  description: `transfers between ${ACCOUNT_COUNT} accounts (keys) as conditional transactions and whole-state reads; total conserved, no balance negative, final reads agree`,
  generator,
  finalGenerator,
  invoke,
  check,
};
