// control/runner/verdict.ts — composing verdicts (false > unknown > true) and mapping them to exit codes.
import type { Verdict } from '../../checker/types.ts';

/** composeVerdicts is Jepsen's checker/compose rule: any false is false, else any unknown is unknown. */
export function composeVerdicts(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.some((v) => v === false)) return false;
  if (verdicts.some((v) => v === 'unknown')) return 'unknown';
  return true;
}
