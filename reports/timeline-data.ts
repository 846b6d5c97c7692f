// reports/timeline-data.ts — the (capped) window of ops the timeline draws, with hover details.
import type { Process } from '../history/op.ts';
import { round, type DrawnOp } from './history-data.ts';

/** TIMELINE_OPS_MAX: ops drawn in the timeline; more are windowed (the page says so). */
export const TIMELINE_OPS_MAX = 20_000;
const VALUE_CHARS_MAX = 300;

/**
 * TimelineOp: one bar. l lane, s/e start/end seconds (e null: never completed), o outcome
 * code, i/c invoke/completion history index, f, k key, v invoke value, r completion value,
 * x error, n node — all value texts are JSON, truncated, and drawn with textContent only.
 */
export interface TimelineOp {
  l: number;
  s: number;
  e: number | null;
  o: number;
  i: number;
  c: number | null;
  f: string;
  k?: string;
  v?: string;
  r?: string;
  x?: string;
  n?: string;
}

/** TimelineData: lanes (one per process, in first-seen order) and the ops of the window. */
export interface TimelineData {
  lanes: string[];
  ops: TimelineOp[];
  total: number;
  capped: boolean;
  firstIndex: number | null;
  lastIndex: number | null;
}

/** jsonText renders a value for display, truncated. */
export function jsonText(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? 'undefined');
  return text.length > VALUE_CHARS_MAX ? `${text.slice(0, VALUE_CHARS_MAX)}… (${text.length - VALUE_CHARS_MAX} more chars)` : text;
}

/**
 * timelineData keeps at most `opsMax` ops: the window centred on the op whose invoke is
 * nearest `focusIndex` (the first anomaly), or the start of the history.
 */
export function timelineData(paired: readonly DrawnOp[], focusIndex: number | undefined, opsMax = TIMELINE_OPS_MAX): TimelineData {
  let from = 0;
  if (paired.length > opsMax && focusIndex !== undefined) {
    const at = nearest(paired, focusIndex);
    from = Math.max(0, Math.min(paired.length - opsMax, at - Math.floor(opsMax / 2)));
  }
  const window = paired.slice(from, from + opsMax);
  const laneOf = new Map<Process, number>();
  const lanes: string[] = [];
  const ops = window.map((p): TimelineOp => {
    let lane = laneOf.get(p.invoke.process);
    if (lane === undefined) {
      lane = lanes.length;
      laneOf.set(p.invoke.process, lane);
      lanes.push(String(p.invoke.process));
    }
    const op: TimelineOp = {
      l: lane, s: round(p.startS, 6), e: p.endS === null ? null : round(p.endS, 6), o: p.outcome,
      i: p.invoke.index, c: p.completion?.index ?? null, f: p.invoke.f,
    };
    if (p.invoke.key !== undefined) op.k = jsonText(p.invoke.key);
    if (p.invoke.value !== undefined) op.v = jsonText(p.invoke.value);
    if (p.completion?.value !== undefined) op.r = jsonText(p.completion.value);
    const error = p.completion?.error ?? p.invoke.error;
    if (error !== undefined) op.x = jsonText(error);
    const node = p.completion?.node ?? p.invoke.node;
    if (node !== undefined) op.n = jsonText(node);
    return op;
  });
  return {
    lanes, ops, total: paired.length, capped: paired.length > window.length,
    firstIndex: window.length > 0 ? window[0].invoke.index : null,
    lastIndex: window.length > 0 ? window[window.length - 1].invoke.index : null,
  };
}

/** nearest: position of the first op whose invoke index is >= index (binary search). */
function nearest(paired: readonly DrawnOp[], index: number): number {
  let lo = 0;
  let hi = paired.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (paired[mid].invoke.index < index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
