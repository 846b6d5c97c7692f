// control/runner/phases.ts — the phases of a run: main (workload + nemesis) → heal → recovery → final.
import type { ScheduledNemesisOp } from '../../nemesis/types.ts';
import type { SeededRng } from '../../lib/rng.ts';
import type { Timers } from '../../lib/timers.ts';
import { finalThreadCount, type OpGenerator, type OpSpec, type Workload, type WorkloadContext } from '../../workloads/types.ts';
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
  /** timers: real time, or the simulator's virtual time. */
  timers: Timers;
}

/**
 * runPhases runs main → heal → recovery → final. An abort ends the current phase and skips
 * the rest (teardown undoes every fault anyway). Threads keep their processes across phases.
 */
export async function runPhases(r: PhaseRun): Promise<void> {
  const { opts, workload, parts, recorder, signal, timers } = r;
  const nodes = parts.cluster.nodes;
  const txn = { keyDistribution: opts.keyDistribution, txnLengthMin: opts.txnLengthMin, txnLengthMax: opts.txnLengthMax, writesPerKeyMax: opts.writesPerKeyMax };
  const wctx: WorkloadContext = { concurrency: opts.concurrency, keyCount: opts.keyCount, nodes, txn };
  // The final phase may need a thread on every node (finalThreadCount); those past --concurrency
  // run only then. All share one process stride, so no two threads ever share a process.
  const allThreads = makeThreads(finalThreadCount(opts.concurrency, nodes.length), nodes);
  const threads = allThreads.slice(0, opts.concurrency);
  // One fork per thread, in thread order, before anything runs: timing cannot shift choices.
  const drawn: OpSpec[][] = threads.map(() => []);
  const generators = threads.map((t, i) => recordDrawn(workload.generator(t.thread, r.generatorRng.fork(), wctx), drawn[i]));
  const ctx: PhaseContext = {
    recorder, workload, clients: parts.clients,
    limiter: new RateLimiter(opts.rate, 1, timers), opTimeoutMs: opts.opTimeoutS * 1000, signal, timers,
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
      const startMs = timers.nowMs();
      r.state.mainDeadlineMs = startMs + opts.timeLimitS * 1000;
      await Promise.all([
        runClientPhase(ctx, threads, generators, r.state.mainDeadlineMs, r.opsPerThreadMax),
        runNemesisTimeline(recorder, parts.nemesis, r.schedule, startMs, r.state.mainDeadlineMs, signal, timers),
      ]);
    });
    await timed('heal', async () => {
      // With no schedule no fault was injected: nothing to heal, and nothing to record.
      if (r.schedule.length === 0) return;
      for (const op of parts.nemesis.healOps()) await applyNemesisOp(recorder, parts.nemesis, op);
    });
    await timed('recovery', async () => {
      // At least the Db's quiet period (gossip's anti-entropy rounds), whatever --recovery-s says.
      await sleepUnlessAborted(Math.max(opts.recoveryS * 1000, parts.quietPeriodMs ?? 0), signal, timers);
      // A system that settles on its own schedule (Sentinel's demotion of an old primary) is waited for.
      if (!signal.aborted) await parts.db?.converged?.(parts.cluster, signal);
    });
    const finalGenerator = workload.finalGenerator;
    if (finalGenerator === undefined) return;
    await timed('final', async () => {
      // Declared, not read from the history: what the generators drew, in thread order.
      const mainDrawn = drawn.flat();
      const finals: OpGenerator[] = allThreads.map((t) => finalGenerator(t.thread, wctx, mainDrawn));
      const finalCtx = { ...ctx, limiter: new RateLimiter(0, 1, timers) };
      const deadlineMs = timers.nowMs() + Math.max(FINAL_PHASE_MS_MIN, 2 * ctx.opTimeoutMs);
      await runClientPhase(finalCtx, allThreads, finals, deadlineMs);
    });
  } finally {
    r.state.phase = 'done';
    await Promise.all(allThreads.map(async (t) => {
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
