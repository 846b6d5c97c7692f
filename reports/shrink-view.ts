// reports/shrink-view.ts — the minimal (shrunk) case beside the original, from a run's shrink.json (written by `sim --shrink`).
import path from 'node:path';

/** SHRINK_FILE: written into both the original and the minimal run's directory by `sim --seed N --shrink`. */
export const SHRINK_FILE = 'shrink.json';

/** ShrinkView: one row per measure (original vs minimal), the steps tried, and which side this run is. */
export interface ShrinkView {
  seed: unknown;
  /** thisRun: which of the two cases this report is of. */
  thisRun: 'original' | 'minimal';
  /** otherReport: the other case's report.html, relative to this run's directory. */
  otherReport: string;
  rows: { measure: string; original: string; minimal: string }[];
  steps: { what: string; kept: boolean; opCount: number }[];
  runs: number;
}

const MEASURES: Array<[key: string, label: string]> = [
  ['opCount', 'history entries'],
  ['nemesisOps', 'nemesis ops'],
  ['timeLimitS', 'time limit (s)'],
  ['concurrency', 'clients'],
  ['keyCount', 'keys'],
  ['rate', 'rate (ops/s)'],
  ['anomaly', 'first anomaly'],
];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown): string {
  return v === undefined || v === null ? '-' : String(v);
}

/** shrinkView reads a parsed shrink.json for the run in `runDir`; null when it is absent or not a sim-shrink record. */
export function shrinkView(record: unknown, runDir: string): ShrinkView | null {
  if (!isObject(record) || record.kind !== 'sim-shrink' || !isObject(record.original) || !isObject(record.minimal)) return null;
  const original = record.original;
  const minimal = record.minimal;
  const here = path.resolve(runDir);
  const thisRun = typeof minimal.dir === 'string' && path.resolve(minimal.dir) === here ? 'minimal' : 'original';
  const otherDir = thisRun === 'minimal' ? original.dir : minimal.dir;
  const steps = Array.isArray(record.steps) ? record.steps.filter(isObject) : [];
  return {
    seed: record.seed,
    thisRun,
    otherReport: typeof otherDir === 'string' ? path.join(path.relative(here, path.resolve(otherDir)), 'report.html') : '',
    rows: MEASURES.map(([key, measure]) => ({ measure, original: text(original[key]), minimal: text(minimal[key]) })),
    steps: steps.map((s) => ({ what: text(s.what), kept: s.kept === true, opCount: Number(s.opCount) })),
    runs: Number(record.runs),
  };
}
