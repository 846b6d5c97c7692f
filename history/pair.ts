// history/pair.ts — the one pairing of invokes with completions, and the one clock that orders them.
//
// Jepsen's semantics, for every checker and the report alike:
// - A process has at most one op in flight; an invoke is closed by that process's next
//   completion, with the same f. Anything else is a malformed history and an error.
// - `ok`: the op took effect once, between its invoke and its completion. `fail`: it never did.
//   `info` (and an invoke the history ends before completing, `pending`): it may take effect at
//   any time after its invoke, or never, so its effect window never closes (end = Infinity).
//   The info completion is still kept: its time is when the client stopped waiting, which the
//   report draws as the op's latency.
// - A history is ordered by `time` when every op has one; otherwise (Knossos and Porcupine
//   data, or a history where only some ops have a time) by `index` for every op, because
//   nanoseconds and line numbers cannot be compared. The linearizable and Elle searches order by
//   index, which for a recorded history is the same order.
import type { Op, Operation, Process } from './op.ts';

/** PairOptions tunes which ops count as reads (dropped when their outcome is not ok). */
export interface PairOptions {
  /** Functions that only observe state; failed or info ones constrain nothing. Default read, get. */
  readFs?: readonly string[];
}

/** PairResult is the operations plus counts of what was dropped, for the report. */
export interface PairResult {
  operations: Operation[];
  /** Reads that completed with `fail`. */
  droppedFailedReads: number;
  /** Reads that completed with `info` or never completed. */
  droppedInfoReads: number;
  /** Non-read ops that completed with `fail`: they certainly did not happen. */
  droppedFailed: number;
  /** Ops kept with outcome 'info' (completed with info, or never completed). */
  infoCount: number;
  /** Invokes that never got a completion (counted in infoCount or droppedInfoReads too). */
  pendingCount: number;
  /** Nemesis entries skipped. */
  nemesisCount: number;
}

const READ_FS_DEFAULT: readonly string[] = ['read', 'get'];

/**
 * PendingTable maps a process to the slot of its open invoke: an array for the small
 * integer processes clients use, a Map for anything else.
 */
class PendingTable {
  private readonly dense: number[] = [];
  private readonly sparse = new Map<Process, number>();
  private static readonly DENSE_MAX = 1 << 20;

  get(process: Process): number {
    if (typeof process === 'number' && process < PendingTable.DENSE_MAX) return this.dense[process] ?? -1;
    return this.sparse.get(process) ?? -1;
  }

  set(process: Process, position: number): void {
    if (typeof process === 'number' && process < PendingTable.DENSE_MAX) {
      while (this.dense.length < process) this.dense.push(-1);
      this.dense[process] = position;
    } else {
      this.sparse.set(process, position);
    }
  }
}

/** PairType: how a client op ended; pending when the history ends before its completion. */
export type PairType = 'ok' | 'fail' | 'info' | 'pending';

/** Pair: one client op from its invoke to its completion, placed on the history's clock. */
export interface Pair {
  invoke: Op;
  /** The ok, fail or info that closed the invoke; absent when pending. */
  completion?: Op;
  type: PairType;
  /** start: the invoke's position on the history's clock (ns, or index when untimed). */
  start: number;
  /** end: where the effect window closes: the completion for ok and fail, Infinity for info and pending. */
  end: number;
  /** returned: when the client stopped waiting (the completion, info included); null when pending. */
  returned: number | null;
}

/** HistoryClock: where ops sit in real time: their `time` when every op has one, else their index. */
export interface HistoryClock {
  timed: boolean;
  position(op: Op): number;
}

/** historyClock picks the clock of a history (see the file comment). */
export function historyClock(history: readonly Op[]): HistoryClock {
  const timed = history.length > 0 && history.every((op) => typeof op.time === 'number');
  return timed ? { timed, position: (op) => op.time as number } : { timed, position: (op) => op.index };
}

/** Pairing: every client op in invoke order, and how many nemesis entries were skipped. */
export interface Pairing {
  pairs: Pair[];
  nemesisCount: number;
}

/**
 * pairHistory pairs every client invoke with its process's next completion, in invoke order.
 * Throws an Error naming the history index when indexes do not increase, a process invokes
 * while an op is in flight, a completion has no invoke, or its f differs from the invoke's.
 */
export function pairHistory(history: readonly Op[], clock: HistoryClock = historyClock(history)): Pairing {
  // open: each process's open invoke, as its index in `pairs` (-1: none).
  const open = new PendingTable();
  const pairs: Pair[] = [];
  let nemesisCount = 0;
  let indexPrevious = -Infinity;
  for (const op of history) {
    if (!(op.index > indexPrevious)) {
      throw new Error(`history index ${op.index}: indexes must increase (previous ${indexPrevious})`);
    }
    indexPrevious = op.index;
    if (op.process === 'nemesis') {
      nemesisCount++;
      continue;
    }
    const openAt = open.get(op.process);
    const pair = openAt >= 0 ? pairs[openAt] : undefined;
    if (op.type === 'invoke') {
      if (pair !== undefined) {
        throw new Error(
          `history index ${op.index}: process ${op.process} invokes ${op.f} while its ${pair.invoke.f} ` +
            `from index ${pair.invoke.index} is still pending`,
        );
      }
      const opened: Pair = { invoke: op, type: 'pending', start: clock.position(op), end: Infinity, returned: null };
      open.set(op.process, pairs.length);
      pairs.push(opened);
      continue;
    }
    if (pair === undefined) {
      throw new Error(`history index ${op.index}: ${op.type} ${op.f} of process ${op.process} has no pending invoke`);
    }
    if (pair.invoke.f !== op.f) {
      throw new Error(
        `history index ${op.index}: completion f ${op.f} differs from invoke f ${pair.invoke.f} at index ${pair.invoke.index}`,
      );
    }
    open.set(op.process, -1);
    pair.completion = op;
    pair.type = op.type;
    pair.returned = clock.position(op);
    if (op.type !== 'info') pair.end = pair.returned;
  }
  return { pairs, nemesisCount };
}

/** pairOps is pairHistory's pairs alone. */
export function pairOps(history: readonly Op[]): Pair[] {
  return pairHistory(history).pairs;
}

/** opIndexesOf lists the history indexes of a pair (invoke, then completion when there is one). */
export function opIndexesOf(pair: Pair): number[] {
  return pair.completion === undefined ? [pair.invoke.index] : [pair.invoke.index, pair.completion.index];
}

/**
 * toOperations turns the pairs into Operations for the linearizability search. `ok` keeps the
 * op with its return index; `fail` removes it (it never happened); `info` or pending keeps it
 * with returnIndex Infinity. Reads that fail or are info are dropped (they constrain nothing)
 * but counted. Throws like pairHistory on malformed pairing.
 */
export function toOperations(history: readonly Op[], opts: PairOptions = {}): PairResult {
  const readFs = new Set(opts.readFs ?? READ_FS_DEFAULT);
  const { pairs, nemesisCount } = pairHistory(history);
  const result: PairResult = {
    operations: [],
    droppedFailedReads: 0,
    droppedInfoReads: 0,
    droppedFailed: 0,
    infoCount: 0,
    pendingCount: 0,
    nemesisCount,
  };
  for (const pair of pairs) {
    const isRead = readFs.has(pair.invoke.f);
    if (pair.type === 'pending') result.pendingCount++;
    if (pair.type === 'fail') {
      if (isRead) result.droppedFailedReads++;
      else result.droppedFailed++;
      continue;
    }
    if (pair.type !== 'ok' && isRead) {
      result.droppedInfoReads++;
      continue;
    }
    if (pair.type !== 'ok') result.infoCount++;
    result.operations.push(new PairedOperation(result.operations.length, pair.invoke, pair.type === 'ok' ? (pair.completion ?? null) : null));
  }
  return result;
}

/**
 * PairedOperation is the Operation pairing builds. A class, so V8 keeps every field in the
 * object itself (the optional ones too) and the search reads a few fixed shapes.
 */
class PairedOperation implements Operation {
  // Declared, not defined: the constructor sets the fields in this order, the optional ones only when present.
  declare id: number;
  declare process: Op['process'];
  declare f: string;
  declare key?: Op['key'];
  declare input: unknown;
  declare output: unknown;
  declare outcome: 'ok' | 'info';
  declare invokeIndex: number;
  declare returnIndex: number;
  declare invokeTime?: number;
  declare returnTime?: number;

  constructor(id: number, invoke: Op, ok: Op | null) {
    this.id = id;
    this.process = invoke.process;
    this.f = invoke.f;
    if (invoke.key !== undefined) this.key = invoke.key;
    this.input = invoke.value;
    this.output = ok === null ? undefined : ok.value;
    this.outcome = ok === null ? 'info' : 'ok';
    this.invokeIndex = invoke.index;
    this.returnIndex = ok === null ? Infinity : ok.index;
    if (invoke.time !== undefined) this.invokeTime = invoke.time;
    if (ok !== null && ok.time !== undefined) this.returnTime = ok.time;
  }
}
