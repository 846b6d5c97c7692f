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
