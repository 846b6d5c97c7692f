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
  const open = new Map<Process, Pair>();
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
    const pair = open.get(op.process);
    if (op.type === 'invoke') {
      if (pair !== undefined) {
        throw new Error(
          `history index ${op.index}: process ${op.process} invokes ${op.f} while its ${pair.invoke.f} ` +
            `from index ${pair.invoke.index} is still pending`,
        );
      }
      const opened: Pair = { invoke: op, type: 'pending', start: clock.position(op), end: Infinity, returned: null };
      open.set(op.process, opened);
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
    open.delete(op.process);
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
    result.operations.push(toOperation(pair, result.operations.length));
  }
  return result;
}

function toOperation(pair: Pair, id: number): Operation {
  const { invoke, completion } = pair;
  const ok = pair.type === 'ok' && completion !== undefined;
  const operation: Operation = {
    id,
    process: invoke.process,
    f: invoke.f,
    input: invoke.value,
    // An info op never returned as far as the search is concerned: no output, index or time.
    output: ok ? completion.value : undefined,
    outcome: ok ? 'ok' : 'info',
    invokeIndex: invoke.index,
    returnIndex: ok ? completion.index : Infinity,
  };
  if (invoke.key !== undefined) operation.key = invoke.key;
  if (invoke.time !== undefined) operation.invokeTime = invoke.time;
  if (ok && completion.time !== undefined) operation.returnTime = completion.time;
  return operation;
}
