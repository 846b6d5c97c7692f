// workloads/elle-check.ts — runs the Elle-style checker for a txn workload and names its anomalies.
import type { Op } from '../history/op.ts';
import { checkElle, type ElleAnomaly, type ElleResult, type ElleWorkload } from '../checker/elle/index.ts';
import type { WorkloadCheckOptions, WorkloadResult } from './types.ts';

/** CONSISTENCY_MODEL_DEFAULT: what a txn workload is checked against without --consistency-model. */
export const CONSISTENCY_MODEL_DEFAULT = 'strict-serializable';

/** KEYS_NAMED_MAX bounds the keys named in one anomaly line. */
const KEYS_NAMED_MAX = 6;

/** STEPS_NAMED_MAX bounds the cycle edges spelled out in one anomaly line. */
const STEPS_NAMED_MAX = 4;

/** ElleWorkloadResult: a txn workload's verdict; `elle` is the full checker result (the report draws it). */
export interface ElleWorkloadResult extends WorkloadResult {
  elle: ElleResult;
}

/** anomalyKeys: the keys an anomaly is about (its cycle's keys, else its own), distinct, in order. */
export function anomalyKeys(anomaly: ElleAnomaly): string[] {
  const keys: string[] = [];
  const steps = anomaly.cycle ?? [];
  for (const step of steps) {
    if (step.key !== undefined && !keys.includes(String(step.key))) keys.push(String(step.key));
  }
  if (keys.length === 0 && anomaly.key !== undefined) keys.push(String(anomaly.key));
  return keys;
}

/**
 * describeAnomaly: "G-single on keys 3,4: T1 < T2 (rw): ...; T2 < T1 (ww): ...". A cycle is
 * summed up by its edges (the explanation's first line is only "Let:"), a point anomaly by
 * the explanation's first line.
 */
export function describeAnomaly(anomaly: ElleAnomaly): string {
  const keys = anomalyKeys(anomaly);
  const shown = keys.slice(0, KEYS_NAMED_MAX).join(',') + (keys.length > KEYS_NAMED_MAX ? ',...' : '');
  const where = keys.length === 0 ? '' : keys.length === 1 ? ` on key ${shown}` : ` on keys ${shown}`;
  const steps = anomaly.cycle ?? [];
  const summary = steps.length > 0
    ? steps.slice(0, STEPS_NAMED_MAX).map((step) => `T${step.from} < T${step.to} (${step.edge}): ${step.text}`).join('; ') +
      (steps.length > STEPS_NAMED_MAX ? '; ...' : '')
    : anomaly.explanation.split('\n')[0] ?? '';
  return `${anomaly.type}${where}: ${summary}`;
}

/**
 * namedAnomalies: one line per anomaly type the model forbids (its first example, then how
 * many more were found), so a run with thousands of anomalies still prints a short verdict.
 */
export function namedAnomalies(elle: ElleResult): string[] {
  const lines: string[] = [];
  for (const type of elle.forbiddenTypes) {
    const example = elle.anomalies.find((a) => a.type === type);
    const count = elle.anomalyCounts[type] ?? 0;
    const more = count > 1 ? ` (${count - 1} more ${type})` : '';
    lines.push(example === undefined ? `${type} ×${count}` : describeAnomaly(example) + more);
  }
  return lines;
}

/**
 * checkTxnWorkload checks a list-append or rw-register history against the requested model.
 * Only the anomaly types the model forbids are named (all are in `elle.anomalyTypes`, every
 * kept example in `elle.anomalies`), and an unknown verdict says why.
 */
export function checkTxnWorkload(workload: ElleWorkload, history: readonly Op[], opts: WorkloadCheckOptions): ElleWorkloadResult {
  const elle = checkElle(history, {
    workload,
    consistencyModel: opts.consistencyModel ?? CONSISTENCY_MODEL_DEFAULT,
    timeoutMs: opts.timeoutMs,
  });
  const anomalies = namedAnomalies(elle);
  if (elle.valid === false && anomalies.length === 0) anomalies.push(`not ${elle.consistencyModel}: ${elle.forbiddenTypes.join(', ')}`);
  if (elle.valid === 'unknown' && elle.unknownReason !== undefined) anomalies.push(`unknown: ${elle.unknownReason}`);
  return { kind: 'txn', valid: elle.valid, anomalies, elle };
}
