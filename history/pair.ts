// history/pair.ts — pair each invoke with its completion into Operations for the checkers.
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

interface Pending {
  invoke: Op;
  position: number;
}

/**
 * toOperations pairs every invoke with its process's next completion. `ok` keeps the op with
 * its return index; `fail` removes it (it never happened); `info` or a missing completion keeps
 * it with returnIndex Infinity (it may happen at any time after its invoke, or never). Reads
 * that fail or are info are dropped (they constrain nothing) but counted. Throws an Error naming
 * the history index on malformed pairing.
 */
export function toOperations(history: readonly Op[], opts: PairOptions = {}): PairResult {
  const readFs = new Set(opts.readFs ?? READ_FS_DEFAULT);
  const pending = new Map<Process, Pending>();
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
  let indexPrevious = -Infinity;
  for (let position = 0; position < history.length; position++) {
    const op = history[position];
    if (!(op.index > indexPrevious)) {
      throw new Error(`history index ${op.index}: indexes must increase (previous ${indexPrevious})`);
    }
    indexPrevious = op.index;
    if (op.process === 'nemesis') {
      result.nemesisCount++;
      continue;
    }
    if (op.type === 'invoke') {
      const open = pending.get(op.process);
      if (open !== undefined) {
        throw new Error(
          `history index ${op.index}: process ${op.process} invokes ${op.f} while its ${open.invoke.f} ` +
            `from index ${open.invoke.index} is still pending`,
        );
      }
      pending.set(op.process, { invoke: op, position: slots.length });
      slots.push(invokeToOperation(op));
      continue;
    }
    const open = pending.get(op.process);
    if (open === undefined) {
      throw new Error(`history index ${op.index}: ${op.type} ${op.f} of process ${op.process} has no pending invoke`);
    }
    if (open.invoke.f !== op.f) {
      throw new Error(
        `history index ${op.index}: completion f ${op.f} differs from invoke f ${open.invoke.f} at index ${open.invoke.index}`,
      );
    }
    pending.delete(op.process);
    complete(slots, open.position, op, readFs, result);
  }
  for (const open of pending.values()) {
    result.pendingCount++;
    markInfo(slots, open.position, readFs, result);
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
