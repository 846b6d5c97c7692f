// control/runner/phases.ts — the phases of a run: main (workload + nemesis) → heal → recovery → final.
import type { ScheduledNemesisOp } from '../../nemesis/types.ts';
import type { SeededRng } from '../../lib/rng.ts';
import type { OpGenerator, OpSpec, Workload, WorkloadContext } from '../../workloads/types.ts';
import type { TestOptions } from '../config.ts';
import { applyNemesisOp, makeThreads, runClientPhase, runNemesisTimeline, sleepUnlessAborted, type PhaseContext } from './interpreter.ts';
import { RateLimiter } from './rate-limiter.ts';
import type { Recorder } from './recorder.ts';
import type { RunnerParts } from './run-test.ts';

/** PHASE_NAMES: the phases in the order they run. */
export const PHASE_NAMES = ['main', 'heal', 'recovery', 'final'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** PhaseTimes: when each phase started and ended, in history nanoseconds. */
export type PhaseTimes = Partial<Record<PhaseName, { startNs: number; endNs: number }>>;

/** FINAL_PHASE_MS_MIN: the final reads get at least this long (plus two op timeouts). */
const FINAL_PHASE_MS_MIN = 5000;

/** PhaseRun: everything runPhases needs; `state` is shared with the progress display. */
export interface PhaseRun {
  opts: TestOptions;
  workload: Workload;
  parts: RunnerParts;
  recorder: Recorder;
  generatorRng: SeededRng;
  schedule: readonly ScheduledNemesisOp[];
  signal: AbortSignal;
  state: { phase: string; startMs: number; mainDeadlineMs: number };
  phases: PhaseTimes;
  opsPerThreadMax?: number;
}

/**
 * runPhases runs main → heal → recovery → final. An abort ends the current phase and skips
 * the rest (teardown undoes every fault anyway). Threads keep their processes across phases.
 */
export async function runPhases(r: PhaseRun): Promise<void> {
  const { opts, workload, parts, recorder, signal } = r;
  const nodes = parts.cluster.nodes;
  const txn = { keyDistribution: opts.keyDistribution, txnLengthMin: opts.txnLengthMin, txnLengthMax: opts.txnLengthMax, writesPerKeyMax: opts.writesPerKeyMax };
  const wctx: WorkloadContext = { concurrency: opts.concurrency, keyCount: opts.keyCount, nodes, txn };
  const threads = makeThreads(opts.concurrency, nodes);
  // One fork per thread, in thread order, before anything runs: timing cannot shift choices.
  const drawn: OpSpec[][] = threads.map(() => []);
  const generators = threads.map((t, i) => recordDrawn(workload.generator(t.thread, r.generatorRng.fork(), wctx), drawn[i]));
  const ctx: PhaseContext = {
    recorder, workload, clients: parts.clients, concurrency: opts.concurrency,
    limiter: new RateLimiter(opts.rate), opTimeoutMs: opts.opTimeoutS * 1000, signal,
  };
  const timed = async (name: PhaseName, body: () => Promise<void>): Promise<void> => {
    if (signal.aborted) return;
    r.state.phase = name;
    const startNs = recorder.elapsedNs();
    await body();
    r.phases[name] = { startNs, endNs: recorder.elapsedNs() };
  };
  try {
    await timed('main', async () => {
      const startMs = performance.now();
      r.state.mainDeadlineMs = startMs + opts.timeLimitS * 1000;
      await Promise.all([
        runClientPhase(ctx, threads, generators, r.state.mainDeadlineMs, r.opsPerThreadMax),
        runNemesisTimeline(recorder, parts.nemesis, r.schedule, startMs, r.state.mainDeadlineMs, signal),
      ]);
    });
    await timed('heal', async () => {
      // With no schedule no fault was injected: nothing to heal, and nothing to record.
      if (r.schedule.length === 0) return;
      for (const op of parts.nemesis.healOps()) await applyNemesisOp(recorder, parts.nemesis, op);
    });
    await timed('recovery', async () => {
      await sleepUnlessAborted(opts.recoveryS * 1000, signal);
    });
    const finalGenerator = workload.finalGenerator;
    if (finalGenerator === undefined) return;
    await timed('final', async () => {
      // Declared, not read from the history: what the generators drew, in thread order.
      const mainDrawn = drawn.flat();
      const finals: OpGenerator[] = threads.map((t) => finalGenerator(t.thread, wctx, mainDrawn));
      const finalCtx = { ...ctx, limiter: new RateLimiter(0) };
      const deadlineMs = performance.now() + Math.max(FINAL_PHASE_MS_MIN, 2 * ctx.opTimeoutMs);
      await runClientPhase(finalCtx, threads, finals, deadlineMs);
    });
  } finally {
    r.state.phase = 'done';
    await Promise.all(threads.map(async (t) => {
      const client = t.client;
      t.client = undefined;
      await client?.close?.();
    }));
  }
}

/** recordDrawn passes a generator through, keeping every op it hands out in `into`. */
function recordDrawn(gen: OpGenerator, into: OpSpec[]): OpGenerator {
  return {
    next: () => {
      const spec = gen.next();
      if (spec !== null) into.push(spec);
      return spec;
    },
  };
}
