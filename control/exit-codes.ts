// control/exit-codes.ts — the exit codes of `npm run jepsen` (DESIGN.md "Conventions").
import type { Verdict } from '../checker/types.ts';

export const EXIT_VALID = 0;
export const EXIT_INVALID = 1;
export const EXIT_UNKNOWN = 2;
export const EXIT_BAD_INPUT = 3;

/** exitCodeFor maps a verdict to the process exit code. */
export function exitCodeFor(valid: Verdict): number {
  if (valid === true) return EXIT_VALID;
  if (valid === false) return EXIT_INVALID;
  return EXIT_UNKNOWN;
}

/** UsageError is bad input from the user (a flag, a file): printed on one line, exit 3. */
export class UsageError extends Error {
  override name = 'UsageError';
}
