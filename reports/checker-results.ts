// reports/checker-results.ts — find every checker result inside results.json and classify it.
import type { Verdict } from '../checker/types.ts';
import type { LinearizabilityResult } from '../checker/linearizable/result.ts';
import { elementTablesOf, isElementsResult } from './elements.ts';
import { type ElementTable } from '../checker/elements.ts';

/** VerdictRow: one checker's verdict; `path` is where it sits in results.json ("" = the root). */
export interface VerdictRow {
  path: string;
  valid: Verdict;
  summary: string;
}

/** CheckerSection: a result the report draws (linearizability, element tables) or dumps as JSON. */
export type CheckerSection =
  | { kind: 'linearizable'; path: string; result: LinearizabilityResult }
  | { kind: 'elements'; path: string; valid: Verdict; tables: ElementTable[] }
  | { kind: 'other'; path: string; valid: Verdict; json: unknown };

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
 * isLinearizabilityResult recognises checker/linearizable's result by its fields, down to each
 * failure's arrays (results.json is untrusted: a malformed one is shown as JSON instead).
 */
export function isLinearizabilityResult(value: Json): boolean {
  if (!(Array.isArray(value.failures) && typeof value.partitions === 'number' && typeof value.model === 'string')) return false;
  return value.failures.every((f: unknown) => isObject(f) && isPartitionFailure(f));
}

function isPartitionFailure(f: Json): boolean {
  const arrays = ['prefix', 'failingOpIds', 'candidateIds', 'statesBefore', 'windowIds', 'ops', 'lines'];
  if (!arrays.every((name) => Array.isArray(f[name]))) return false;
  const ops = f.ops as unknown[];
  const prefix = f.prefix as unknown[];
  return ops.every((op) => isObject(op) && typeof op.id === 'number' && typeof op.invokeIndex === 'number' && typeof op.text === 'string') &&
    prefix.every((step) => isObject(step) && typeof step.id === 'number' && typeof step.stateAfter === 'string');
}

/**
 * collectCheckers walks results.json (breadth first, bounded depth and size: it is untrusted
 * input) and returns a verdict row for every object holding a `valid` field, plus a section for
 * each result it can draw. Objects with `valid` it does not know, and that hold no known result
 * beneath them, become 'other' sections shown as JSON.
 */
export function collectCheckers(results: unknown): CheckerResults {
  const out: CheckerResults = { verdicts: [], sections: [], anomalies: [] };
  if (!isObject(results)) return out;
  if (Array.isArray(results.anomalies)) out.anomalies = results.anomalies.map((a) => (typeof a === 'string' ? a : JSON.stringify(a)));
  if (typeof results.error === 'string') out.error = results.error;
  const queue: { node: Json; path: string; depth: number }[] = [{ node: results, path: '', depth: 0 }];
  const pendingOther: { path: string; valid: Verdict; json: unknown }[] = [];
  for (let head = 0; head < queue.length && head < NODES_MAX; head += 1) {
    const { node, path, depth } = queue[head];
    const valid = toVerdict(node.valid);
    if (valid !== undefined) out.verdicts.push({ path, valid, summary: summarise(node) });
    if (valid !== undefined && isLinearizabilityResult(node)) {
      out.sections.push({ kind: 'linearizable', path, result: node as unknown as LinearizabilityResult });
      continue;
    }
    if (valid !== undefined && isElementsResult(node)) {
      out.sections.push({ kind: 'elements', path, valid, tables: elementTablesOf(node) });
      continue;
    }
    if (valid !== undefined && path !== '') pendingOther.push({ path, valid, json: node });
    if (depth >= DEPTH_MAX) continue;
    for (const [name, child] of Object.entries(node)) {
      if (isObject(child)) queue.push({ node: child, path: path === '' ? name : `${path}.${name}`, depth: depth + 1 });
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
  if (isLinearizabilityResult(node)) {
    const r = node as unknown as LinearizabilityResult;
    const head = `${r.model}: ${r.opCount} ops, ${r.partitionsChecked}/${r.partitions} partitions checked`;
    if (r.failures.length > 0) return `${head}; not linearizable: ${r.failures.map((f) => (f.key === undefined ? 'history' : `key ${JSON.stringify(f.key)}`)).join(', ')}`;
    return r.unknownReason === undefined ? head : `${head}; ${r.unknownReason}`;
  }
  if (Array.isArray(node.anomalies) && node.anomalies.length > 0) return node.anomalies.slice(0, 3).map(String).join('; ');
  if (typeof node.error === 'string') return node.error.split('\n')[0];
  return '';
}
