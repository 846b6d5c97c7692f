// history/stats.test.ts — outcome counts and latency quantiles per f.
import { describe, expect, it } from 'vitest';
import type { Op } from './op.ts';
import { opStats, quantile } from './stats.ts';

describe('opStats', () => {
  it('nearest-rank quantiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([quantile(sorted, 0.5), quantile(sorted, 0.95), quantile(sorted, 0.99), quantile(sorted, 1)]).toEqual([50, 95, 99, 100]);
    expect(quantile([], 0.5)).toBe(0);
  });

  it('counts ok/fail/info/pending per f and measures completed latencies, ignoring the nemesis', () => {
    const ms = 1e6;
    const ops: Array<Omit<Op, 'index'>> = [
      { time: 0, type: 'invoke', process: 0, f: 'write', value: 1 },
      { time: 0, type: 'invoke', process: 'nemesis', f: 'kill' },
      { time: 2 * ms, type: 'ok', process: 0, f: 'write', value: 1 },
      { time: 3 * ms, type: 'info', process: 'nemesis', f: 'kill' },
      { time: 3 * ms, type: 'invoke', process: 1, f: 'cas', value: [1, 2] },
      { time: 7 * ms, type: 'fail', process: 1, f: 'cas', value: [1, 2] },
      { time: 8 * ms, type: 'invoke', process: 0, f: 'write', value: 2 },
      { time: 9 * ms, type: 'info', process: 0, f: 'write', value: 2 },
      { time: 9 * ms, type: 'invoke', process: 2, f: 'read' },
    ];
    const stats = opStats(ops.map((op, index) => ({ index, ...op })));
    expect(stats.all).toEqual({ count: 4, ok: 1, fail: 1, info: 1, pending: 1 });
    expect(stats.byF.write).toEqual({ count: 2, ok: 1, fail: 0, info: 1, pending: 0 });
    expect(stats.byF.read.pending).toBe(1);
    expect(stats.byF.kill).toBeUndefined();
    expect(stats.latencyByF.write).toEqual({ count: 1, p50Ms: 2, p95Ms: 2, p99Ms: 2, maxMs: 2 });
    expect(stats.latencyByF.cas.maxMs).toBe(4);
  });
});
