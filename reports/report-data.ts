// reports/report-data.ts — everything the report page shows, computed from a run's files.
import { shrinkView, type ShrinkView } from './shrink-view.ts';
import type { Op } from '../history/op.ts';
import { consistencySentence } from './convergence-view.ts';
import { collectCheckers, type CheckerResults, type CheckerSection, type VerdictRow } from './checker-results.ts';
import { counterexampleView, type CounterexampleView } from './counterexample-view.ts';
import { elleView, firstElleIndex, type ElleView } from './elle-view.ts';
import type { ElementTable } from '../checker/elements.ts';
import { bucketSeries, latencySeries, drawnOps, timeAxisOf, type BucketSeries, type LatencySeries } from './history-data.ts';
import { FAULT_LEGEND, nemesisIntervals, type FaultInterval } from './nemesis-intervals.ts';
import { rolesData, type RolesData } from './roles-data.ts';
import { timelineData, TIMELINE_OPS_MAX, type TimelineData } from './timeline-data.ts';
import { composeVerdicts, type Verdict } from '../checker/types.ts';

/** RunInput: a run's parsed files; test/results are untrusted JSON (absent when missing). */
export interface RunInput {
  name: string;
  test?: unknown;
  results?: unknown;
  history: readonly Op[];
  /** Problems met while reading (shown on the page). */
  warnings: string[];
  /** historyError: why history.jsonl could not be read (FILE:LINE: expected ...), if it could not. */
  historyError?: Error;
  /** roles.jsonl's text (each node's view of who leads), when the run has one. */
  roles?: string;
  /** shrink: the run's shrink.json (original and minimal case), when `sim --shrink` wrote one; dir is the run's directory. */
  shrink?: { record: unknown; dir: string };
}

/** ReportData: the JSON embedded in the page; the page script draws it. */
export interface ReportData {
  title: string;
  generatedAt: string;
  verdict: Verdict | null;
  header: {
    verdicts: VerdictRow[];
    anomalies: string[];
    /** consistency: a sentence telling "not linearizable but converged" from "did not converge" (convergence-view.ts). */
    consistency?: string;
    error?: string;
    seed?: unknown;
    command?: string;
    argv?: string[];
    startedAt?: string;
    options?: unknown;
    versions?: unknown;
  };
  warnings: string[];
  axis: { hasTime: boolean; endS: number; opCount: number; clientOpCount: number };
  faultKinds: typeof FAULT_LEGEND;
  faults: FaultInterval[];
  latency: LatencySeries;
  buckets: BucketSeries;
  timeline: TimelineData & { opsMax: number };
  /** roles: one lane per node with the role it believed it had; null when the run has no roles.jsonl. */
  roles: RolesData | null;
  /** shrink: the minimal case beside the original, when this run was shrunk or is the minimal case. */
  shrink: ShrinkView | null;
  counterexamples: { path: string; views: CounterexampleView[]; summary: string }[];
  elements: { path: string; valid: Verdict; tables: ElementTable[] }[];
  /** elle: transactional (Elle) results, with their anomalies' cycles to draw. */
  elle: { path: string; view: ElleView }[];
  others: { path: string; valid: Verdict; json: string }[];
  rawResults: string;
}

const RAW_CHARS_MAX = 200_000;
const OTHER_CHARS_MAX = 50_000;

/** buildReportData turns a run's files into the page's data. */
export function buildReportData(run: RunInput): ReportData {
  const checkers = collectCheckers(run.results);
  const elle = elleSections(checkers);
  const axis = timeAxisOf(run.history);
  const paired = drawnOps(run.history, axis);
  const endS = run.history.length === 0 ? 0 : Math.max(...[run.history[0], run.history[run.history.length - 1]].map(axis.timeS));
  const test = isObject(run.test) ? run.test : {};
  const verdictOwn = isObject(run.results) ? checkers.verdicts.find((v) => v.path === '')?.valid : undefined;
  const verdict = verdictOwn ?? (checkers.verdicts.length > 0 ? composeVerdicts(checkers.verdicts.map((v) => v.valid)) : null);
  return {
    title: typeof test.name === 'string' ? test.name : run.name,
    generatedAt: new Date().toISOString(),
    verdict,
    header: {
      verdicts: checkers.verdicts,
      anomalies: checkers.anomalies,
      consistency: consistencySentence(run.results),
      error: checkers.error,
      seed: test.seed,
      command: typeof test.command === 'string' ? test.command : undefined,
      argv: Array.isArray(test.argv) ? test.argv.map(String) : undefined,
      startedAt: typeof test.startedAt === 'string' ? test.startedAt : undefined,
      options: test.options,
      versions: test.versions,
    },
    warnings: run.warnings,
    axis: { hasTime: axis.hasTime, endS, opCount: run.history.length, clientOpCount: paired.length },
    faultKinds: FAULT_LEGEND,
    faults: nemesisIntervals(run.history, axis.timeS),
    latency: latencySeries(paired),
    buckets: bucketSeries(paired, endS),
    roles: run.roles === undefined ? null : rolesData(run.roles, endS),
    shrink: run.shrink === undefined ? null : shrinkView(run.shrink.record, run.shrink.dir),
    timeline: { ...timelineData(paired, focusIndex(checkers) ?? firstElleIndex(elle.map((e) => e.view))), opsMax: TIMELINE_OPS_MAX },
    counterexamples: linearizableSections(checkers.sections, nodeOfOp(run.history)),
    elements: checkers.sections.flatMap((s) => (s.kind === 'elements' ? [{ path: s.path, valid: s.valid, tables: s.tables }] : [])),
    elle,
    others: checkers.sections.flatMap((s) => (s.kind === 'other' ? [{ path: s.path, valid: s.valid, json: cappedJson(s.json, OTHER_CHARS_MAX) }] : [])),
    rawResults: run.results === undefined ? '' : cappedJson(run.results, RAW_CHARS_MAX),
  };
}

/** elleSections shapes the Elle results for the page's cycle drawings. */
function elleSections(checkers: CheckerResults): ReportData['elle'] {
  return checkers.sections.flatMap((s) => (s.kind === 'elle' ? [{ path: s.path, view: elleView(s.json, s.valid) }] : []));
}

/**
 * nodeOfOp: the node an op went to, by the history index of its invoke — the node that
 * answered (the completion's `node`) or, without an answer, the one the client first asked.
 */
function nodeOfOp(history: readonly Op[]): (invokeIndex: number, returnIndex: number | null) => string | undefined {
  const byIndex = new Map<number, Op>();
  history.forEach((op, i) => byIndex.set(typeof op.index === 'number' ? op.index : i, op));
  return (invokeIndex, returnIndex) => {
    const done = returnIndex === null ? undefined : byIndex.get(returnIndex)?.node;
    const asked = byIndex.get(invokeIndex)?.node;
    const node = done ?? asked;
    return typeof node === 'string' ? node : undefined;
  };
}

function linearizableSections(sections: CheckerSection[], nodeOf: ReturnType<typeof nodeOfOp>): ReportData['counterexamples'] {
  const out: ReportData['counterexamples'] = [];
  for (const s of sections) {
    if (s.kind !== 'linearizable') continue;
    const failures = Array.isArray(s.result.failures) ? s.result.failures : [];
    const summary = `model ${s.result.model}, ${s.result.opCount} ops, ${s.result.partitionsChecked}/${s.result.partitions} partitions checked in ${Math.round(s.result.elapsedMs)} ms` +
      (s.result.unknownReason === undefined ? '' : `; unknown: ${s.result.unknownReason}`);
    out.push({ path: s.path, summary, views: failures.map((f) => counterexampleView(f, nodeOf)) });
  }
  return out;
}

/** focusIndex: the history index the timeline window centres on (the first anomaly). */
function focusIndex(checkers: CheckerResults): number | undefined {
  for (const s of checkers.sections) {
    if (s.kind !== 'linearizable') continue;
    const failure = s.result.failures?.[0];
    const op = failure?.ops.find((o) => failure.failingOpIds.includes(o.id));
    if (op !== undefined) return op.invokeIndex;
  }
  for (const s of checkers.sections) {
    if (s.kind === 'elements') {
      for (const t of s.tables) for (const r of t.rows) if (r.opIndexes !== undefined && r.opIndexes.length > 0) return r.opIndexes[0];
    }
  }
  return undefined;
}

function cappedJson(value: unknown, charsMax: number): string {
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  return text.length > charsMax ? `${text.slice(0, charsMax)}\n… (${text.length - charsMax} more chars; see results.json)` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
