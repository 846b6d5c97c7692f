// checker/elle/format.ts — a terminal rendering of an ElleResult.
import type { ElleResult } from './types.ts';

/** formatElleResult renders the verdict, the models violated and every kept anomaly's explanation. */
export function formatElleResult(r: ElleResult): string {
  const lines = [
    `Elle ${r.workload}, model ${r.consistencyModel}: valid ${String(r.valid)}`,
    `  ${r.txnCount} txns (${r.okCount} ok, ${r.infoCount} info, ${r.failCount} fail), ${r.edgeCount} dependency edges, ` +
      `${r.componentCount} cyclic component(s), ${(r.elapsedMs / 1000).toFixed(2)} s`,
  ];
  if (r.anomalyTypes.length > 0) {
    const counts = r.anomalyTypes.map((t) => `${t} ×${r.anomalyCounts[t] ?? 0}`).join(', ');
    lines.push(`  anomalies: ${counts}`);
    if (r.forbiddenTypes.length > 0) lines.push(`  forbidden by ${r.consistencyModel}: ${r.forbiddenTypes.join(', ')}`);
    lines.push(`  not: ${r.notModels.join(', ')}`);
    if (r.alsoNotModels.length > 0) lines.push(`  also not: ${r.alsoNotModels.join(', ')}`);
  }
  if (r.unknownReason !== undefined) lines.push(`  unknown: ${r.unknownReason}`);
  for (const a of r.anomalies) {
    lines.push('', `${a.type}:`);
    for (const line of a.explanation.split('\n')) lines.push(`  ${line}`);
  }
  return lines.join('\n');
}
