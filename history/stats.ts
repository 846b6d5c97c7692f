// history/stats.ts — ok/fail/info counts and latency quantiles per function, from a history.
import type { Op } from './op.ts';
import { pairOps } from './pair.ts';

/** OutcomeCounts: how the ops of one f (or all of them) ended; `pending` never completed. */
export interface OutcomeCounts {
  count: number;
  ok: number;
  fail: number;
  info: number;
  pending: number;
}

/** LatencyQuantiles: milliseconds from invoke to completion, over ops that completed. */
export interface LatencyQuantiles {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** OpStats: counts and latencies by f, and counts over all client ops. */
export interface OpStats {
  all: OutcomeCounts;
  byF: Record<string, OutcomeCounts>;
  latencyByF: Record<string, LatencyQuantiles>;
}

function emptyCounts(): OutcomeCounts {
  return { count: 0, ok: 0, fail: 0, info: 0, pending: 0 };
}

/** quantile picks the nearest-rank q-quantile of ascending `sorted` (empty → 0). */
export function quantile(sorted: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0,1], got ${q}`);
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/**
 * opStats counts the outcomes of the client ops (history/pair.ts's pairing) per f and over all,
 * with latency quantiles of the ok and fail ops when the history has times. The runner computes
 * it once per run, into results.json's `stats`.
 */
export function opStats(history: readonly Op[]): OpStats {
  const byF: Record<string, OutcomeCounts> = {};
  const latencies = new Map<string, number[]>();
  const all = emptyCounts();
  for (const pair of pairOps(history)) {
    const { invoke, completion } = pair;
    const counts = (byF[invoke.f] ??= emptyCounts());
    counts.count += 1;
    counts[pair.type] += 1;
    all.count += 1;
    all[pair.type] += 1;
    if ((pair.type === 'ok' || pair.type === 'fail') && invoke.time !== undefined && completion?.time !== undefined) {
      let list = latencies.get(invoke.f);
      if (list === undefined) latencies.set(invoke.f, (list = []));
      list.push((completion.time - invoke.time) / 1e6);
    }
  }
  const latencyByF: Record<string, LatencyQuantiles> = {};
  for (const [f, list] of latencies) {
    list.sort((a, b) => a - b);
    latencyByF[f] = {
      count: list.length,
      p50Ms: quantile(list, 0.5),
      p95Ms: quantile(list, 0.95),
      p99Ms: quantile(list, 0.99),
      maxMs: list[list.length - 1],
    };
  }
  return { all, byF, latencyByF };
}
