// workloads/bank.ts — transfers between accounts held in one key (read + conditional cas) and whole-state reads.
import type { Op } from '../history/op.ts';
import type { Verdict } from '../checker/types.ts';
import type { ElementRow, ElementTable } from '../reports/elements.ts';
import type { Rng } from '../rsm/core/types.ts';
import { describeDisagreement, finalReadsDisagree, pairOps } from './pairing.ts';
import { opStats } from './stats.ts';
import type { Completion, KvClientLike, OpGenerator, OpSpec, Workload, WorkloadResult } from './types.ts';
import { listGenerator } from './types.ts';

/**
 * BANK_KEY: every balance lives in one key as an array (account i's balance at index i). A
 * transfer reads the array and writes the new one with cas, conditional on the whole state,
 * so it is atomic on this store without a conditional txn micro-op; a read is a whole-state
 * read by construction.
 */
export const BANK_KEY = 'bank';
export const ACCOUNT_COUNT = 5;
export const INITIAL_BALANCE = 10;
/** BANK_TOTAL: what every read must sum to. */
export const BANK_TOTAL = ACCOUNT_COUNT * INITIAL_BALANCE;
const AMOUNT_MAX = 5;
const READ_ODDS = 3;

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

/**
 * transfer: read the balances, refuse (fail, nothing written) when uninitialised or when
 * `from` cannot pay, else cas the whole array; the cas outcome is the transfer's outcome.
 */
async function transfer(client: KvClientLike, t: Transfer): Promise<Completion> {
  const read = await client.read(BANK_KEY);
  if (read.type !== 'ok') return { type: 'fail', error: `read before cas: ${read.type} ${read.error ?? ''}`.trim(), node: read.node };
  if (!isBalances(read.value)) return { type: 'fail', error: `accounts not initialised: ${JSON.stringify(read.value)}`, node: read.node };
  if (read.value[t.from] < t.amount) return { type: 'fail', error: 'insufficient funds', node: read.node };
  const next = [...read.value];
  next[t.from] -= t.amount;
  next[t.to] += t.amount;
  const cas = await client.cas(BANK_KEY, read.value, next);
  return { type: cas.type, error: cas.error, node: cas.node };
}

async function invoke(client: KvClientLike, op: OpSpec): Promise<Completion> {
  switch (op.f) {
    case 'init': {
      const done = await client.cas(BANK_KEY, null, op.value);
      return { type: done.type, error: done.error, node: done.node };
    }
    case 'transfer':
      return transfer(client, op.value as Transfer);
    case 'read':
    case 'final-read':
      return client.read(BANK_KEY);
    default:
      throw new Error(`bank: unknown f ${JSON.stringify(op.f)}`);
  }
}

/** BankResult: every wrong read (op index, balances, total) and the final-read agreement. */
export interface BankResult extends WorkloadResult {
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
 * transfer was acknowledged before it began is wrong too. Final reads must agree.
 */
export function checkBank(history: readonly Op[]): BankResult {
  const pairs = pairOps(history);
  const writesOk = pairs.filter((p) => (p.invoke.f === 'init' || p.invoke.f === 'transfer') && p.type === 'ok').map((p) => p.endNs);
  const firstWriteNs = Math.min(Infinity, ...writesOk);
  const badReads: BankResult['badReads'] = [];
  const rows: ElementRow[] = [];
  let readCount = 0;
  for (const pair of pairs) {
    if ((pair.invoke.f !== 'read' && pair.invoke.f !== 'final-read') || pair.type !== 'ok' || pair.completion === undefined) continue;
    readCount += 1;
    const wrong = wrongness(pair.completion.value, firstWriteNs < pair.startNs);
    if (wrong === undefined) continue;
    badReads.push({ opIndex: pair.completion.index, balances: pair.completion.value, total: wrong.total, problem: wrong.problem });
    rows.push({ element: pair.completion.value, opIndexes: [pair.invoke.index, pair.completion.index], detail: wrong.problem });
  }
  const tables: ElementTable[] = [{ name: 'wrong reads', description: `reads whose balances do not sum to ${BANK_TOTAL} or go negative`, rows }];
  const anomalies: string[] = [];
  if (badReads.length > 0) anomalies.push(`${badReads.length} wrong read(s), first at op ${badReads[0].opIndex}: ${JSON.stringify(badReads[0].balances)} (${badReads[0].problem})`);
  const disagreement = finalReadsDisagree(pairs);
  if (disagreement !== undefined) {
    tables.push({ name: 'final reads disagree', description: 'after healing, replicas answered differently (diverged copies)', rows: disagreement.values.map((v) => ({ element: v.value, opIndexes: [v.opIndex], detail: `final read through ${v.node ?? '?'}` })) });
    anomalies.push(describeDisagreement(disagreement));
  }
  const valid: Verdict = anomalies.length > 0 ? false : readCount === 0 ? 'unknown' : true;
  return { valid, anomalies, readCount, badReadCount: badReads.length, badReads, elementTables: tables };
}

async function check(history: readonly Op[]): Promise<WorkloadResult> {
  return { ...checkBank(history), stats: opStats(history) };
}

/** bankWorkload: Jepsen's bank test with the accounts in one key. */
export const bankWorkload: Workload = {
  name: 'bank',
  description: `transfers between ${ACCOUNT_COUNT} accounts (read + cas of the whole state) and whole-state reads; total conserved, no balance negative, final reads agree`,
  generator,
  finalGenerator,
  invoke,
  check,
};
