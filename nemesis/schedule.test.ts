// nemesis/schedule.test.ts — combined schedules are fixed by the seed and alternate start/stop per kind.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNemesisOp } from './ops.ts';
import { generateCombinedSchedule, type CombinedScheduleOptions } from './schedule.ts';
import type { FaultKind } from './types.ts';

const base: CombinedScheduleOptions = {
  faults: ['partition', 'kill', 'pause', 'clock'],
  intervalMs: 10_000,
  durationMs: 120_000,
  seed: 42,
  nodes: ['n1', 'n2', 'n3', 'n4', 'n5'],
};

const STARTS: Record<FaultKind, string[]> = {
  partition: ['start-partition'], kill: ['kill'], pause: ['pause'], clock: ['bump-clock', 'strobe-clock'], packet: ['start-packet'],
  'lose-unsynced': ['crash'], 'corrupt-file': ['corrupt'], membership: ['remove-member'], replace: ['replace'],
};
const STOPS: Record<FaultKind, string> = {
  partition: 'stop-partition', kill: 'start', pause: 'resume', clock: 'reset-clock', packet: 'stop-packet', 'lose-unsynced': 'restart-crashed', 'corrupt-file': 'restart-corrupted', membership: 'add-member', replace: 'add-fresh',
};

describe('generateCombinedSchedule', () => {
  it('same seed gives the same schedule', () => {
    fc.assert(fc.property(fc.integer(), (seed) => {
      expect(generateCombinedSchedule({ ...base, seed })).toEqual(generateCombinedSchedule({ ...base, seed }));
    }), { numRuns: 30 });
  });

  it('different seeds give different schedules', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 20; seed++) seen.add(JSON.stringify(generateCombinedSchedule({ ...base, seed })));
    expect(seen.size).toBe(20);
  });

  it('each kind alternates start and stop, times ordered, gaps around the interval, within the duration', () => {
    fc.assert(fc.property(fc.integer(), fc.integer({ min: 2000, max: 20_000 }), (seed, intervalMs) => {
      const ops = generateCombinedSchedule({ ...base, seed, intervalMs });
      expect(ops.length).toBeGreaterThan(0);
      for (let i = 1; i < ops.length; i++) expect(ops[i].atMs).toBeGreaterThanOrEqual(ops[i - 1].atMs);
      for (const kind of base.faults) {
        const mine = ops.filter((op) => STARTS[kind].includes(op.f) || op.f === STOPS[kind]);
        mine.forEach((op, i) => {
          expect(i % 2 === 0 ? STARTS[kind] : [STOPS[kind]]).toContain(op.f);
          expect(op.atMs).toBeLessThan(base.durationMs);
          const gap = op.atMs - (i === 0 ? 0 : mine[i - 1].atMs);
          expect(gap).toBeGreaterThanOrEqual(Math.floor(intervalMs / 2));
          expect(gap).toBeLessThanOrEqual(Math.ceil(intervalMs * 1.5));
        });
      }
      // Every op is one the Nemesis accepts.
      for (const { atMs: _a, ...op } of ops) expect(() => parseNemesisOp(op)).not.toThrow();
    }), { numRuns: 30 });
  });

  it('only the chosen kinds, and enabling a kind leaves the others unchanged', () => {
    const killOnly = generateCombinedSchedule({ ...base, faults: ['kill'] });
    expect(new Set(killOnly.map((o) => o.f))).toEqual(new Set(['kill', 'start']));
    const both = generateCombinedSchedule({ ...base, faults: ['kill', 'partition'] });
    expect(both.filter((o) => o.f === 'kill' || o.f === 'start')).toEqual(killOnly);
  });

  it('resolves random topologies and targets up front, leaving only primary to run time', () => {
    const ops = generateCombinedSchedule({ ...base, durationMs: 1_000_000 });
    for (const op of ops) {
      const v = op.value as { topology?: string; grudge?: unknown; target?: string; nodes?: string[] } | undefined;
      if (op.f === 'start-partition') expect(v!.grudge !== undefined || v!.topology === 'primary').toBe(true);
      if (op.f === 'kill' || op.f === 'pause') expect(v!.nodes !== undefined || v!.target === 'primary').toBe(true);
    }
    expect(ops.some((o) => o.f === 'strobe-clock')).toBe(true);
    expect(ops.some((o) => o.f === 'bump-clock')).toBe(true);
  });

  it('rejects a bad interval and unknown faults', () => {
    expect(() => generateCombinedSchedule({ ...base, intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => generateCombinedSchedule({ ...base, faults: ['flood' as FaultKind] })).toThrow(/unknown fault "flood"/);
  });
});
