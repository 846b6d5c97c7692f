// history/limits.ts — the bounds every history reader enforces, so no input can exhaust the stack.
import { HistoryParseError } from './errors.ts';

/**
 * VALUE_DEPTH_MAX bounds how deeply an op's value may nest. Checkers and reports walk values
 * with JSON.stringify, which is recursive and overflows V8's stack near 4,000 levels; real
 * histories nest a few levels (a txn is three), so 1,000 leaves a wide margin on both sides.
 */
export const VALUE_DEPTH_MAX = 1000;

// The op record itself is one level (a JSON object or EDN map) around its value.
const RECORD_DEPTH_MAX = VALUE_DEPTH_MAX + 1;

/**
 * checkJsonDepth throws a HistoryParseError when the JSON text of one record nests deeper than
 * allowed. A line needs at least as many characters as its depth, so short lines (all real
 * ones) cost one comparison; longer ones one scan, brackets inside strings skipped.
 */
export function checkJsonDepth(text: string, file: string, line: number): void {
  if (text.length <= RECORD_DEPTH_MAX) return;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > RECORD_DEPTH_MAX) {
        throw new HistoryParseError(file, line, `a value nested at most ${VALUE_DEPTH_MAX} levels deep`, `deeper nesting at column ${i + 1}`);
      }
    } else if (c === 0x5d || c === 0x7d) {
      depth -= 1;
    }
  }
}
