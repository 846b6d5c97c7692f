// reports/checker-results.ts — find every checker result inside results.json and pick its view by kind.
import type { Verdict } from '../checker/types.ts';
import { inferKind, RESULT_VIEWS, type CheckerSection } from './views.ts';

export type { CheckerSection } from './views.ts';

/** VerdictRow: one checker's verdict; `path` is where it sits in results.json ("" = the root). */
export interface VerdictRow {
  path: string;
  valid: Verdict;
  summary: string;
}


/** CheckerResults: verdicts of every checker plus the sections to draw. */
export interface CheckerResults {
  verdicts: VerdictRow[];
  sections: CheckerSection[];
  anomalies: string[];
  error?: string;
}

const DEPTH_MAX = 6;
const NODES_MAX = 10_000;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** toVerdict reads a `valid` field (Jepsen writes :unknown as a string). */
export function toVerdict(value: unknown): Verdict | undefined {
  if (value === true || value === false) return value;
  if (value === 'unknown' || value === ':unknown') return 'unknown';
  return undefined;
}

/**
 * collectCheckers walks results.json and returns a verdict row for every checker result in it,
 * plus a section for each result it can draw. A result with a `kind` is drawn by the view
 * registered for that kind (reports/views.ts), which also names the fields holding nested
 * results. A result without a kind (results.json from before kinds, or another tool's) gets
 * one inferred from its fields; failing that it is walked (breadth first, bounded depth and
 * size: it is untrusted input) and, unless it only wraps results found beneath it, shown as JSON.
 */
export function collectCheckers(results: unknown): CheckerResults {
  const out: CheckerResults = { verdicts: [], sections: [], anomalies: [] };
  if (!isObject(results)) return out;
  if (Array.isArray(results.anomalies)) out.anomalies = results.anomalies.map((a) => (typeof a === 'string' ? a : JSON.stringify(a)));
  if (typeof results.error === 'string') out.error = results.error;
  // A completed run whose check gave no verdict (out of memory or time) says why the same way.
  else if (typeof results.checkerError === 'string') out.error = `no verdict: ${results.checkerError}`;
  const queue: { node: Json; path: string; depth: number }[] = [{ node: results, path: '', depth: 0 }];
  const pendingOther: { path: string; valid: Verdict; json: unknown }[] = [];
  const visit = (node: Json, name: string, path: string, depth: number): void => {
    queue.push({ node, path: path === '' ? name : `${path}.${name}`, depth: depth + 1 });
  };
  for (let head = 0; head < queue.length && head < NODES_MAX; head += 1) {
    const { node, path, depth } = queue[head];
    const valid = toVerdict(node.valid);
    const kind = typeof node.kind === 'string' ? node.kind : inferKind(node);
    const view = kind === undefined ? undefined : RESULT_VIEWS[kind];
    if (valid !== undefined) out.verdicts.push({ path, valid, summary: view?.summary?.(node) || summarise(node) });
    if (view !== undefined && valid !== undefined) {
      const section = view.section?.(node, path, valid);
      if (section !== undefined) out.sections.push(section);
      for (const name of view.children ?? []) {
        const child = node[name];
        if (isObject(child)) visit(child, name, path, depth);
      }
      if (section !== undefined || view.children !== undefined) continue;
    }
    if (valid !== undefined && path !== '') pendingOther.push({ path, valid, json: node });
    if (depth >= DEPTH_MAX) continue;
    for (const [name, child] of Object.entries(node)) {
      if (isObject(child)) visit(child, name, path, depth);
    }
  }
  // A result that holds a drawn result is only a wrapper (e.g. the workload's result around its linearizability check).
  for (const other of pendingOther) {
    const wraps = out.verdicts.some((v) => v.path.startsWith(`${other.path}.`));
    if (!wraps) out.sections.push({ kind: 'other', ...other });
  }
  return out;
}

function summarise(node: Json): string {
  if (Array.isArray(node.anomalies) && node.anomalies.length > 0) return node.anomalies.slice(0, 3).map(String).join('; ');
  if (typeof node.error === 'string') return node.error.split('\n')[0];
  return '';
}
