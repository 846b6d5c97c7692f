// reports/oracle-view.ts — the verdict line of a simulated run's safety oracle (what it saw the cores do, not the clients).
type Json = Record<string, unknown>;

/** oracleSummary: "raft safety oracle: State Machine Safety: n2 applied … (and 3 more)", or what it watched when it saw nothing. */
export function oracleSummary(result: Json): string {
  const protocol = typeof result.protocol === 'string' ? result.protocol : 'protocol';
  const violations = Array.isArray(result.violations) ? result.violations : [];
  const anomalies = Array.isArray(result.anomalies) ? result.anomalies.map(String) : [];
  if (anomalies.length === 0) return `${protocol} safety oracle: every core watched, no violation`;
  const more = violations.length > 1 ? ` (${violations.length} violations in all)` : '';
  return `${protocol} safety oracle: ${anomalies[0]}${more}`;
}
