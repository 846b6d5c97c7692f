// control/runner/bounded-analysis.ts — run a run's check (or its report) in a worker thread with a heap cap and a deadline.
import { Worker } from 'node:worker_threads';
import type { OpStats } from '../../workloads/stats.ts';
import type { CheckOptions, WorkloadResult } from '../../workloads/types.ts';

/** AnalysisTask: what the worker does: read + stats (+ check when `workload` is set), or render the report. */
export type AnalysisTask =
  | { kind: 'analysis'; historyPath: string; workload?: string; checkOptions: CheckOptions }
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
 * runBounded runs `task` in its own worker thread. V8 stops a worker whose heap passes
 * `memoryMb` (the process and the other runs go on); the deadline terminates a worker that
 * overruns its budget. Either way the outcome says so instead of throwing: a check that could
 * not finish is an unknown verdict, never a crash of the caller. The worker is gone when the
 * promise settles.
 */
export async function runBounded(task: AnalysisTask, limits: AnalysisLimits): Promise<BoundedOutcome> {
  const worker = new Worker(BOOTSTRAP, {
    workerData: { entry: ENTRY, task },
    resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: Math.min(YOUNG_GENERATION_MB_MAX, Math.max(1, Math.floor(limits.memoryMb / 8))) },
    stdout: false,
    stderr: false,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<BoundedOutcome>((resolve) => {
      timer = setTimeout(() => {
        resolve({ status: 'failed', cause: 'time', reason: `${task.kind} did not finish within ${(limits.timeoutMs / 1000).toFixed(0)} s (worker stopped)` });
      }, Math.min(limits.timeoutMs, TIMER_MS_MAX));
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'done') resolve({ status: 'done', answer: message.answer });
        else resolve({ status: 'failed', cause: 'threw', reason: `${task.kind} threw: ${message.message}` });
      });
      worker.on('error', (error: Error & { code?: string }) => {
        if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
          resolve({ status: 'failed', cause: 'memory', reason: `${task.kind} ran out of memory: its heap cap is ${limits.memoryMb} MB (--check-memory-mb)` });
        } else resolve({ status: 'failed', cause: 'threw', reason: `${task.kind} worker failed: ${error.message}` });
      });
      worker.on('exit', (code) => {
        resolve({ status: 'failed', cause: 'threw', reason: `${task.kind} worker exited with code ${code} before answering` });
      });
    });
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}
