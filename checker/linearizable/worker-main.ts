// checker/linearizable/worker-main.ts — a worker thread: check its partitions, post the outcome.
import { parentPort, workerData } from 'node:worker_threads';
import { getModel } from '../models/index.ts';
import type { Operation } from '../../history/op.ts';
import type { ModelSemantics } from '../types.ts';
import { runInterleaved, type ShrinkBudget } from './interleave.ts';

/** WorkerInput is everything a worker needs, as plain data (the model travels by name). */
export interface WorkerInput {
  entry: string;
  modelName: string;
  modelInit: unknown;
  modelSemantics: ModelSemantics;
  partitions: Operation[][];
  timeoutMs: number;
  sliceSteps: number;
  bytesMax: number;
  rssBytesMax: number;
  shrink: ShrinkBudget;
}

const input = workerData as WorkerInput;
const port = parentPort;
if (port === null) throw new Error('worker-main.ts must run in a worker thread');
const model = getModel(input.modelName, input.modelInit, input.modelSemantics);
const outcome = runInterleaved(input.partitions, model, {
  deadlineMs: performance.now() + input.timeoutMs,
  now: () => performance.now(),
  sliceSteps: input.sliceSteps,
  budget: { bytesUsed: 0, bytesMax: input.bytesMax },
  rssBytesMax: input.rssBytesMax,
  shrink: input.shrink,
  onPartitionDone: (checked) => port.postMessage({ type: 'progress', checked }),
});
// A function cannot be posted: the explanation is built here, where the search lives.
const { explain, ...posted } = outcome;
port.postMessage({ type: 'done', outcome: explain === undefined ? posted : { ...posted, failure: explain() } });
