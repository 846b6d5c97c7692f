// control/runner/bounded-analysis.ts — run a run's check (or its report) in a worker thread with a heap cap and a deadline.
import { Worker } from 'node:worker_threads';
import type { OpStats } from '../../history/stats.ts';
import type { WorkloadCheckOptions, WorkloadResult } from '../../workloads/types.ts';

/** AnalysisTask: what the worker does: read + stats (+ check when `workload` is set), or render the report. */
export type AnalysisTask =
  | { kind: 'analysis'; historyPath: string; workload?: string; checkOptions: WorkloadCheckOptions }
  | { kind: 'report'; runDir: string };

/** AnalysisAnswer: what a finished task sends back. */
export type AnalysisAnswer =
  | { kind: 'analysis'; opCount: number; stats: OpStats; checker?: WorkloadResult }
  | { kind: 'report' };

/** AnalysisLimits: the worker's V8 old-generation cap and its wall-clock deadline. */
export interface AnalysisLimits {
  memoryMb: number;
  timeoutMs: number;
}

/** BoundedOutcome: the answer, or why there is none (the cause, in words, for results.json). */
export type BoundedOutcome = { status: 'done'; answer: AnalysisAnswer } | { status: 'failed'; reason: string; cause: 'memory' | 'time' | 'threw' };

type WorkerMessage = { type: 'done'; answer: AnalysisAnswer } | { type: 'threw'; message: string };

const BOOTSTRAP = new URL('../../checker/linearizable/worker-bootstrap.mjs', import.meta.url);
const ENTRY = new URL('./analysis-worker.ts', import.meta.url).href;
const TIMER_MS_MAX = 2 ** 31 - 1;
/** YOUNG_GENERATION_MB_MAX: the young generation counts on top of the old one; keep it small. */
const YOUNG_GENERATION_MB_MAX = 64;

/**
 * BoundedAnalysis runs tasks one after the other in its own worker thread. V8 stops a worker
 * whose heap passes `memoryMb` (the process and the other runs go on); a deadline per task
 * terminates a worker that overruns its budget. Either way the outcome says so instead of
 * throwing: a check that could not finish is an unknown verdict, never a crash of the caller.
 * A task after a failed one gets a fresh worker; one worker serves a run's check and report,
 * so a run pays for one thread start. `close` terminates the worker.
 */
export class BoundedAnalysis {
  private worker: Worker | undefined;
  private listener: ((message: WorkerMessage | { type: 'error'; error: Error & { code?: string } } | { type: 'exit'; code: number }) => void) | undefined;

  constructor(private readonly limits: AnalysisLimits) {}

  async run(task: AnalysisTask): Promise<BoundedOutcome> {
    const worker = this.worker ?? this.start();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await new Promise<BoundedOutcome>((resolve) => {
      timer = setTimeout(() => {
        resolve({ status: 'failed', cause: 'time', reason: `${task.kind} did not finish within ${(this.limits.timeoutMs / 1000).toFixed(0)} s (worker stopped)` });
      }, Math.min(this.limits.timeoutMs, TIMER_MS_MAX));
      this.listener = (event) => {
        if (event.type === 'done') resolve({ status: 'done', answer: event.answer });
        else if (event.type === 'threw') resolve({ status: 'failed', cause: 'threw', reason: `${task.kind} threw: ${event.message}` });
        else if (event.type === 'error' && event.error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          resolve({ status: 'failed', cause: 'memory', reason: `${task.kind} ran out of memory: its heap cap is ${this.limits.memoryMb} MB (--check-memory-mb)` });
        } else if (event.type === 'error') resolve({ status: 'failed', cause: 'threw', reason: `${task.kind} worker failed: ${event.error.message}` });
        else resolve({ status: 'failed', cause: 'threw', reason: `${task.kind} worker exited with code ${event.code} before answering` });
      };
      worker.postMessage(task);
    });
    clearTimeout(timer);
    this.listener = undefined;
    // A worker that failed may be dead or half-way through the task: never reuse it.
    if (outcome.status === 'failed') await this.close();
    return outcome;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    const memoryMb = this.limits.memoryMb;
    const worker = new Worker(BOOTSTRAP, {
      workerData: { entry: ENTRY },
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.min(YOUNG_GENERATION_MB_MAX, Math.max(1, Math.floor(memoryMb / 8))) },
      stdout: false,
      stderr: false,
    });
    worker.on('message', (message: WorkerMessage) => this.listener?.(message));
    worker.on('error', (error: Error & { code?: string }) => this.listener?.({ type: 'error', error }));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      this.listener?.({ type: 'exit', code });
    });
    this.worker = worker;
    return worker;
  }
}

/** runBounded runs one task in a fresh bounded worker (BoundedAnalysis for one task). */
export async function runBounded(task: AnalysisTask, limits: AnalysisLimits): Promise<BoundedOutcome> {
  const analysis = new BoundedAnalysis(limits);
  try {
    return await analysis.run(task);
  } finally {
    await analysis.close();
  }
}
