// history/pair.ts — pair each invoke with its completion into Operations for the checkers.
import { HistoryInputError } from './errors.ts';
import type { Op, Process } from './op.ts';
import type { Operation } from '../checker/types.ts';

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
  private readonly open = new Map<Process, OpenInvoke>();
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
  const readFs = new Set(opts.readFs ?? READ_FS_DEFAULT);
  const tracker = new PairingTracker();
  // Slots in invoke order; null once the op is dropped. Ids are made dense at the end.
  const slots: (Operation | null)[] = [];
  const result: PairResult = {
    operations: [],
    droppedFailedReads: 0,
    droppedInfoReads: 0,
    droppedFailed: 0,
    infoCount: 0,
    pendingCount: 0,
    nemesisCount: 0,
  };
  for (let position = 0; position < history.length; position++) {
    const op = history[position];
    const open = tracker.accept(op, position, slots.length);
    if (op.process === 'nemesis') {
      result.nemesisCount++;
    } else if (op.type === 'invoke') {
      slots.push(invokeToOperation(op));
    } else if (open !== undefined) {
      complete(slots, open.slot, op, readFs, result);
    }
  }
  for (const open of tracker.pending()) {
    result.pendingCount++;
    markInfo(slots, open.slot, readFs, result);
  }
  for (const slot of slots) {
    if (slot === null) continue;
    slot.id = result.operations.length;
    result.operations.push(slot);
  }
  return result;
}

function invokeToOperation(op: Op): Operation {
  const operation: Operation = {
    id: -1,
    process: op.process,
    f: op.f,
    input: op.value,
    output: undefined,
    outcome: 'info',
    invokeIndex: op.index,
    returnIndex: Infinity,
  };
  if (op.key !== undefined) operation.key = op.key;
  if (op.time !== undefined) operation.invokeTime = op.time;
  return operation;
}

function complete(slots: (Operation | null)[], position: number, op: Op, readFs: Set<string>, result: PairResult): void {
  const operation = slots[position];
  if (operation === null) throw new Error(`history index ${op.index}: completion of a dropped op`);
  if (op.type === 'ok') {
    operation.outcome = 'ok';
    operation.output = op.value;
    operation.returnIndex = op.index;
    if (op.time !== undefined) operation.returnTime = op.time;
  } else if (op.type === 'fail') {
    if (readFs.has(op.f)) result.droppedFailedReads++;
    else result.droppedFailed++;
    slots[position] = null;
  } else {
    // An info op never returned as far as the search is concerned: no return index or time.
    markInfo(slots, position, readFs, result);
  }
}

function markInfo(slots: (Operation | null)[], position: number, readFs: Set<string>, result: PairResult): void {
  const operation = slots[position];
  if (operation === null) return;
  if (readFs.has(operation.f)) {
    result.droppedInfoReads++;
    slots[position] = null;
    return;
  }
  result.infoCount++;
}
