// control/runner/oracle-result.ts — the simulator's safety oracle as a checker result of the run, beside the history's checker.
import { composeVerdicts, type CheckerResult, type Verdict } from '../../checker/types.ts';
import type { SafetyViolation } from '../../rsm/core/types.ts';

/**
 * OracleResult: what the safety oracle of a simulated run saw (rsm/protocols.ts
 * safetyOracleOf): it watched every core, so it sees what no client history shows (an entry
 * committed and then overwritten that no client was told of). `atMs` of each violation is
 * virtual time since the world started, which is also the history's time 0 (the main phase
 * starts as the simulated nodes do).
 */
export interface OracleResult extends CheckerResult {
  kind: 'safety-oracle';
  protocol: string;
  valid: boolean;
  anomalies: string[];
  violations: SafetyViolation[];
}

/** oracleResult: invalid when the oracle saw a violation; the anomalies are its messages, one per property. */
export function oracleResult(protocol: string, violations: readonly SafetyViolation[]): OracleResult {
  const firstOf = new Map<string, SafetyViolation>();
  for (const v of violations) if (!firstOf.has(v.property)) firstOf.set(v.property, v);
  return { kind: 'safety-oracle', protocol, valid: violations.length === 0, anomalies: [...firstOf.values()].map((v) => v.message), violations: [...violations] };
}

/** withOracle: a verdict and anomalies with the oracle's composed in (false beats unknown beats true). */
export function withOracle(valid: Verdict, anomalies: readonly string[], oracle: OracleResult | undefined): { valid: Verdict; anomalies: string[] } {
  if (oracle === undefined) return { valid, anomalies: [...anomalies] };
  return { valid: composeVerdicts([valid, oracle.valid]), anomalies: [...anomalies, ...oracle.anomalies] };
}

/** isOracleResult: results.json is untrusted when re-checked; only a well-formed oracle result is composed. */
export function isOracleResult(value: unknown): value is OracleResult {
  const v = value as Partial<OracleResult> | null;
  return typeof v === 'object' && v !== null && v.kind === 'safety-oracle' && typeof v.valid === 'boolean' && Array.isArray(v.anomalies) && v.anomalies.every((a) => typeof a === 'string');
}
