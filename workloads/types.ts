// workloads/types.ts — the Workload contract: what ops to run, how to run them, how to check them.
import type { Op, OpKey } from '../history/op.ts';
import type { CheckerResult, Verdict } from '../checker/types.ts';
import type { FaultRoles } from '../checker/convergence/index.ts';
import type { MicroOp, Stamp } from '../history/op.ts';
import type { Rng } from '../lib/rng.ts';

/** OpSpec: an operation a generator asks for, before it is invoked (no index/time/process). */
export interface OpSpec {
  f: string;
  key?: OpKey;
  value?: unknown;
}

/** CompletionType: how an invoked op ended (Jepsen semantics, see DESIGN.md). */
export type CompletionType = 'ok' | 'fail' | 'info';

/**
 * Completion: what running an op returned. `value` is the completion's value (a read's
 * result); when absent the recorder copies the invoke's value. `node` is who answered.
 */
export interface Completion {
  type: CompletionType;
  value?: unknown;
  error?: string;
  node?: string;
  /** stamp: the system's version of what it wrote or read (a gossip Lamport stamp); see Op.stamp. */
  stamp?: Stamp | null;
}

/**
 * KvClientLike: the client calls workloads use. Shaped after rsm/client's KvClient: each call
 * resolves (never rejects for a protocol outcome) to ok (happened), fail (certainly did not
 * happen, e.g. a cas compare mismatch) or info (unknown: timeout, connection lost).
 */
export interface KvClientLike {
  read(key: string): Promise<Completion>;
  write(key: string, value: unknown): Promise<Completion>;
  cas(key: string, expected: unknown, value: unknown): Promise<Completion>;
  txn(ops: MicroOp[]): Promise<Completion>;
  close?(): void | Promise<void>;
}

/** OpGenerator: one thread's stream of ops; null means this thread has nothing more to do. */
export interface OpGenerator {
  next(): OpSpec | null;
}

/** WorkloadContext: what generators may depend on (all of it fixed for a run). */
export interface WorkloadContext {
  concurrency: number;
  keyCount: number;
  nodes: readonly string[];
  /** txn: Elle's generator knobs for txn workloads (unset fields: the workload's defaults). */
  txn?: {
    keyDistribution?: 'uniform' | 'exponential';
    txnLengthMin?: number;
    txnLengthMax?: number;
    writesPerKeyMax?: number;
  };
}

/** WorkloadCheckOptions: bounds for the checker (a budget exhausted is an unknown verdict). */
export interface WorkloadCheckOptions {
  timeoutMs?: number;
  /** consistencyModel: what txn workloads (list-append, rw-register) are checked against (--consistency-model). */
  consistencyModel?: string;
  /** faultRoles: each nemesis f's kind and role, so checkers find the windows faults were in force. */
  faultRoles?: FaultRoles;
}

/**
 * WorkloadResult: a workload's verdict plus whatever it measured; stored in results.json.
 * `kind` names the report view that draws it (reports/views.ts); `anomalies` names what was
 * found (e.g. "nonlinearizable key 3"), empty when valid.
 */
export interface WorkloadResult extends CheckerResult {
  valid: Verdict;
  anomalies: string[];
  [detail: string]: unknown;
}

/**
 * Workload: one file in workloads/ registered by name. Generators draw every choice from the
 * rng they are given (one fork per thread), so a seed fixes the ops each thread asks for
 * whatever the timing. `finalGenerator` runs after the faults are healed (e.g. read every key)
 * on finalThreadCount threads, so every node has one. It is declared, not read from the live
 * history: it sees the ops the main-phase generators handed out (`drawn`, in thread order), a
 * function of the seed and the workload alone.
 */
export interface Workload {
  readonly name: string;
  readonly description: string;
  /** checkModel: the model `check DIR` should use to re-check the history (stored in test.json). */
  readonly checkModel?: { name: string; init: unknown };
  generator(thread: number, rng: Rng, ctx: WorkloadContext): OpGenerator;
  finalGenerator?(thread: number, ctx: WorkloadContext, drawn: readonly OpSpec[]): OpGenerator;
  invoke(client: KvClientLike, op: OpSpec): Promise<Completion>;
  check(history: readonly Op[], opts: WorkloadCheckOptions): Promise<WorkloadResult>;
}

/** listGenerator yields the given ops in order, then null. */
export function listGenerator(ops: readonly OpSpec[]): OpGenerator {
  let position = 0;
  return {
    next: () => (position < ops.length ? ops[position++] : null),
  };
}

/**
 * finalThreadCount: the final phase reads through EVERY node, even when --concurrency is below
 * --nodes. A client that stays with its replica (gossip) reads that replica's own copy, so a
 * replica with no thread would never have its copy compared; the extra threads run only then.
 */
export function finalThreadCount(concurrency: number, nodeCount: number): number {
  return Math.max(concurrency, nodeCount);
}

/** FINAL_KEYS_PER_THREAD_MAX bounds the final phase: past it a node's threads split its keys. */
export const FINAL_KEYS_PER_THREAD_MAX = 1000;

/**
 * finalKeysOf: the keys final-phase `thread` reads: all of them, or past
 * FINAL_KEYS_PER_THREAD_MAX its share among the threads of ITS node (thread t is on node
 * t mod N), so every key is still read through every node.
 */
export function finalKeysOf(thread: number, ctx: Pick<WorkloadContext, 'concurrency' | 'nodes'>, keys: readonly number[]): number[] {
  if (keys.length <= FINAL_KEYS_PER_THREAD_MAX) return [...keys];
  const nodeCount = ctx.nodes.length;
  const onNode = Math.ceil((finalThreadCount(ctx.concurrency, nodeCount) - (thread % nodeCount)) / nodeCount);
  const rank = Math.floor(thread / nodeCount);
  return keys.filter((key) => key % onNode === rank);
}
