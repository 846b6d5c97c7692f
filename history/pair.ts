// history/pair.ts — the one pairing of invokes with completions, and the one clock that orders them.
//
// Jepsen's semantics, for every checker and the report alike:
// - A process has at most one op in flight; an invoke is closed by that process's next
//   completion, with the same f. Anything else is a malformed history: PairingTracker throws.
// - `ok`: the op took effect once, between its invoke and its completion. `fail`: it never did.
//   `info` (and an invoke the history ends before completing, `pending`): it may take effect at
//   any time after its invoke, or never, so its effect window never closes (end = Infinity).
//   The info completion is still kept: its time is when the client stopped waiting, which the
//   report draws as the op's latency.
// - A history is ordered by `time` when every op has one; otherwise (Knossos and Porcupine
//   data, or a history where only some ops have a time) by `index` for every op, because
//   nanoseconds and line numbers cannot be compared. The linearizable and Elle searches order by
//   index, which for a recorded history is the same order.
import { defineLazy } from '../lib/lazy.ts';
import { HistoryInputError } from './errors.ts';
import type { Op, Operation, Process } from './op.ts';
import { OperationTable } from './operation-table.ts';

/** PairOptions tunes which ops count as reads (dropped when their outcome is not ok). */
export interface PairOptions {
  /** Functions that only observe state; failed or info ones constrain nothing. Default read, get. */
  readFs?: readonly string[];
}

/** PairResult is the operations plus counts of what was dropped, for the report. */
export interface PairResult {
  operations: Operation[];
  /** table: the same operations as columns (row = id), for readers that need not build them all. */
  table: OperationTable;
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
 * PendingTable maps a process to its open invoke: an array for the small integer processes
 * clients use, a Map for anything else (pairing a million ops must not hash a million keys).
 */
class PendingTable<T> {
  private readonly dense: (T | undefined)[] = [];
  private readonly sparse = new Map<Process, T>();
  private static readonly DENSE_MAX = 1 << 20;

  private static isDense(process: Process): process is number {
    return typeof process === 'number' && Number.isSafeInteger(process) && process >= 0 && process < PendingTable.DENSE_MAX;
  }

  get(process: Process): T | undefined {
    return PendingTable.isDense(process) ? this.dense[process] : this.sparse.get(process);
  }

  set(process: Process, value: T): void {
    if (PendingTable.isDense(process)) {
      while (this.dense.length < process) this.dense.push(undefined);
      this.dense[process] = value;
    } else {
      this.sparse.set(process, value);
    }
  }

  delete(process: Process): void {
    if (PendingTable.isDense(process)) this.dense[process] = undefined;
    else this.sparse.delete(process);
  }

  /** values lists the open entries, in no particular order. */
  *values(): IterableIterator<T> {
    for (const value of this.dense) if (value !== undefined) yield value;
    yield* this.sparse.values();
  }
}

/** OpenInvoke is an invoke waiting for its completion: where it is, and the caller's slot. */
export interface OpenInvoke {
  invoke: Op;
  position: number;
  slot: number;
}

/**
 * PairingTracker is the one definition of a well-paired history. Fed every op in order, it
 * checks that indexes increase, that a process invokes only when it has nothing pending, and
 * that each completion closes its process's pending invoke with the same f; it throws a
 * HistoryInputError otherwise. Nemesis entries are not paired.
 */
export class PairingTracker {
  private readonly open = new PendingTable<OpenInvoke>();
  private indexPrevious = -Infinity;

  /** accept checks `op` at `position`; a completion returns the invoke it closes. */
  accept(op: Op, position: number, slot = position): OpenInvoke | undefined {
    if (!(op.index > this.indexPrevious)) {
      throw new HistoryInputError({
        index: op.index, position, detail: `indexes must increase (previous ${this.indexPrevious})`,
        expected: `"index" greater than the previous op's ${this.indexPrevious}`, got: String(op.index),
      });
    }
    this.indexPrevious = op.index;
    if (op.process === 'nemesis') return undefined;
    const open = this.open.get(op.process);
    if (op.type === 'invoke') {
      if (open !== undefined) {
        const { f, index } = open.invoke;
        throw new HistoryInputError({
          index: op.index, position,
          detail: `process ${op.process} invokes ${op.f} while its ${f} from index ${index} is still pending`,
          expected: `a completion of process ${op.process}'s ${f} (invoked at index ${index}) before its next invoke`,
          got: `invoke ${op.f}`,
        });
      }
      this.open.set(op.process, { invoke: op, position, slot });
      return undefined;
    }
    if (open === undefined) {
      throw new HistoryInputError({
        index: op.index, position, detail: `${op.type} ${op.f} of process ${op.process} has no pending invoke`,
        expected: `an invoke by process ${op.process} before each of its completions`,
        got: `${op.type} ${op.f} with nothing pending`,
      });
    }
    if (open.invoke.f !== op.f) {
      throw new HistoryInputError({
        index: op.index, position,
        detail: `completion f ${op.f} differs from invoke f ${open.invoke.f} at index ${open.invoke.index}`,
        expected: `"f" ${JSON.stringify(open.invoke.f)}, as invoked at index ${open.invoke.index}`,
        got: JSON.stringify(op.f),
      });
    }
    this.open.delete(op.process);
    return open;
  }

  /** pending lists the invokes still open (never completed), in no particular order. */
  pending(): IterableIterator<OpenInvoke> {
    return this.open.values();
  }
}

/** checkPairing runs PairingTracker over a whole history; it throws on the first bad op. */
export function checkPairing(history: readonly Op[]): void {
  const tracker = new PairingTracker();
  for (let position = 0; position < history.length; position++) tracker.accept(history[position], position);
}

/**
 * toOperations pairs every invoke with its process's next completion. `ok` keeps the op with
 * its return index; `fail` removes it (it never happened); `info` or a missing completion keeps
 * it with returnIndex Infinity (it may happen at any time after its invoke, or never). Reads
 * that fail or are info are dropped (they constrain nothing) but counted. Throws a
 * HistoryInputError naming the history index on malformed pairing (see PairingTracker).
 */
export function toOperations(history: readonly Op[], opts: PairOptions = {}): PairResult {
  const pairer = new OperationPairer(opts);
  for (const op of history) pairer.accept(op);
  return pairer.finish();
}

/**
 * OperationPairer is toOperations fed one op at a time, so a reader can pair while it reads:
 * a completion is paired and forgotten at once, and an invoke is kept only while it is open,
 * so a million-op history never holds all its ops at the same time. The operations are rows of
 * an OperationTable (columns, not a million objects); finish() gives the result toOperations
 * gives for the same ops, its `operations` built on first read.
 */
export class OperationPairer {
  private readonly readFs: Set<string>;
  private readonly tracker = new PairingTracker();
  private position = 0;
  // One row per invoke, in invoke order: settled as ok, info or dropped when its completion comes.
  private readonly table = new OperationTable();
  private readonly counts = {
    droppedFailedReads: 0,
    droppedInfoReads: 0,
    droppedFailed: 0,
    infoCount: 0,
    pendingCount: 0,
    nemesisCount: 0,
  };

  constructor(opts: PairOptions = {}) {
    this.readFs = new Set(opts.readFs ?? READ_FS_DEFAULT);
  }

  /** accept takes the next op of the history; it throws a HistoryInputError on malformed pairing. */
  accept(op: Op): void {
    const position = this.position++;
    const open = this.tracker.accept(op, position, this.table.count);
    if (op.process === 'nemesis') {
      this.counts.nemesisCount++;
      return;
    }
    if (op.type === 'invoke') {
      this.table.openRow(op);
      return;
    }
    // accept() has already thrown for a completion that closes nothing.
    if (open === undefined) throw new Error(`toOperations: the ${op.type} at index ${op.index} closes no invoke`);
    if (op.type === 'ok') {
      this.table.closeOk(open.slot, op);
    } else if (op.type === 'fail') {
      if (this.readFs.has(op.f)) this.counts.droppedFailedReads++;
      else this.counts.droppedFailed++;
      this.table.drop(open.slot);
    } else {
      // An info op never returned as far as the search is concerned: no return index or time.
      this.markInfo(open);
    }
  }

  /** finish closes the still-open invokes as info and numbers the operations in invoke order. */
  finish(): PairResult {
    for (const open of [...this.tracker.pending()].sort((a, b) => a.slot - b.slot)) {
      this.counts.pendingCount++;
      this.markInfo(open);
    }
    const { table } = this;
    table.compact();
    const result = { ...this.counts, operations: [] as Operation[], table };
    // Not enumerable: results compare and print as before, by their operations.
    Object.defineProperty(result, 'table', { enumerable: false });
    defineLazy(result, 'operations', () => table.operations());
    return result;
  }

  // markInfo keeps an op that may or may not have happened, unless it is a read.
  private markInfo(open: OpenInvoke): void {
    if (this.readFs.has(open.invoke.f)) {
      this.counts.droppedInfoReads++;
      this.table.drop(open.slot);
    } else {
      this.counts.infoCount++;
      this.table.closeInfo(open.slot);
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
 * pairHistory pairs every client invoke with its process's next completion, in invoke order,
 * for the set/counter/bank checkers, the op stats and the report. Malformed pairing throws
 * (PairingTracker, the same rule toOperations applies).
 */
export function pairHistory(history: readonly Op[], clock: HistoryClock = historyClock(history)): Pairing {
  const tracker = new PairingTracker();
  const pairs: Pair[] = [];
  let nemesisCount = 0;
  for (let position = 0; position < history.length; position++) {
    const op = history[position];
    const open = tracker.accept(op, position, pairs.length);
    if (op.process === 'nemesis') {
      nemesisCount++;
      continue;
    }
    if (op.type === 'invoke') {
      pairs.push({ invoke: op, type: 'pending', start: clock.position(op), end: Infinity, returned: null });
      continue;
    }
    if (open === undefined) throw new Error(`pairHistory: the ${op.type} at index ${op.index} closes no invoke`);
    const pair = pairs[open.slot];
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
