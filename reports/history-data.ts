// reports/history-data.ts — the compact per-op data the charts and the timeline draw.
import type { Op, OpType } from '../history/op.ts';
import { historyClock, pairOps } from '../history/pair.ts';

/** Outcome codes used in the page data: 0 ok, 1 fail, 2 info, 3 pending (never completed). */
export const OUTCOME_CODES: Record<Exclude<OpType, 'invoke'> | 'pending', number> = { ok: 0, fail: 1, info: 2, pending: 3 };

/** DrawnOp: a client op as the report draws it, from invoke to completion (info included) in seconds. */
export interface DrawnOp {
  invoke: Op;
  completion?: Op;
  startS: number;
  /** endS: when the client stopped waiting; null when the op never completed. */
  endS: number | null;
  outcome: number;
}

/** TimeAxis: how ops map to seconds on the report's axis; untimed histories use 1 index = 1 ms. */
export interface TimeAxis {
  hasTime: boolean;
  timeS(op: Op): number;
}

/** timeAxisOf follows the history's clock (history/pair.ts): real time when every op has it, else the index. */
export function timeAxisOf(history: readonly Op[]): TimeAxis {
  const clock = historyClock(history);
  const perS = clock.timed ? 1e9 : 1000;
  return { hasTime: clock.timed, timeS: (op) => clock.position(op) / perS };
}

/** drawnOps places the history's pairs (history/pair.ts, in invoke order) on the axis. */
export function drawnOps(history: readonly Op[], axis: TimeAxis): DrawnOp[] {
  return pairOps(history).map((p) => ({
    invoke: p.invoke,
    completion: p.completion,
    startS: axis.timeS(p.invoke),
    endS: p.completion === undefined ? null : axis.timeS(p.completion),
    outcome: OUTCOME_CODES[p.type],
  }));
}

/** LatencySeries: one point per completed op, columnar: invoke time (s), latency (ms), outcome code. */
export interface LatencySeries {
  t: number[];
  ms: number[];
  o: number[];
}

/** latencySeries lists every completed op's latency (floored at 1 µs for the log scale). */
export function latencySeries(paired: readonly DrawnOp[]): LatencySeries {
  const series: LatencySeries = { t: [], ms: [], o: [] };
  for (const p of paired) {
    if (p.endS === null) continue;
    series.t.push(round(p.startS, 6));
    series.ms.push(roundSig(Math.max(0.001, (p.endS - p.startS) * 1000), 3));
    series.o.push(p.outcome);
  }
  return series;
}

/** BucketSeries: per time bucket, latency quantiles (ms, null if empty) and throughput (ops/s by outcome). */
export interface BucketSeries {
  t: number[];
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
  max: (number | null)[];
  ok: number[];
  fail: number[];
  info: number[];
  bucketS: number;
}

const BUCKETS_TARGET = 150;
const BUCKETS_MIN = 10;

/**
 * bucketSeries splits [0, end] into up to 150 buckets by completion time; small histories get
 * fewer (about 5 ops a bucket, at least 10 buckets) so the rates are not all spikes.
 */
export function bucketSeries(paired: readonly DrawnOp[], endS: number): BucketSeries {
  const target = Math.max(BUCKETS_MIN, Math.min(BUCKETS_TARGET, Math.ceil(paired.length / 5)));
  const bucketS = niceBucket(Math.max(endS, 1e-5) / target);
  const count = Math.max(1, Math.ceil(endS / bucketS) + 1);
  const latencies: number[][] = Array.from({ length: count }, () => []);
  const s: BucketSeries = { t: [], p50: [], p95: [], p99: [], max: [], ok: [], fail: [], info: [], bucketS };
  const counts = [new Array<number>(count).fill(0), new Array<number>(count).fill(0), new Array<number>(count).fill(0)];
  for (const p of paired) {
    if (p.endS === null) continue;
    const b = Math.min(count - 1, Math.max(0, Math.floor(p.endS / bucketS)));
    latencies[b].push((p.endS - p.startS) * 1000);
    if (p.outcome <= 2) counts[p.outcome][b] += 1;
  }
  for (let b = 0; b < count; b += 1) {
    const sorted = latencies[b].sort((x, y) => x - y);
    s.t.push(round((b + 0.5) * bucketS, 7));
    s.p50.push(q(sorted, 0.5));
    s.p95.push(q(sorted, 0.95));
    s.p99.push(q(sorted, 0.99));
    s.max.push(sorted.length === 0 ? null : roundSig(Math.max(0.001, sorted[sorted.length - 1]), 3));
    s.ok.push(roundSig(counts[0][b] / bucketS, 4));
    s.fail.push(roundSig(counts[1][b] / bucketS, 4));
    s.info.push(roundSig(counts[2][b] / bucketS, 4));
  }
  return s;
}

function q(sorted: readonly number[], quantile: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(quantile * sorted.length));
  return roundSig(Math.max(0.001, sorted[rank - 1]), 3);
}

function niceBucket(rawS: number): number {
  const steps = [1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
  return steps.find((step) => step >= rawS) ?? 3600;
}

/** round keeps `digits` decimals (the page needs no more; it keeps the file small). */
export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function roundSig(value: number, digits: number): number {
  return value === 0 ? 0 : Number(value.toPrecision(digits));
}
