// workloads/txn-keys.ts — Elle-style transaction generation shared by list-append and rw-register.
import type { MicroOp } from '../history/op.ts';
import type { Rng } from '../lib/rng.ts';
import type { Completion, KvClientLike, OpGenerator, OpSpec, WorkloadContext } from './types.ts';
import { finalKeysOf, listGenerator } from './types.ts';

/** KeyDistribution: how a txn picks among the active keys (Elle's :key-dist). */
export type KeyDistribution = 'uniform' | 'exponential';

/** TxnKnobs: Elle's generator options. Key count comes from the run (--key-count). */
export interface TxnKnobs {
  keyDistribution: KeyDistribution;
  /** Micro-ops per txn, drawn uniformly in [txnLengthMin, txnLengthMax]. */
  txnLengthMin: number;
  txnLengthMax: number;
  /** Writes a key takes before it is retired for a fresh one (Elle's :max-writes-per-key). */
  writesPerKeyMax: number;
}

/** TXN_KNOBS_DEFAULT: Elle's defaults (exponential keys, 1-4 micro-ops, 32 writes per key). */
export const TXN_KNOBS_DEFAULT: TxnKnobs = {
  keyDistribution: 'exponential',
  txnLengthMin: 1,
  txnLengthMax: 4,
  writesPerKeyMax: 32,
};

/** EXPONENTIAL_BASE: with the exponential distribution key slot i is about twice as likely as i+1. */
const EXPONENTIAL_BASE = 2;

/** FINAL_READS_PER_TXN: the final phase reads keys in batches this big (one atomic txn each). */
export const FINAL_READS_PER_TXN = 8;

/** TXN_F: every op these workloads issue is a txn (the name checkElle pairs on). */
export const TXN_F = 'txn';

/** validateKnobs throws naming the bad knob; the generator's loops rely on these bounds. */
export function validateKnobs(knobs: TxnKnobs): void {
  const { txnLengthMin, txnLengthMax, writesPerKeyMax } = knobs;
  if (!Number.isSafeInteger(txnLengthMin) || txnLengthMin < 1) throw new Error(`txnLengthMin: expected an integer ≥ 1, got ${txnLengthMin}`);
  if (!Number.isSafeInteger(txnLengthMax) || txnLengthMax < txnLengthMin) throw new Error(`txnLengthMax: expected an integer ≥ txnLengthMin (${txnLengthMin}), got ${txnLengthMax}`);
  if (!Number.isSafeInteger(writesPerKeyMax) || writesPerKeyMax < 1) throw new Error(`writesPerKeyMax: expected an integer ≥ 1, got ${writesPerKeyMax}`);
  if (knobs.keyDistribution !== 'uniform' && knobs.keyDistribution !== 'exponential') throw new Error(`keyDistribution: expected uniform or exponential, got ${String(knobs.keyDistribution)}`);
}

/**
 * mergeKnobs lays the run's knobs (--txn-length-min ...) over a workload's; a minimum given
 * alone above the default maximum lifts the maximum with it.
 */
export function mergeKnobs(base: TxnKnobs, run: WorkloadContext['txn']): TxnKnobs {
  const merged: TxnKnobs = { ...base };
  if (run?.keyDistribution !== undefined) merged.keyDistribution = run.keyDistribution;
  if (run?.txnLengthMin !== undefined) merged.txnLengthMin = run.txnLengthMin;
  if (run?.txnLengthMax !== undefined) merged.txnLengthMax = run.txnLengthMax;
  if (run?.writesPerKeyMax !== undefined) merged.writesPerKeyMax = run.writesPerKeyMax;
  if (run?.txnLengthMax === undefined && merged.txnLengthMax < merged.txnLengthMin) merged.txnLengthMax = merged.txnLengthMin;
  return merged;
}

/** pickSlot draws one of `slotCount` active key slots; exponential favours low slots log-uniformly (as Jepsen's rand-exp). */
export function pickSlot(rng: Rng, slotCount: number, distribution: KeyDistribution): number {
  if (distribution === 'uniform') return rng.int(slotCount);
  const exponent = rng.next() * (Math.log(slotCount + 1) / Math.log(EXPONENTIAL_BASE));
  const slot = Math.floor(EXPONENTIAL_BASE ** exponent) - 1;
  return Math.min(slotCount - 1, Math.max(0, slot));
}

/**
 * writesPerThreadPerKey: each thread's share of a key's writes. A thread retires a key after
 * its own share, so a seed fixes every thread's keys whatever the timing (no shared counter),
 * and concurrency × share ≤ writesPerKeyMax keeps Elle's bound on every key.
 */
export function writesPerThreadPerKey(writesPerKeyMax: number, concurrency: number): number {
  return Math.max(1, Math.floor(writesPerKeyMax / concurrency));
}

/**
 * txnGenerator: thread `thread`'s stream of txns. keyCount slots are active; slot s holds key
 * s + generation × keyCount and moves to its next generation once this thread has written its
 * share to it (Elle retires a key after writesPerKeyMax writes). Written values are
 * thread + n × concurrency (n counts this thread's writes), so each is unique per key.
 */
export function txnGenerator(writeF: 'append' | 'w', thread: number, rng: Rng, ctx: WorkloadContext, base: TxnKnobs): OpGenerator {
  const knobs = mergeKnobs(base, ctx.txn);
  validateKnobs(knobs);
  const share = writesPerThreadPerKey(knobs.writesPerKeyMax, ctx.concurrency);
  const generation = new Array<number>(ctx.keyCount).fill(0);
  const writesInGeneration = new Array<number>(ctx.keyCount).fill(0);
  let writeCount = 0;
  return {
    next: (): OpSpec => {
      const length = knobs.txnLengthMin + rng.int(knobs.txnLengthMax - knobs.txnLengthMin + 1);
      const mops: [string, number, unknown][] = [];
      for (let i = 0; i < length; i++) {
        const slot = pickSlot(rng, ctx.keyCount, knobs.keyDistribution);
        const key = slot + generation[slot] * ctx.keyCount;
        if (rng.int(2) === 0) {
          mops.push(['r', key, null]);
          continue;
        }
        mops.push([writeF, key, thread + writeCount * ctx.concurrency]);
        writeCount++;
        if (++writesInGeneration[slot] >= share) {
          generation[slot]++;
          writesInGeneration[slot] = 0;
        }
      }
      return { f: TXN_F, value: mops };
    },
  };
}

/** usedKeys lists the keys any main-phase txn names, ascending. */
export function usedKeys(drawn: readonly OpSpec[]): number[] {
  const used = new Set<number>();
  for (const op of drawn) {
    if (op.f !== TXN_F || !Array.isArray(op.value)) continue;
    for (const mop of op.value as unknown[]) {
      if (Array.isArray(mop) && typeof mop[1] === 'number') used.add(mop[1]);
    }
  }
  return [...used].sort((a, b) => a - b);
}

/**
 * finalReadGenerator: once healed every final thread reads every key the main phase drew (in
 * read-only txns of FINAL_READS_PER_TXN keys), each through its own node, so copies that never
 * converged show up as reads that disagree. Past the cap a node's threads split them (finalKeysOf).
 */
export function finalReadGenerator(thread: number, ctx: WorkloadContext, drawn: readonly OpSpec[]): OpGenerator {
  const keys = finalKeysOf(thread, ctx, usedKeys(drawn));
  const ops: OpSpec[] = [];
  for (let first = 0; first < keys.length; first += FINAL_READS_PER_TXN) {
    ops.push({ f: TXN_F, value: keys.slice(first, first + FINAL_READS_PER_TXN).map((key) => ['r', key, null]) });
  }
  return listGenerator(ops);
}

/**
 * invokeTxn sends a txn op's micro-ops (keys become strings on the wire) and maps the ok
 * completion's keys back to the history's numbers, so invoke and completion name keys alike.
 */
export async function invokeTxn(client: KvClientLike, op: OpSpec, workload: string): Promise<Completion> {
  if (op.f !== TXN_F || !Array.isArray(op.value)) throw new Error(`${workload}: unknown f ${JSON.stringify(op.f)}`);
  const mops = (op.value as [MicroOp[0], number, unknown][]).map(([f, key, value]) => [f, String(key), value] as MicroOp);
  const done = await client.txn(mops);
  if (done.type !== 'ok') return { type: done.type, error: done.error, node: done.node };
  if (!Array.isArray(done.value)) return { ...done, type: 'info', error: `txn ok without micro-ops: ${JSON.stringify(done.value)}` };
  const value = (done.value as unknown[]).map((mop) => {
    if (!Array.isArray(mop) || mop.length !== 3) return mop;
    const key: unknown = mop[1];
    return [mop[0], typeof key === 'string' && /^\d+$/.test(key) ? Number(key) : key, mop[2]];
  });
  return { type: 'ok', value, node: done.node };
}
