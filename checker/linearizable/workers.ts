// checker/linearizable/workers.ts — spread partitions over worker threads; first illegal wins.
import { Worker } from 'node:worker_threads';
import type { Operation } from '../../history/op.ts';
import type { ModelSemantics } from '../types.ts';
import type { InterleaveOutcome, ShrinkBudget } from './interleave.ts';
import type { WorkerInput } from './worker-main.ts';

/** WorkerRunOptions: how many threads, and the limits each one gets. */
export interface WorkerRunOptions {
  workers: number;
  timeoutMs: number;
  sliceSteps: number;
  bytesMax: number;
  rssBytesMax: number;
  shrink: ShrinkBudget;
}

type WorkerMessage = { type: 'progress'; checked: number } | { type: 'done'; outcome: InterleaveOutcome };

const TIMER_MS_MAX = 2 ** 31 - 1;
const BOOTSTRAP = new URL('./worker-bootstrap.mjs', import.meta.url);
const ENTRY = new URL('./worker-main.ts', import.meta.url).href;

/**
 * runInWorkers deals partitions to `workers` threads (largest first onto the lightest thread),
 * each running the interleaved search over its share. The first illegal partition terminates
 * every thread; so does the timeout (unknown). All threads are gone when the promise settles.
 */
export async function runInWorkers(
  partitions: Operation[][],
  modelName: string,
  modelInit: unknown,
  modelSemantics: ModelSemantics,
  opts: WorkerRunOptions,
): Promise<InterleaveOutcome> {
  const shares = deal(partitions, Math.max(1, Math.min(opts.workers, partitions.length)));
  const checked = shares.map(() => 0);
  const threads: Worker[] = [];
  const outcome = await new Promise<InterleaveOutcome>((resolve, reject) => {
    const done: InterleaveOutcome[] = [];
    // Each worker stops itself at timeoutMs; this timer is the backstop. setTimeout fires at
    // once beyond 2^31-1 ms, so a huge timeout is clamped.
    const timer = setTimeout(() => {
      const total = checked.reduce((a, b) => a + b, 0);
      resolve({ status: 'unknown', partitionsChecked: total, steps: 0, unknownReason: 'timeout (workers)' });
    }, Math.min(opts.timeoutMs + 1000, TIMER_MS_MAX));
    const finish = (result: InterleaveOutcome): void => {
      clearTimeout(timer);
      resolve(result);
    };
    shares.forEach((share, w) => {
      const workerData: WorkerInput = {
        entry: ENTRY,
        modelName,
        modelInit,
        modelSemantics,
        partitions: share,
        timeoutMs: opts.timeoutMs,
        sliceSteps: opts.sliceSteps,
        bytesMax: Math.floor(opts.bytesMax / shares.length),
        rssBytesMax: opts.rssBytesMax,
        shrink: opts.shrink,
      };
      const worker = new Worker(BOOTSTRAP, { workerData });
      threads.push(worker);
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'progress') {
          checked[w] = message.checked;
          return;
        }
        checked[w] = message.outcome.partitionsChecked;
        if (message.outcome.status === 'illegal') {
          finish({ ...message.outcome, partitionsChecked: checked.reduce((a, b) => a + b, 0) });
          return;
        }
        done.push(message.outcome);
        if (done.length === shares.length) finish(merge(done));
      });
      worker.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }).finally(() => Promise.all(threads.map((worker) => worker.terminate())));
  return outcome;
}

/** deal assigns partitions largest first to the thread with the fewest ops so far. */
function deal(partitions: Operation[][], count: number): Operation[][][] {
  const shares: Operation[][][] = Array.from({ length: count }, () => []);
  const loads = new Array<number>(count).fill(0);
  const bySize = [...partitions].sort((a, b) => b.length - a.length);
  for (const partition of bySize) {
    let lightest = 0;
    for (let w = 1; w < count; w++) if (loads[w] < loads[lightest]) lightest = w;
    shares[lightest].push(partition);
    loads[lightest] += partition.length;
  }
  return shares;
}

function merge(outcomes: InterleaveOutcome[]): InterleaveOutcome {
  const merged: InterleaveOutcome = { status: 'ok', partitionsChecked: 0, steps: 0 };
  for (const outcome of outcomes) {
    merged.partitionsChecked += outcome.partitionsChecked;
    merged.steps += outcome.steps;
    if (outcome.status === 'unknown') {
      merged.status = 'unknown';
      merged.unknownReason = outcome.unknownReason;
    }
  }
  return merged;
}
