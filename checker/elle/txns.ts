// checker/elle/txns.ts — pair txn invokes with completions into a dense transaction table.
import type { Op, OpKey, Process } from '../../history/op.ts';
import type { ElleTxnView } from './types.ts';

/** TxnStatus: ok committed, info may or may not have committed, fail certainly did not. */
export const OK = 0;
export const INFO = 1;
export const FAIL = 2;

/** Mop is one micro-op: ["append"|"w"|"r", key, value]. */
export type Mop = readonly [string, OpKey, unknown];

/**
 * TxnTable holds every txn in invoke order. Ids are dense (0..count-1) so graph code can use
 * typed arrays; failed txns keep an id but never get edges.
 */
export interface TxnTable {
  count: number;
  status: Uint8Array;
  process: Process[];
  invokeIndex: Float64Array;
  /** History index of the completion; Infinity when it never completed or completed info. */
  completeIndex: Float64Array;
  /** The micro-ops: the ok completion's value, else the invoke's. */
  mops: Mop[][];
  /** The history position (array index) of the invoke, for process/realtime ordering. */
  invokePosition: Int32Array;
  /** The history position of the ok completion, -1 otherwise. */
  completePosition: Int32Array;
  /** Non-read micro-ops over all txns (appends / writes), and read micro-ops of ok txns. */
  writeMopCount: number;
  okReadMopCount: number;
}

/** MopCounts: micro-op totals, so inference can size its typed arrays without another pass. */
interface MopCounts {
  writes: number;
  reads: number;
}

/** checkMops validates a txn value's shape and adds its writes (and reads, if counted) to `counts`. */
function checkMops(value: unknown, op: Op, counts: MopCounts, countReads: boolean): Mop[] {
  if (!Array.isArray(value)) throw new Error(`history index ${op.index}: txn value must be an array of micro-ops`);
  for (const mop of value) {
    if (!Array.isArray(mop) || mop.length !== 3 || typeof mop[0] !== 'string') {
      throw new Error(`history index ${op.index}: micro-op ${JSON.stringify(mop)} must be [f, key, value]`);
    }
    const key: unknown = mop[1];
    if (typeof key !== 'string' && typeof key !== 'number') {
      throw new Error(`history index ${op.index}: micro-op key ${JSON.stringify(key)} must be a string or number`);
    }
    if (mop[0] !== 'r') counts.writes++;
    else if (countReads) counts.reads++;
  }
  return value as Mop[];
}

/** PENDING_DENSE_MAX: processes below this (the usual small integers) are tracked in an array, not a Map. */
const PENDING_DENSE_MAX = 1 << 16;

/** PendingTxns maps a process to its pending txn id: an array for small integer processes, a Map for the rest. */
class PendingTxns {
  private readonly dense: number[] = [];
  private readonly map = new Map<Process, number>();

  private isDense(p: Process): p is number {
    return typeof p === 'number' && p >= 0 && p < PENDING_DENSE_MAX && (p | 0) === p;
  }

  has(p: Process): boolean {
    return this.get(p) !== undefined;
  }

  get(p: Process): number | undefined {
    if (!this.isDense(p)) return this.map.get(p);
    const id = this.dense[p];
    return id === undefined || id < 0 ? undefined : id;
  }

  set(p: Process, id: number): void {
    if (!this.isDense(p)) { this.map.set(p, id); return; }
    while (this.dense.length <= p) this.dense.push(-1);
    this.dense[p] = id;
  }

  delete(p: Process): void {
    if (this.isDense(p)) this.dense[p] = -1; else this.map.delete(p);
  }

  /** ids lists every pending txn id. */
  ids(): number[] {
    return [...this.dense.filter((id) => id >= 0), ...this.map.values()];
  }
}

/**
 * collectTxns pairs each `txn` invoke with its process's next completion. Other functions and
 * the nemesis are skipped. An invoke with no completion counts as info. Throws an Error naming
 * the history index on malformed input.
 */
export function collectTxns(history: readonly Op[]): TxnTable {
  // Count first so every column is allocated once at its final size.
  let n = 0;
  for (let position = 0; position < history.length; position++) {
    const op = history[position];
    if (op.type === 'invoke' && op.f === 'txn' && op.process !== 'nemesis') n++;
  }
  const status = new Uint8Array(n);
  const process = new Array<Process>(n);
  const invokeIndex = new Float64Array(n);
  const completeIndex = new Float64Array(n);
  const invokePosition = new Int32Array(n);
  const completePosition = new Int32Array(n);
  const mops = new Array<Mop[]>(n);
  // Invoke values are validated only when they are what the txn keeps (no ok completion):
  // ok txns keep the completion's micro-ops, and walking both would double the cost.
  const counts: MopCounts = { writes: 0, reads: 0 };
  const pending = new PendingTxns();
  let count = 0;
  for (let position = 0; position < history.length; position++) {
    const op = history[position];
    if (op.f !== 'txn' || op.process === 'nemesis') continue;
    if (op.type === 'invoke') {
      if (pending.has(op.process)) {
        throw new Error(`history index ${op.index}: process ${op.process} invokes a txn while another is pending`);
      }
      const id = count++;
      pending.set(op.process, id);
      status[id] = INFO;
      process[id] = op.process;
      invokeIndex[id] = op.index;
      completeIndex[id] = Infinity;
      invokePosition[id] = position;
      completePosition[id] = -1;
      if (!Array.isArray(op.value)) throw new Error(`history index ${op.index}: txn value must be an array of micro-ops`);
      mops[id] = op.value as Mop[];
      continue;
    }
    const id = pending.get(op.process);
    if (id === undefined) throw new Error(`history index ${op.index}: ${op.type} txn of process ${op.process} has no pending invoke`);
    pending.delete(op.process);
    if (op.type === 'ok') {
      status[id] = OK;
      completeIndex[id] = op.index;
      completePosition[id] = position;
      const value = checkMops(op.value, op, counts, true);
      if (value.length !== mops[id].length) {
        throw new Error(`history index ${op.index}: ok txn has ${value.length} micro-ops, its invoke ${mops[id].length}`);
      }
      mops[id] = value;
    } else {
      if (op.type === 'fail') { status[id] = FAIL; completeIndex[id] = op.index; }
      checkMops(mops[id], history[invokePosition[id]], counts, false);
    }
  }
  for (const id of pending.ids()) checkMops(mops[id], history[invokePosition[id]], counts, false);
  if (count !== n) throw new Error(`collectTxns: counted ${n} txn invokes, paired ${count}`);
  return {
    count, status, process, invokeIndex, completeIndex, mops, invokePosition, completePosition,
    writeMopCount: counts.writes, okReadMopCount: counts.reads,
  };
}

/** txnView renders txn `id` for results (JSON-safe: null instead of Infinity). */
export function txnView(table: TxnTable, id: number): ElleTxnView {
  const s = table.status[id];
  const complete = table.completeIndex[id];
  return {
    id,
    process: table.process[id],
    type: s === OK ? 'ok' : s === FAIL ? 'fail' : 'info',
    invokeIndex: table.invokeIndex[id],
    completeIndex: Number.isFinite(complete) ? complete : null,
    value: table.mops[id],
  };
}

/** showValue prints a JSON value compactly for explanations. */
export function showValue(value: unknown): string {
  // Long lists hide what matters (their ends): keep the first and last few elements.
  if (Array.isArray(value) && value.length > 10) {
    const head = value.slice(0, 3).map((v) => JSON.stringify(v)).join(',');
    const tail = value.slice(-3).map((v) => JSON.stringify(v)).join(',');
    return `[${head},…,${tail}] (${value.length} elements)`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** showMops prints a txn's micro-ops like Elle: [[append 4 3] [r 4 [1 3]]]. */
export function showMops(mops: readonly Mop[]): string {
  return `[${mops.map((m) => `[${m[0]} ${showValue(m[1])} ${showValue(m[2])}]`).join(' ')}]`;
}
