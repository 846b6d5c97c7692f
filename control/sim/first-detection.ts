// control/sim/first-detection.ts — how early an invalid history was already invalid: the shortest prefix its checker rejects.
import type { Verdict } from '../../checker/types.ts';
import type { Op } from '../../history/op.ts';

/** PREFIX_CHECKS_MAX bounds the search (a binary search over 2^30 ops needs 31 checks). */
const PREFIX_CHECKS_MAX = 32;

/** FirstDetection: the shortest rejected prefix: its length, and the time of its last op (ms since the run started). */
export interface FirstDetection {
  opCount: number;
  atMs: number;
  /** checks: how many prefixes were checked to find it. */
  checks: number;
}

/**
 * firstInvalidPrefix finds the shortest prefix of `history` (in line order, which is real-time
 * order) that `check` calls invalid; null when the whole history is not invalid. Ops invoked in
 * the prefix but completed after it stay pending — they may or may not have taken effect — so a
 * prefix says only what had been observed by then. A longer prefix of a register history only
 * adds constraints, so invalidity is monotone and a binary search finds the shortest one; for
 * checkers that judge at the end (a set's final read) this is the final read's time. A prefix
 * the checker cannot decide (unknown) counts as not yet invalid.
 */
export async function firstInvalidPrefix(history: readonly Op[], check: (prefix: readonly Op[]) => Promise<Verdict>): Promise<FirstDetection | null> {
  let checks = 0;
  const invalid = async (length: number): Promise<boolean> => {
    checks += 1;
    return (await check(history.slice(0, length))) === false;
  };
  if (history.length === 0 || !(await invalid(history.length))) return null;
  // Invariant: the prefix of length hi is invalid, that of length lo is not (the empty one never is).
  let lo = 0;
  let hi = history.length;
  while (hi - lo > 1) {
    if (checks >= PREFIX_CHECKS_MAX) break;
    const mid = lo + Math.floor((hi - lo) / 2);
    if (await invalid(mid)) hi = mid;
    else lo = mid;
  }
  const last = history[hi - 1];
  return { opCount: hi, atMs: (last.time ?? 0) / 1e6, checks };
}
