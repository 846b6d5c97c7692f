// checker/linearizable/format.ts — render a LinearizabilityResult for the terminal.
import type { LinearizabilityResult } from './result.ts';

/** formatLinearizabilityResult renders a result for the terminal. */
export function formatLinearizabilityResult(result: LinearizabilityResult): string {
  const verdict = result.valid === true ? 'linearizable' : result.valid === false ? 'NOT linearizable' : 'unknown';
  const lines = [
    `${verdict} (model ${result.model}${result.semantics === 'knossos' ? ', Knossos semantics' : ''}, ${result.opCount} ops, ${result.partitionsChecked}/${result.partitions} partitions checked, ${Math.round(result.elapsedMs)} ms)`,
  ];
  if (result.unknownReason !== undefined) lines.push(`  unknown: ${result.unknownReason}`);
  for (const failure of result.failures) {
    lines.push(`  ${failure.key === undefined ? 'history' : `key ${JSON.stringify(failure.key)}`}:`);
    for (const line of failure.lines) lines.push(`    ${line}`);
  }
  return lines.join('\n');
}
