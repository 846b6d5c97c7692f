// workloads/counter.ts — increments (a bounded cas loop on one key) and reads, checked by bounds and final agreement.
import type { Op } from '../history/op.ts';
import type { Verdict } from '../checker/types.ts';
import type { ElementRow, ElementTable } from '../checker/elements.ts';
import type { Rng } from '../lib/rng.ts';
import { pairOps } from '../history/pair.ts';
import { describeDisagreement, finalReadsDisagree } from './final-reads.ts';
import type { Completion, KvClientLike, OpGenerator, OpSpec, Workload, WorkloadResult } from './types.ts';
import { listGenerator } from './types.ts';

/** COUNTER_KEY: the one counter. */
export const COUNTER_KEY = 'counter';

/** DELTA_MAX: increments add 1..DELTA_MAX. */
const DELTA_MAX = 5;

/** READ_ODDS: one op in READ_ODDS is a read. */
const READ_ODDS = 3;

/**
 * CAS_ATTEMPTS_MAX bounds the read-then-cas loop of one increment. The store has no add, and
 * a txn cannot make a write depend on its own read, so an increment is "read v, cas v → v+d",
 * retried while the cas certainly failed (someone else moved the counter).
 */
export const CAS_ATTEMPTS_MAX = 8;

function generator(_thread: number, rng: Rng): OpGenerator {
  return {
    next: () => (rng.int(READ_ODDS) === 0 ? { f: 'read', value: null } : { f: 'add', value: 1 + rng.int(DELTA_MAX) }),
  };
}

/** finalGenerator: after healing each thread reads the counter once through its own node. */
function finalGenerator(): OpGenerator {
  return listGenerator([{ f: 'final-read', value: null }]);
}

/** asCount reads a stored counter value: absent is 0. */
function asCount(value: unknown): number | undefined {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

/**
 * increment: an ok cas is ok; an info cas is info (it may have applied); a cas that certainly
 * failed is retried from a fresh read. A failed or unknown read before any cas was sent, or
 * running out of attempts, means nothing was written: fail.
 */
async function increment(client: KvClientLike, delta: number): Promise<Completion> {
  let lastError = 'no attempt';
  for (let attempt = 0; attempt < CAS_ATTEMPTS_MAX; attempt += 1) {
    const read = await client.read(COUNTER_KEY);
    if (read.type !== 'ok') return { type: 'fail', error: `read before cas: ${read.type} ${read.error ?? ''}`.trim(), node: read.node };
    const current = asCount(read.value);
    if (current === undefined) return { type: 'fail', error: `counter holds a non-integer ${JSON.stringify(read.value)}`, node: read.node };
    const cas = await client.cas(COUNTER_KEY, read.value ?? null, current + delta);
    if (cas.type !== 'fail') return { type: cas.type, error: cas.error, node: cas.node };
    lastError = cas.error ?? 'cas failed';
  }
  return { type: 'fail', error: `${CAS_ATTEMPTS_MAX} cas attempts failed: ${lastError}` };
}

async function invoke(client: KvClientLike, op: OpSpec): Promise<Completion> {
  switch (op.f) {
    case 'add':
      return increment(client, op.value as number);
    case 'read':
    case 'final-read': {
      const done = await client.read(COUNTER_KEY);
      return done.type === 'ok' ? { ...done, value: asCount(done.value) ?? done.value } : done;
    }
    default:
      throw new Error(`counter: unknown f ${JSON.stringify(op.f)}`);
  }
}

/** CounterResult: the bounds checker's findings. */
export interface CounterResult extends WorkloadResult {
  kind: 'counter';
  valid: Verdict;
  readCount: number;
  errorCount: number;
  /** Bounds at the end of the history: acknowledged and attempted sums. */
  lowerFinal: number;
  upperFinal: number;
  finalValues: unknown[];
  elementTables: ElementTable[];
}

/**
 * checkCounter is Jepsen's counter checker: scanning the history in order, `upper` sums every
 * increment invoked (minus those that certainly failed) and `lower` every acknowledged one;
 * each ok read must lie between `lower` at its invoke and `upper` at its completion. Final
 * reads (after healing, with every op completed) must also agree with each other: replicas
 * that diverged answer differently. Invalid on any violation; unknown when nothing was read.
 */
export function checkCounter(history: readonly Op[]): CounterResult {
  let lower = 0;
  let upper = 0;
  const lowerAtInvoke = new Map<number, { lower: number; index: number }>();
  const deltas = new Map<number, number>();
  const errors: ElementRow[] = [];
  let readCount = 0;
  for (const op of history) {
    if (op.process === 'nemesis') continue;
    const proc = op.process;
    const isRead = op.f === 'read' || op.f === 'final-read';
    if (op.type === 'invoke') {
      if (op.f === 'add') {
        const delta = Number(op.value);
        deltas.set(proc, delta);
        upper += delta;
      } else if (isRead) lowerAtInvoke.set(proc, { lower, index: op.index });
      continue;
    }
    if (op.f === 'add') {
      const delta = deltas.get(proc) ?? 0;
      deltas.delete(proc);
      if (op.type === 'ok') lower += delta;
      else if (op.type === 'fail') upper -= delta;
      // Every acknowledged increment was also counted as attempted when it was invoked.
      if (lower > upper) throw new Error(`counter: lower bound ${lower} above upper ${upper} at op ${op.index}`);
      continue;
    }
    if (!isRead || op.type !== 'ok') continue;
    readCount += 1;
    const atInvoke = lowerAtInvoke.get(proc) ?? { lower: 0, index: op.index };
    const low = atInvoke.lower;
    const value = op.value;
    if (typeof value !== 'number' || value < low || value > upper) {
      errors.push({ element: value, opIndexes: [atInvoke.index, op.index], detail: `read ${JSON.stringify(value)} outside [${low}, ${upper}] (acknowledged at its invoke, attempted at its completion)` });
    }
  }
  const tables: ElementTable[] = [{ name: 'out-of-bounds reads', description: 'reads outside [acknowledged before the read began, attempted before it completed]', rows: errors }];
  const anomalies: string[] = [];
  if (errors.length > 0) anomalies.push(`${errors.length} read(s) out of bounds, first: ${errors[0].detail} at op ${op0(errors[0])}`);
  const pairs = pairOps(history);
  const disagreement = finalReadsDisagree(pairs);
  if (disagreement !== undefined) {
    const rows = disagreement.values.map((v) => ({ element: v.value, opIndexes: [v.opIndex], detail: `final read through ${v.node ?? '?'}` }));
    tables.push({ name: 'final reads disagree', description: 'after healing, replicas answered differently (diverged copies)', rows });
    anomalies.push(describeDisagreement(disagreement));
  }
  const finalValues = pairs.filter((p) => p.invoke.f === 'final-read' && p.type === 'ok').map((p) => p.completion?.value);
  const valid: Verdict = anomalies.length > 0 ? false : readCount === 0 ? 'unknown' : true;
  return { kind: 'counter', valid, anomalies, readCount, errorCount: errors.length, lowerFinal: lower, upperFinal: upper, finalValues, elementTables: tables };
}

/** op0: the completion index of an error row. */
function op0(row: ElementRow): number | undefined {
  return row.opIndexes?.at(-1);
}

async function check(history: readonly Op[]): Promise<WorkloadResult> {
  return checkCounter(history);
}

/** counterWorkload: Jepsen's counter test on one key (increments are bounded cas loops). */
export const counterWorkload: Workload = {
  name: 'counter',
  description: 'increments (read + cas loop on one key) and reads; every read within [acknowledged, attempted] increments, final reads agree',
  generator,
  finalGenerator,
  invoke,
  check,
};
