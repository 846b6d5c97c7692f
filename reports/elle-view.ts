// reports/elle-view.ts — recognise an Elle result in results.json and shape it for the page's cycle drawings.
import type { Verdict } from '../checker/types.ts';
import { truncateText } from './escape.ts';

/** ElleTxnNode: one transaction of a cycle, as the drawing labels it. */
export interface ElleTxnNode {
  id: number;
  process: string;
  type: string;
  invokeIndex: number | null;
  /** The micro-ops as text, e.g. [append 3 7] [r 4 [1,2]]. */
  mops: string;
}

/** ElleEdgeView: one labelled arrow of a cycle. */
export interface ElleEdgeView {
  from: number;
  to: number;
  edge: string;
  key: string | null;
  value: string | null;
  text: string;
}

/** ElleAnomalyView: one anomaly: its explanation and, for cycle anomalies, the cycle to draw. */
export interface ElleAnomalyView {
  type: string;
  explanation: string;
  txns: ElleTxnNode[];
  edges: ElleEdgeView[];
}

/** ElleView: what the Elle section of the page shows. */
export interface ElleView {
  valid: Verdict;
  workload: string;
  consistencyModel: string;
  summary: string;
  notModels: string[];
  alsoNotModels: string[];
  forbiddenTypes: string[];
  /** Every type found with its count, forbidden or not. */
  counts: { type: string; count: number }[];
  unknownReason: string | null;
  anomalies: ElleAnomalyView[];
  /** Kept anomalies beyond ANOMALIES_SHOWN_MAX (not in the page; see results.json). */
  anomaliesOmitted: number;
}

/** ANOMALIES_SHOWN_MAX bounds the anomalies drawn (each is an SVG). */
export const ANOMALIES_SHOWN_MAX = 40;
/** CYCLE_NODES_MAX bounds a drawn cycle's transactions; longer cycles show their first ones. */
export const CYCLE_NODES_MAX = 16;
const TEXT_CHARS_MAX = 4000;
const LABEL_CHARS_MAX = 400;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/**
 * isElleResult recognises checker/elle's ElleResult by its fields (results.json is untrusted:
 * a malformed one stays an 'other' section shown as JSON).
 */
export function isElleResult(value: unknown): value is Json {
  if (!isObject(value)) return false;
  return (value.workload === 'list-append' || value.workload === 'rw-register') &&
    typeof value.consistencyModel === 'string' && Array.isArray(value.anomalyTypes) && Array.isArray(value.notModels) &&
    Array.isArray(value.anomalies) && value.anomalies.every((a: unknown) => isObject(a) && typeof a.type === 'string' && typeof a.explanation === 'string');
}

/** showValue renders a JSON value compactly, capped (values come from the system under test). */
function showValue(value: unknown): string {
  if (typeof value === 'string') return truncateText(value, LABEL_CHARS_MAX);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return truncateText(text, LABEL_CHARS_MAX);
}

/** showMops renders a txn's micro-ops as Elle prints them: [append 3 7] [r 4 [1,2]]. */
function showMops(value: unknown): string {
  if (!Array.isArray(value)) return showValue(value);
  const parts = value.slice(0, CYCLE_NODES_MAX).map((mop) => (Array.isArray(mop) ? `[${mop.map(showValue).join(' ')}]` : showValue(mop)));
  return truncateText(parts.join(' ') + (value.length > CYCLE_NODES_MAX ? ' …' : ''), TEXT_CHARS_MAX);
}

function txnNode(txn: Json): ElleTxnNode {
  return {
    id: Number(txn.id),
    process: String(txn.process),
    type: String(txn.type),
    invokeIndex: typeof txn.invokeIndex === 'number' ? txn.invokeIndex : null,
    mops: showMops(txn.value),
  };
}

function edgeView(step: Json): ElleEdgeView {
  return {
    from: Number(step.from),
    to: Number(step.to),
    edge: String(step.edge),
    key: step.key === undefined ? null : showValue(step.key),
    value: step.value === undefined ? null : showValue(step.value),
    text: truncateText(String(step.text ?? ''), TEXT_CHARS_MAX),
  };
}

function anomalyView(anomaly: Json): ElleAnomalyView {
  // A cycle may pass a transaction twice (a walk, not a simple cycle): draw each one once.
  const shown = new Set<number>();
  const txns = (Array.isArray(anomaly.txns) ? anomaly.txns : []).filter(isObject).map(txnNode)
    .filter((t) => !shown.has(t.id) && shown.size < CYCLE_NODES_MAX && shown.add(t.id) !== undefined);
  const edges = (Array.isArray(anomaly.cycle) ? anomaly.cycle : []).filter(isObject).map(edgeView)
    .filter((e) => shown.has(e.from) && shown.has(e.to));
  return { type: String(anomaly.type), explanation: truncateText(String(anomaly.explanation), TEXT_CHARS_MAX * 4), txns, edges };
}

/** elleSummary: one line for the checkers table. */
export function elleSummary(result: Json): string {
  const types = strings(result.anomalyTypes);
  const head = `${String(result.workload)}, model ${String(result.consistencyModel)}: ${String(result.txnCount)} txns`;
  if (types.length === 0) return typeof result.unknownReason === 'string' ? `${head}; unknown: ${result.unknownReason}` : `${head}; no anomalies`;
  const not = strings(result.notModels);
  return `${head}; found ${types.join(', ')}${not.length > 0 ? `; not ${not.join(', ')}` : ''}`;
}

/** elleView shapes a recognised ElleResult for the page (bounded: results.json may be huge). */
export function elleView(result: Json, valid: Verdict): ElleView {
  const counts = isObject(result.anomalyCounts) ? result.anomalyCounts : {};
  const anomalies = (result.anomalies as Json[]);
  return {
    valid,
    workload: String(result.workload),
    consistencyModel: String(result.consistencyModel),
    summary: elleSummary(result),
    notModels: strings(result.notModels),
    alsoNotModels: strings(result.alsoNotModels),
    forbiddenTypes: strings(result.forbiddenTypes),
    counts: strings(result.anomalyTypes).map((type) => ({ type, count: Number(counts[type] ?? 0) })),
    unknownReason: typeof result.unknownReason === 'string' ? result.unknownReason : null,
    anomalies: anomalies.slice(0, ANOMALIES_SHOWN_MAX).map(anomalyView),
    anomaliesOmitted: Math.max(0, anomalies.length - ANOMALIES_SHOWN_MAX),
  };
}

/** firstElleIndex: the history index of the first anomaly's first txn (where the timeline centres). */
export function firstElleIndex(views: readonly ElleView[]): number | undefined {
  for (const view of views) {
    for (const anomaly of view.anomalies) {
      const index = anomaly.txns[0]?.invokeIndex;
      if (index !== null && index !== undefined) return index;
    }
  }
  return undefined;
}
