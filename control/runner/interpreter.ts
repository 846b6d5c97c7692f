// control/runner/interpreter.ts — Jepsen's process model: client threads and the nemesis timeline.
import { setMaxListeners } from 'node:events';
import { onAbort } from '../../lib/abort-watch.ts';
import { REAL_TIMERS, sleepOn, type TimerId, type Timers } from '../../lib/timers.ts';
import type { NemesisOp, ScheduledNemesisOp } from '../../nemesis/types.ts';
import type { Completion, KvClientLike, OpGenerator, OpSpec, Workload } from '../../workloads/types.ts';
import type { NemesisDriver } from './nemesis-driver.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { Recorder } from './recorder.ts';

/**
 * ClientFactory opens the client of one process, bound to `node` first (the client library
 * redirects and fails over on its own). A process gets a fresh client: after an info its
 * successor must not inherit a connection in an unknown state.
 */
export interface ClientFactory {
  open(node: string, process: number): KvClientLike | Promise<KvClientLike>;
}

/**
 * ClientThread: one logical thread; `process` grows by `stride` (the run's thread count) after
 * each info, so process mod stride is the thread and no two threads ever share a process.
 */
export interface ClientThread {
  readonly thread: number;
  readonly node: string;
  readonly stride: number;
  process: number;
  client: KvClientLike | undefined;
}

/** PhaseContext: what a client phase needs. */
export interface PhaseContext {
  recorder: Recorder;
  workload: Workload;
  clients: ClientFactory;
  limiter: RateLimiter;
  opTimeoutMs: number;
  signal: AbortSignal;
  /** timers: real time, or a simulator's virtual time (--cluster sim). */
  timers: Timers;
}

/** OPS_PER_THREAD_MAX bounds a thread's loop whatever the rate and time limit. */
export const OPS_PER_THREAD_MAX = 100_000_000;

/** makeThreads spreads `count` threads over the nodes: thread i talks to node i mod N. */
export function makeThreads(count: number, nodes: readonly string[]): ClientThread[] {
  if (nodes.length === 0) throw new Error('makeThreads: no nodes');
  return Array.from({ length: count }, (_, thread) => ({
    thread,
    node: nodes[thread % nodes.length],
    stride: count,
    process: thread,
    client: undefined,
  }));
}

/**
 * runClientPhase runs every thread's generator until it is exhausted, `deadlineMs`
 * (on ctx.timers) passes, `opsPerThreadMax` ops were done, or the signal aborts.
 * No op is invoked after the deadline; ops in flight at the deadline are awaited (bounded
 * by opTimeoutMs) so the history ends with every op completed.
 */
export async function runClientPhase(
  ctx: PhaseContext,
  threads: readonly ClientThread[],
  generators: readonly OpGenerator[],
  deadlineMs: number,
  opsPerThreadMax = OPS_PER_THREAD_MAX,
): Promise<void> {
  if (generators.length !== threads.length) throw new Error('runClientPhase: one generator per thread');
  // Ops and sleeps wait on the abort through one listener (lib/abort-watch.ts); this leaves room for the others.
  setMaxListeners(threads.length + 16, ctx.signal);
  await Promise.all(threads.map((t, i) => runThread(ctx, t, generators[i], deadlineMs, opsPerThreadMax)));
}

async function runThread(ctx: PhaseContext, t: ClientThread, gen: OpGenerator, deadlineMs: number, opsMax: number): Promise<void> {
  for (let n = 0; n < opsMax; n += 1) {
    if (ctx.signal.aborted || ctx.timers.nowMs() >= deadlineMs) return;
    const spec = gen.next();
    if (spec === null) return;
    if (!(await ctx.limiter.take(deadlineMs, ctx.signal))) return;
    if (t.client === undefined) t.client = await ctx.clients.open(t.node, t.process);
    ctx.recorder.invoke(t.process, spec, t.node);
    const completion = await invokeBounded(ctx, t.client, spec);
    ctx.recorder.complete(t.process, completion);
    if (completion.type === 'info') {
      // Jepsen: the process that got an info may still have an op in flight; it is retired
      // and the thread continues as a new process with a new client.
      const old = t.client;
      t.client = undefined;
      t.process += t.stride;
      void Promise.resolve().then(() => old.close?.()).catch(() => undefined);
    }
  }
}

/**
 * invokeBounded runs one op and maps every way it can end to a completion: a thrown error,
 * the runner's timeout and an abort are all `info` (the op may have happened).
 */
async function invokeBounded(ctx: PhaseContext, client: KvClientLike, spec: OpSpec): Promise<Completion> {
  let timer: TimerId | undefined;
  let stopWatching: (() => void) | undefined;
  const bound = new Promise<Completion>((resolve) => {
    timer = ctx.timers.setTimer(() => resolve({ type: 'info', error: `runner timeout after ${ctx.opTimeoutMs} ms` }), ctx.opTimeoutMs);
    stopWatching = onAbort(ctx.signal, () => resolve({ type: 'info', error: 'interrupted' }));
  });
  try {
    const call = ctx.workload.invoke(client, spec).then(
      (completion) => checkCompletion(completion),
      (error: unknown) => ({ type: 'info', error: error instanceof Error ? error.message : String(error) }) as Completion,
    );
    return await Promise.race([call, bound]);
  } finally {
    if (timer !== undefined) ctx.timers.clearTimer(timer);
    stopWatching?.();
  }
}

/** checkCompletion guards the workload contract: a completion type is ok, fail or info. */
function checkCompletion(completion: Completion): Completion {
  if (completion.type !== 'ok' && completion.type !== 'fail' && completion.type !== 'info') {
    return { type: 'info', error: `client returned a bad completion type ${JSON.stringify(completion.type)}` };
  }
  return completion;
}

/** applyNemesisOp records one nemesis op as an invoke/info pair around driver.apply. */
export async function applyNemesisOp(recorder: Recorder, driver: NemesisDriver, op: NemesisOp): Promise<void> {
  const spec: OpSpec = op.value === undefined ? { f: op.f } : { f: op.f, value: op.value };
  recorder.invoke('nemesis', spec);
  try {
    const done = await driver.apply({ f: op.f, value: op.value });
    recorder.complete('nemesis', { type: 'info', value: done ?? null });
  } catch (error) {
    recorder.complete('nemesis', { type: 'info', value: null, error: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * runNemesisTimeline applies each scheduled op at startMs + atMs, one after another; an op
 * due after `deadlineMs` is not applied. The schedule must be sorted by atMs.
 */
export async function runNemesisTimeline(
  recorder: Recorder,
  driver: NemesisDriver,
  schedule: readonly ScheduledNemesisOp[],
  startMs: number,
  deadlineMs: number,
  signal: AbortSignal,
  timers: Timers = REAL_TIMERS,
): Promise<void> {
  for (const scheduled of schedule) {
    const dueMs = startMs + scheduled.atMs;
    if (dueMs >= deadlineMs || signal.aborted) return;
    const waitMs = dueMs - timers.nowMs();
    if (waitMs > 0 && !(await sleepUnlessAborted(waitMs, signal, timers))) return;
    await applyNemesisOp(recorder, driver, scheduled);
  }
}

/** sleepUnlessAborted waits `ms` on `timers`; false if the signal aborted first. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal, timers: Timers = REAL_TIMERS): Promise<boolean> {
  return sleepOn(timers, ms, signal);
}
