// control/verdict-lines.ts — the short verdict a run or `check` ends with; full text stays in results.json.
import type { ConvergenceResult } from '../checker/convergence/index.ts';
import type { ElleResult } from '../checker/elle/index.ts';
import type { LinearizabilityResult } from '../checker/linearizable/result.ts';
import type { Verdict } from '../checker/types.ts';
import { isOracleResult } from './runner/oracle-result.ts';

/** VERDICT_COLUMNS_MAX: no verdict line is wider (a terminal's, a CI log's readable width). */
export const VERDICT_COLUMNS_MAX = 100;
/** EXAMPLES_MAX bounds the example lines (one per anomaly type). */
const EXAMPLES_MAX = 8;

/** VerdictInput: the parts of a results.json (or a workload result) the verdict reads. */
export interface VerdictInput {
  valid: Verdict;
  anomalies: readonly string[];
  checker?: unknown;
  /** oracle: a simulated run's safety oracle (control/runner/oracle-result.ts). */
  oracle?: unknown;
  error?: string;
  /** unknownReason / checkerError: why a run's verdict is unknown (no evidence, a cut-short history, a checker out of memory). */
  unknownReason?: string;
  checkerError?: string;
}

/** VerdictPlace: what the run or check is called, and where its full results are. */
export interface VerdictPlace {
  /** title follows the verdict word: "raft-register-partition seed 7", "(workload list-append, 9 history entries)". */
  title: string;
  /** storeDir: the run directory; its report.html is named too. */
  storeDir?: string;
  /** resultsPath: where the full result was written, when not the run's results.json. */
  resultsPath?: string;
}

interface Summary {
  /** what: the anomaly types with counts, the weakest model violated, or why unknown. */
  what: string;
  /** examples: at most one per anomaly type. */
  examples: string[];
}

/** cutLine shortens a line to `columns` characters, marking the cut with an ellipsis. */
export function cutLine(text: string, columns = VERDICT_COLUMNS_MAX): string {
  const line = text.replace(/\s*\n\s*/g, ' ');
  return line.length <= columns ? line : `${line.slice(0, columns - 1)}…`;
}

// wrapWords breaks a summary at spaces into lines of at most `columns`, later ones indented.
function wrapWords(text: string, columns: number, indent: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (candidate.length <= columns || current === '') current = candidate;
    else {
      lines.push(current);
      current = `${indent}${word}`;
    }
  }
  if (current !== '') lines.push(current);
  return lines.map((line) => cutLine(line, columns));
}

function isElle(value: unknown): value is ElleResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as ElleResult).forbiddenTypes) &&
    typeof (value as ElleResult).anomalyCounts === 'object';
}

function isLinearizability(value: unknown): value is LinearizabilityResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as LinearizabilityResult).failures) &&
    typeof (value as LinearizabilityResult).partitions === 'number';
}

function counted(types: readonly string[], counts: Partial<Record<string, number>>): string {
  return types.map((type) => `${type} ×${counts[type] ?? 0}`).join(', ');
}

function elleSummary(elle: ElleResult, input: VerdictInput): Summary {
  const examples = input.anomalies.filter((line) => !line.startsWith('unknown: '));
  if (elle.valid === false) {
    const weakest = elle.notModels.length > 0 ? `; weakest model violated: ${elle.notModels.join(', ')}` : '';
    return { what: `${counted(elle.forbiddenTypes, elle.anomalyCounts)}${weakest}`, examples };
  }
  const allowed = elle.anomalyTypes.filter((type) => !elle.forbiddenTypes.includes(type));
  const found = allowed.length > 0 ? `; found but allowed: ${counted(allowed, elle.anomalyCounts)}` : '';
  const why = elle.valid === 'unknown' ? `unknown: ${elle.unknownReason ?? 'search budget exhausted'}; ` : '';
  return { what: `${why}${elle.consistencyModel}${found}`, examples: [] };
}

function linearizabilitySummary(result: LinearizabilityResult, input: VerdictInput): Summary {
  if (result.valid !== false) {
    const why = result.valid === 'unknown' ? `unknown: ${result.unknownReason ?? 'search budget exhausted'}; ` : '';
    return { what: `${why}linearizable (${result.opCount} ops, ${result.partitionsChecked}/${result.partitions} keys checked)`, examples: [] };
  }
  const keys = result.failures.map((failure) => (failure.key === undefined ? 'history' : `key ${JSON.stringify(failure.key)}`));
  const where = keys.length > 0 ? ` (${keys.join(', ')})` : '';
  // The search stops at the first key that cannot be linearized: one example says it all.
  return { what: `nonlinearizable ×${Math.max(1, result.failures.length)}${where}; weakest model violated: linearizable`, examples: input.anomalies.slice(0, 1) };
}

function isConvergence(value: unknown): value is ConvergenceResult {
  return typeof value === 'object' && value !== null && (value as ConvergenceResult).kind === 'convergence' &&
    Array.isArray((value as ConvergenceResult).nodes) && typeof (value as ConvergenceResult).staleReads === 'object';
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * convergenceSummary: a last-writer-wins store's two findings on one line — "not linearizable
 * (33 stale reads), converged" or "did not converge on 2 keys (1 lost write); …" — since
 * failing linearizability is by design there and only convergence tells working from broken.
 */
function convergenceSummary(linear: LinearizabilityResult, convergence: ConvergenceResult, input: VerdictInput): Summary {
  const linearWords = linear.valid === true ? 'linearizable' : linear.valid === false ? 'not linearizable' : 'linearizability unknown';
  const stale = plural(convergence.staleReads.count, 'stale read');
  const linearExample = input.anomalies.filter((line) => line.startsWith('nonlinearizable')).slice(0, 1);
  if (convergence.valid === false) {
    const keys = plural(convergence.disagreements.length, 'key');
    const lost = convergence.lostWrites.length > 0 ? ` (${plural(convergence.lostWrites.length, 'lost write')})` : '';
    return { what: `did not converge on ${keys}${lost}; ${linearWords}`, examples: [...convergence.anomalies.slice(0, 1), ...linearExample] };
  }
  if (convergence.valid !== true) {
    const missing = plural(convergence.missingFinalReads.length, 'final read');
    return { what: `convergence unknown: ${missing} missing; ${linearWords} (${stale})`, examples: [...convergence.anomalies.slice(0, 1), ...linearExample] };
  }
  return { what: `${linearWords} (${stale}), converged on ${plural(convergence.nodes.length, 'replica')}`, examples: linearExample };
}

/**
 * summarize: the history checker's summary, led by the safety oracle's finding when it saw a
 * violation (what the cores did that the history may not show).
 */
function summarize(input: VerdictInput): Summary {
  const fromHistory = summarizeHistory(input);
  if (!isOracleResult(input.oracle) || input.oracle.valid) return fromHistory;
  const o = input.oracle;
  const history = input.anomalies.filter((a) => !o.anomalies.includes(a));
  const examples = [...o.anomalies, ...fromHistory.examples.filter((e) => history.includes(e))];
  return { what: `${o.protocol} safety oracle: ${o.anomalies.map((a) => a.split(':')[0]).join(', ')}; history: ${fromHistory.what}`, examples };
}

function summarizeHistory(input: VerdictInput): Summary {
  if (input.error !== undefined) return { what: input.error.split('\n')[0], examples: [] };
  const reason = input.unknownReason ?? input.checkerError;
  if (input.valid === 'unknown' && reason !== undefined) return { what: reason, examples: [] };
  const checker = input.checker as { elle?: unknown; linearizable?: unknown; convergence?: unknown } | undefined;
  if (isElle(checker?.elle)) return elleSummary(checker.elle, input);
  if (isLinearizability(checker?.linearizable) && isConvergence(checker?.convergence)) return convergenceSummary(checker.linearizable, checker.convergence, input);
  if (isLinearizability(checker?.linearizable)) return linearizabilitySummary(checker.linearizable, input);
  if (input.valid === true) return { what: 'no anomalies', examples: [] };
  const count = input.anomalies.length;
  return { what: count === 0 ? 'no anomaly named' : `${count} ${count === 1 ? 'anomaly' : 'anomalies'}`, examples: [...input.anomalies] };
}

/**
 * verdictLines renders the end of a run or check: "INVALID <title>: <types with counts>;
 * weakest model violated: M" (wrapped at VERDICT_COLUMNS_MAX), where the full results are,
 * then at most one example per anomaly type, each cut to VERDICT_COLUMNS_MAX columns.
 */
export function verdictLines(input: VerdictInput, place: VerdictPlace): string[] {
  const word = input.valid === true ? 'valid' : input.valid === false ? 'INVALID' : 'unknown';
  const { what, examples } = summarize(input);
  const lines = wrapWords(`${word} ${place.title}: ${what}`, VERDICT_COLUMNS_MAX, '    ');
  if (place.storeDir !== undefined) lines.push(`  store: ${place.storeDir} (report.html, results.json)`);
  if (place.resultsPath !== undefined) lines.push(`  full results: ${place.resultsPath}`);
  for (const example of examples.slice(0, EXAMPLES_MAX)) lines.push(cutLine(`  - ${example}`));
  if (examples.length > EXAMPLES_MAX) lines.push(`  … ${examples.length - EXAMPLES_MAX} more anomaly types in results.json`);
  return lines;
}
