// history/errors.ts — the one error every history reader throws on malformed input.

/**
 * HistoryParseError names the file, the 1-based line, what was expected and what was found.
 * Readers never drop malformed input silently: every bad line ends the read with one of these,
 * so a truncated or corrupted history cannot be mistaken for a shorter valid one.
 */
export class HistoryParseError extends Error {
  readonly file: string;
  readonly line: number;
  readonly expected: string;
  readonly got: string | undefined;

  constructor(file: string, line: number, expected: string, got?: string) {
    const found = got === undefined ? '' : `, got ${got}`;
    super(`${file}:${line}: expected ${expected}${found}`);
    this.name = 'HistoryParseError';
    this.file = file;
    this.line = line;
    this.expected = expected;
    this.got = got;
  }
}

/** describeFound renders a found value for an error message, cut short so lines stay readable. */
export function describeFound(value: unknown): string {
  let text: string;
  if (value === undefined) text = 'nothing';
  else if (typeof value === 'bigint') text = `${value}n`;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  const lengthMax = 80;
  return text.length > lengthMax ? `${text.slice(0, lengthMax)}...` : text;
}

/** HistoryInputErrorFields: where the op is and what was wrong with it. */
export interface HistoryInputErrorFields {
  /** index is the op's history index (its "index" field). */
  index: number;
  /** position is the op's place in the history array when known (indexes may repeat). */
  position?: number;
  /** detail is the message after "history index N: ", for logs without a file. */
  detail: string;
  expected: string;
  got: string;
}

/**
 * HistoryInputError is a history whose every line parsed but which is wrong as a whole: bad
 * pairing (a completion without an invoke, a double invoke, a repeated index) or input a model
 * cannot step (an unknown f, a cas value that is not a pair). It knows the op, not the line;
 * whoever read the file turns it into a HistoryParseError naming FILE:LINE (see located.ts).
 */
export class HistoryInputError extends Error {
  readonly index: number;
  readonly position: number | undefined;
  readonly expected: string;
  readonly got: string;

  constructor(fields: HistoryInputErrorFields) {
    super(`history index ${fields.index}: ${fields.detail}`);
    this.name = 'HistoryInputError';
    this.index = fields.index;
    this.position = fields.position;
    this.expected = fields.expected;
    this.got = fields.got;
  }
}
