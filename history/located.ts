// history/located.ts — a history read with each op's line, so whole-history errors name FILE:LINE.
import { HistoryInputError, HistoryParseError } from './errors.ts';
import { openText, type TextInput } from './lines.ts';
import type { Op } from './op.ts';
import { checkPairing, OperationPairer, type PairOptions, type PairResult } from './pair.ts';
import { PositionRuns } from './position-runs.ts';
import { forEachOp, readHistory, type HistoryReadOptions } from './read.ts';

/** LocatedHistory: the ops, the file they came from and the 1-based line of each op. */
export interface LocatedHistory {
  file: string;
  ops: Op[];
  lines: number[];
}

/**
 * readLocatedHistory reads a whole history (once: pipes work) and checks its pairing
 * (PairingTracker), so a history the checkers would choke on is a HistoryParseError naming
 * FILE:LINE before any checker runs.
 */
export async function readLocatedHistory(
  input: TextInput, opts: Omit<HistoryReadOptions, 'lines'> = {},
): Promise<LocatedHistory> {
  const source = openText(input);
  const lines: number[] = [];
  const ops = await readHistory(source, { ...opts, lines });
  return locatedFrom(source.name, ops, lines);
}

/** locatedFrom checks the pairing of ops read with their lines; a bad op is a HistoryParseError at its line. */
export function locatedFrom(file: string, ops: Op[], lines: number[]): LocatedHistory {
  const located = { file, ops, lines };
  try {
    checkPairing(ops);
  } catch (error) {
    throw locateError(error, located);
  }
  return located;
}

/**
 * OpLocator says where the ops of a read history are: the file, each op's line by position,
 * and each position's history index (increasing, once the pairing is checked).
 */
export interface OpLocator {
  file: string;
  lineAt(position: number): number | undefined;
  indexAt(position: number): number;
  count: number;
}

/** locatorOf locates the ops of a history held whole. */
export function locatorOf(history: LocatedHistory): OpLocator {
  const { file, ops, lines } = history;
  return { file, lineAt: (position) => lines[position], indexAt: (position) => ops[position].index, count: ops.length };
}

/**
 * locateError turns a HistoryInputError about an op of `history` into a HistoryParseError at
 * that op's line; any other error is returned as it is.
 */
export function locateError(error: unknown, history: LocatedHistory | OpLocator): unknown {
  if (!(error instanceof HistoryInputError)) return error;
  const where = 'ops' in history ? locatorOf(history) : history;
  const position = error.position ?? positionOfIndex(where, error.index);
  const line = position === undefined ? undefined : where.lineAt(position);
  if (line === undefined) return error;
  return new HistoryParseError(where.file, line, error.expected, error.got);
}

/** withLocatedErrors runs `check` over `history`, rethrowing its input errors located. */
export async function withLocatedErrors<T>(history: LocatedHistory | OpLocator, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    throw locateError(error, history);
  }
}

/** LocatedOperations: a history read and paired in one pass, and where its ops were. */
export interface LocatedOperations {
  paired: PairResult;
  locator: OpLocator;
}

/** ReadPairedOptions: how to read and pair; `onOp` hears the count of ops read so far. */
export type ReadPairedOptions = Omit<HistoryReadOptions, 'lines'> & PairOptions & { onOp?: (count: number) => void };

/**
 * readLocatedOperations is readLocatedHistory followed by toOperations, in one pass that never
 * holds every op: each op is paired as it is read (OperationPairer), and only its line and
 * index are kept, for errors. The errors are the same, in the same order: a line that does not
 * parse wins over a pairing error on an earlier line (the whole file is read first), and the
 * first pairing error is a HistoryParseError at its line.
 */
export async function readLocatedOperations(file: string, input: TextInput, opts: ReadPairedOptions = {}): Promise<LocatedOperations> {
  // Kept as runs: a history's lines and indexes count up by one from op to op.
  const lines = new PositionRuns();
  const indexes = new PositionRuns();
  const pairer = new OperationPairer(opts);
  let pairingError: unknown;
  await forEachOp(input, { ...opts, lines }, (op) => {
    indexes.push(op.index);
    opts.onOp?.(indexes.count);
    if (pairingError !== undefined) return;
    try {
      pairer.accept(op);
    } catch (error) {
      pairingError = error;
    }
  });
  const locator: OpLocator = {
    file, lineAt: (position) => lines.at(position), indexAt: (position) => indexes.at(position) as number, count: indexes.count,
  };
  if (pairingError !== undefined) throw locateError(pairingError, locator);
  return { paired: pairer.finish(), locator };
}

// positionOfIndex finds the op with history index `index` by binary search: a history that
// passed its pairing check has strictly increasing indexes.
function positionOfIndex(where: OpLocator, index: number): number | undefined {
  let low = 0;
  let high = where.count - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const found = where.indexAt(middle);
    if (found === index) return middle;
    if (found < index) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}
