// history/located.ts — a history read with each op's line, so whole-history errors name FILE:LINE.
import { HistoryInputError, HistoryParseError } from './errors.ts';
import { openText, type TextInput } from './lines.ts';
import type { Op } from './op.ts';
import { checkPairing } from './pair.ts';
import { readHistory, type HistoryReadOptions } from './read.ts';

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
  const located = { file: source.name, ops, lines };
  try {
    checkPairing(ops);
  } catch (error) {
    throw locateError(error, located);
  }
  return located;
}

/**
 * locateError turns a HistoryInputError about an op of `history` into a HistoryParseError at
 * that op's line; any other error is returned as it is.
 */
export function locateError(error: unknown, history: LocatedHistory): unknown {
  if (!(error instanceof HistoryInputError)) return error;
  const position = error.position ?? positionOfIndex(history.ops, error.index);
  const line = position === undefined ? undefined : history.lines[position];
  if (line === undefined) return error;
  return new HistoryParseError(history.file, line, error.expected, error.got);
}

/** withLocatedErrors runs `check` over `history`, rethrowing its input errors located. */
export async function withLocatedErrors<T>(history: LocatedHistory, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    throw locateError(error, history);
  }
}

// positionOfIndex finds the op with history index `index` by binary search: a history that
// passed checkPairing has strictly increasing indexes.
function positionOfIndex(ops: readonly Op[], index: number): number | undefined {
  let low = 0;
  let high = ops.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const found = ops[middle].index;
    if (found === index) return middle;
    if (found < index) low = middle + 1;
    else high = middle - 1;
  }
  return undefined;
}
