// control/sim/shrink.ts — shrink a failing simulated run: fewer faults, a shorter run, fewer clients, keys and ops, still failing the same checker.
import type { ScheduledNemesisOp } from '../../nemesis/types.ts';
import type { TestOptions } from '../config.ts';
import { simulateSeed, type SeedOutcome } from './run-seed.ts';
import { caseSchedule, caseSeeds } from '../runner/run-case.ts';
import { simParts } from '../runner/parts.ts';

/** ShrinkCase: options and the exact nemesis schedule of one candidate. */
export interface ShrinkCase {
  opts: TestOptions;
  schedule: ScheduledNemesisOp[];
}

/** ShrinkStep: one candidate tried; `kept` when it still failed and became the current case. */
export interface ShrinkStep {
  what: string;
  kept: boolean;
  opCount: number;
  faultCount: number;
}

/** ShrinkResult: the original and the minimal case, their outcomes, and every step in order. */
export interface ShrinkResult {
  original: ShrinkCase & { outcome: SeedOutcome };
  minimal: ShrinkCase & { outcome: SeedOutcome };
  steps: ShrinkStep[];
  runs: number;
}

/** SHRINK_RUNS_MAX bounds the candidates one shrink runs. */
export const SHRINK_RUNS_MAX = 80;

/** scheduleOf: the schedule a run of opts draws (what shrinking starts from). */
export async function scheduleOf(opts: TestOptions): Promise<ScheduledNemesisOp[]> {
  const seeds = caseSeeds(opts.seed);
  const parts = await simParts(opts, { dataDir: '', logDir: '', nemesisRng: seeds.nemesisRng, collectsLogs: false });
  return caseSchedule(opts, parts, seeds);
}

/**
 * shrinkFailure minimises an invalid run greedily, keeping a candidate whenever it is still
 * invalid (the same workload, so the same checker): first chunks of nemesis ops (halves,
 * quarters, ... single ops, as ddmin), then the time limit (halved), the clients, the keys and
 * the rate (each halved), repeated until a pass changes nothing or runsMax candidates ran.
 */
export async function shrinkFailure(opts: TestOptions, runsMax = SHRINK_RUNS_MAX): Promise<ShrinkResult> {
  const schedule = await scheduleOf(opts);
  const first = (await simulateSeed(opts, { schedule })).outcome;
  if (first.valid !== false) throw new Error(`shrink: seed ${opts.seed} is not invalid (${String(first.valid)}); nothing to shrink`);
  let current: ShrinkCase & { outcome: SeedOutcome } = { opts, schedule, outcome: first };
  const steps: ShrinkStep[] = [];
  let runs = 1;
  const attempt = async (what: string, candidate: ShrinkCase): Promise<boolean> => {
    if (runs >= runsMax) return false;
    runs += 1;
    const { outcome } = await simulateSeed(candidate.opts, { schedule: candidate.schedule });
    const kept = outcome.valid === false;
    steps.push({ what, kept, opCount: outcome.opCount, faultCount: outcome.faultCount });
    if (kept) current = { ...candidate, outcome };
    return kept;
  };
  for (let pass = 0; pass < 4 && runs < runsMax; pass += 1) {
    const before = steps.filter((s) => s.kept).length;
    await shrinkSchedule(() => current, attempt);
    const halve = async (what: string, get: (o: TestOptions) => number, set: (o: TestOptions, v: number) => TestOptions, min: number): Promise<void> => {
      while (get(current.opts) / 2 >= min && runs < runsMax) {
        const value = Math.max(min, Math.floor(get(current.opts) / 2));
        const opts2 = set(current.opts, value);
        const schedule2 = current.schedule.filter((op) => op.atMs < opts2.timeLimitS * 1000);
        if (!(await attempt(`${what} ${get(current.opts)} → ${value}`, { opts: opts2, schedule: schedule2 }))) return;
      }
    };
    await halve('time limit s', (o) => o.timeLimitS, (o, v) => ({ ...o, timeLimitS: v }), 1);
    await halve('clients', (o) => o.concurrency, (o, v) => ({ ...o, concurrency: v }), 1);
    await halve('keys', (o) => o.keyCount, (o, v) => ({ ...o, keyCount: v }), 1);
    await halve('rate ops/s', (o) => o.rate, (o, v) => ({ ...o, rate: v }), 1);
    if (steps.filter((s) => s.kept).length === before) break;
  }
  return { original: { opts, schedule, outcome: first }, minimal: current, steps, runs };
}

/** shrinkSchedule drops chunks of nemesis ops, from halves down to single ops. */
async function shrinkSchedule(current: () => ShrinkCase, attempt: (what: string, c: ShrinkCase) => Promise<boolean>): Promise<void> {
  for (let chunks = 2; ; chunks *= 2) {
    const ops = current().schedule;
    if (ops.length === 0) return;
    const size = Math.max(1, Math.ceil(ops.length / chunks));
    for (let start = 0; start < current().schedule.length;) {
      const now = current().schedule;
      const dropped = now.slice(start, start + size);
      const kept = await attempt(`drop nemesis ops ${dropped.map((op) => `${op.f}@${(op.atMs / 1000).toFixed(1)}s`).join(', ')}`, {
        opts: current().opts, schedule: [...now.slice(0, start), ...now.slice(start + size)],
      });
      if (!kept) start += size;
      if (current().schedule.length === 0) return;
    }
    if (size === 1) return;
  }
}
