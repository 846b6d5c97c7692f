// control/runner/run-case.ts — the part of a run both `test` and a simulated sweep share: seeds, schedule, phases.
import { SeededRng } from '../../lib/rng.ts';
import { REAL_TIMERS } from '../../lib/timers.ts';
import type { ScheduledNemesisOp } from '../../nemesis/types.ts';
import type { Workload } from '../../workloads/types.ts';
import type { TestOptions } from '../config.ts';
import { runSchedule } from './nemesis-driver.ts';
import { runPhases, type PhaseTimes } from './phases.ts';
import { Recorder, type HistorySink } from './recorder.ts';
import type { RunnerParts } from './run-test.ts';

/** CaseSeeds: the run's forks of its seed, always drawn in this order so a seed fixes every choice. */
export interface CaseSeeds {
  generatorRng: SeededRng;
  scheduleRng: SeededRng;
  nemesisRng: SeededRng;
}

/** caseSeeds forks the generator rng (then one fork per thread), the schedule rng and the nemesis rng. */
export function caseSeeds(seed: number): CaseSeeds {
  const rng = new SeededRng(seed);
  const generatorRng = rng.fork();
  const scheduleRng = rng.fork();
  const nemesisRng = rng.fork();
  return { generatorRng, scheduleRng, nemesisRng };
}

/** caseSchedule: the parts' own schedule, or the file's, or the seeded combined schedule. */
export function caseSchedule(opts: TestOptions, parts: RunnerParts, seeds: CaseSeeds): ScheduledNemesisOp[] {
  return parts.schedule ?? runSchedule(opts, parts.cluster, seeds.scheduleRng);
}

/** CaseRun: what runCase needs; `state` is shared with a progress display. */
export interface CaseRun {
  opts: TestOptions;
  workload: Workload;
  parts: RunnerParts;
  seeds: CaseSeeds;
  schedule: readonly ScheduledNemesisOp[];
  sink: HistorySink;
  signal: AbortSignal;
  phases: PhaseTimes;
  state: { phase: string; startMs: number; mainDeadlineMs: number };
  opsPerThreadMax?: number;
  /** onRecorder sees the recorder once it exists (the progress display reads its tally). */
  onRecorder?: (recorder: Recorder) => void;
}

/**
 * runCase sets the cluster up and runs the phases, on real time or — for a simulated
 * cluster — on its virtual time, driven by the simulation until the phases end. Teardown is
 * the caller's (it must happen whatever happens here).
 */
export async function runCase(c: CaseRun): Promise<void> {
  const sim = c.parts.simulation;
  await c.parts.cluster.setup();
  await c.parts.db?.setup?.(c.parts.cluster);
  const timers = sim?.timers ?? REAL_TIMERS;
  // Time 0 of the history is the start of the main phase, as in Jepsen (setup is not timed).
  const recorder = new Recorder(c.sink, sim === undefined ? undefined : () => BigInt(Math.round(timers.nowMs() * 1e6)));
  c.state.startMs = timers.nowMs();
  c.onRecorder?.(recorder);
  const done = runPhases({
    opts: c.opts, workload: c.workload, parts: c.parts, recorder, generatorRng: c.seeds.generatorRng, schedule: c.schedule,
    signal: c.signal, state: c.state, phases: c.phases, opsPerThreadMax: c.opsPerThreadMax, timers,
  });
  await (sim === undefined ? done : sim.drive(done));
}
