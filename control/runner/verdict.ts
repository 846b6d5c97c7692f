// control/runner/verdict.ts — a run's verdict and what counts as evidence (composeVerdicts is in checker/types.ts).
import { composeVerdicts, type Verdict } from '../../checker/types.ts';
import type { OpStats } from '../../history/stats.ts';


/** RunVerdict: a run's verdict and, when it is unknown for a reason of the run's own, that reason. */
export interface RunVerdict {
  valid: Verdict;
  unknownReason?: string;
}

/**
 * noEvidenceReason: a run in which no client operation succeeded proves nothing (every checker
 * passes such a history vacuously: a cluster that refused every request looks "valid"). Returns
 * why, or undefined when at least one operation succeeded.
 */
export function noEvidenceReason(stats: OpStats): string | undefined {
  const { count, ok, fail, info, pending } = stats.all;
  if (ok > 0) return undefined;
  if (count === 0) return 'no evidence: no client operation was invoked';
  return `no evidence: no client operation succeeded (${count} invoked: ${fail} failed, ${info} info, ${pending} pending)`;
}

/**
 * runVerdict composes a checker's verdict with the evidence rule (composeVerdicts): a history
 * without one successful operation is at best unknown; an anomaly found in it still counts.
 */
export function runVerdict(checkerValid: Verdict, stats: OpStats): RunVerdict {
  const reason = noEvidenceReason(stats);
  if (reason === undefined) return { valid: checkerValid };
  const valid = composeVerdicts([checkerValid, 'unknown']);
  return valid === 'unknown' ? { valid, unknownReason: reason } : { valid };
}
