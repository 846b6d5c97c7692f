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

  /** positions lists the open slots (order does not matter to the caller). */
  positions(): number[] {
    return [...this.dense.filter((p) => p >= 0), ...this.sparse.values()].filter((p) => p >= 0);
  }
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
  // pending: each process's open invoke, as its slot (-1: none).
  const pending = new PendingTable();
  // Slots in invoke order: the invoke and, once it came, its ok completion (null: info or
  // never completed; undefined while open). Operations are built at the end, in one shape each.
  const invokes: Op[] = [];
  const completions: (Op | null | undefined)[] = [];
  const dropped: boolean[] = [];
  const result: PairResult = {
    operations: [],
    droppedFailedReads: 0,
    droppedInfoReads: 0,
    droppedFailed: 0,
    infoCount: 0,
    pendingCount: 0,
    nemesisCount: 0,
  };
  // markInfo keeps an op that may or may not have happened, unless it is a read.
  const markInfo = (slot: number): void => {
    completions[slot] = null;
    if (readFs.has(invokes[slot].f)) {
      result.droppedInfoReads++;
      dropped[slot] = true;
    } else {
      result.infoCount++;
    }
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
    const openAt = pending.get(op.process);
    const open = openAt >= 0 ? invokes[openAt] : undefined;
    if (op.type === 'invoke') {
      if (open !== undefined) {
        throw new Error(
          `history index ${op.index}: process ${op.process} invokes ${op.f} while its ${open.f} ` +
            `from index ${open.index} is still pending`,
        );
      }
      pending.set(op.process, invokes.length);
      invokes.push(op);
      completions.push(undefined);
      dropped.push(false);
      continue;
    }
    if (open === undefined) {
      throw new Error(`history index ${op.index}: ${op.type} ${op.f} of process ${op.process} has no pending invoke`);
    }
    if (open.f !== op.f) {
      throw new Error(
        `history index ${op.index}: completion f ${op.f} differs from invoke f ${open.f} at index ${open.index}`,
      );
    }
    pending.set(op.process, -1);
    if (op.type === 'ok') {
      completions[openAt] = op;
    } else if (op.type === 'fail') {
      if (readFs.has(op.f)) result.droppedFailedReads++;
      else result.droppedFailed++;
      dropped[openAt] = true;
    } else {
      // An info op never returned as far as the search is concerned: no return index or time.
      markInfo(openAt);
    }
  }
  for (const slot of pending.positions().sort((a, b) => a - b)) {
    result.pendingCount++;
    markInfo(slot);
  }
  for (let slot = 0; slot < invokes.length; slot++) {
    if (dropped[slot]) continue;
    result.operations.push(new PairedOperation(result.operations.length, invokes[slot], completions[slot] ?? null));
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
