// checker/linearizable/check.ts — check operations or a raw history against a model.
import os from 'node:os';
import { defineLazy } from '../../lib/lazy.ts';
import type { Op } from '../../history/op.ts';
import { toOperations, type PairOptions, type PairResult } from '../../history/pair.ts';
import { MODEL_NAMES } from '../models/index.ts';
import type { Model } from '../types.ts';
import type { Operation } from '../../history/op.ts';
import { operationsOf, runInterleaved, type InterleaveOutcome, type SearchProgress } from './interleave.ts';
import { arraySource, tableSource, type OperationSource } from './operation-source.ts';
import type { LinearizabilityResult, PartitionFailure } from './result.ts';
import { runInWorkers } from './workers.ts';

/** CheckOptions: limits and how partitions are scheduled. */
export interface CheckOptions {
  /** Wall-clock limit; when exhausted the verdict is 'unknown'. Default 60 000. */
  timeoutMs?: number;
  /** interleave (default): round-robin slices in this thread; workers: worker_threads. */
  strategy?: 'interleave' | 'workers';
  /** Worker threads for strategy 'workers'. Default: the available parallelism. */
  workers?: number;
  /** Search steps per slice before moving to the next partition. Default 5 000. */
  sliceSteps?: number;
  /** Cap on the visited-state caches, in bytes; reaching it gives 'unknown'. Default 1 GiB. */
  cacheBytesMax?: number;
  /** Cap on the process's resident memory, checked between slices; 'unknown' beyond. Default 3 GiB. */
  rssBytesMax?: number;
  /** onProgress is told after every search slice (strategy interleave only); keep it cheap. */
  onProgress?: (progress: SearchProgress) => void;
  /** Wall-clock cap on shrinking a failing partition to a minimal set of ops; 0 skips it. Default 2 000. */
  shrinkMs?: number;
  /** Search steps the shrink may spend over all its re-checks. Default 2 000 000. */
  shrinkSteps?: number;
  /**
   * false searches the history as one partition even when the model declares partition():
   * the whole-state search (what Porcupine runs for a model without Partition), for benchmarks
   * and for cross-checking that splitting never changes a verdict. Default true.
   */
  partition?: boolean;
}

const TIMEOUT_MS_DEFAULT = 60_000;
const SLICE_STEPS_DEFAULT = 5_000;
const CACHE_BYTES_MAX_DEFAULT = 2 ** 30;
const RSS_BYTES_MAX_DEFAULT = 3 * 2 ** 30;
const SHRINK_MS_DEFAULT = 2_000;
const SHRINK_STEPS_DEFAULT = 2_000_000;
const now = (): number => performance.now();

/**
 * checkOperations decides whether `ops` are linearizable under `model`, one search per
 * partition (P-compositionality). The first illegal partition ends the whole check.
 * An op the model cannot step (Model.checkInput) is a HistoryInputError before any search.
 * With strategy 'workers' the model is rebuilt in each thread by getModel(model.name, model.initArg, model.semantics).
 */
export async function checkOperations(
  ops: Operation[],
  model: Model,
  opts: CheckOptions = {},
): Promise<LinearizabilityResult> {
  return checkSource(arraySource(ops), model, opts);
}

async function checkSource(source: OperationSource, model: Model, opts: CheckOptions): Promise<LinearizabilityResult> {
  const startMs = performance.now();
  const timeoutMs = opts.timeoutMs ?? TIMEOUT_MS_DEFAULT;
  const sliceSteps = opts.sliceSteps ?? SLICE_STEPS_DEFAULT;
  const bytesMax = opts.cacheBytesMax ?? CACHE_BYTES_MAX_DEFAULT;
  const shrink = { timeMs: opts.shrinkMs ?? SHRINK_MS_DEFAULT, stepsMax: opts.shrinkSteps ?? SHRINK_STEPS_DEFAULT };
  source.checkInputs(model);
  const partitions = source.partitions(model, model.partition !== undefined && opts.partition !== false);
  let outcome: InterleaveOutcome;
  if (opts.strategy === 'workers' && partitions.length > 1) {
    if (!MODEL_NAMES.includes(model.name)) {
      throw new Error(`strategy workers needs a named model (${MODEL_NAMES.join(', ')}); got "${model.name}"`);
    }
    outcome = await runInWorkers(partitions.map(operationsOf), model.name, model.initArg, model.semantics ?? 'splitbrain', {
      workers: opts.workers ?? os.availableParallelism(),
      timeoutMs,
      sliceSteps,
      bytesMax,
      rssBytesMax: opts.rssBytesMax ?? RSS_BYTES_MAX_DEFAULT,
      shrink,
    });
  } else {
    outcome = runInterleaved(partitions, model, {
      deadlineMs: startMs + timeoutMs,
      now,
      sliceSteps,
      budget: { bytesUsed: 0, bytesMax },
      rssBytesMax: opts.rssBytesMax ?? RSS_BYTES_MAX_DEFAULT,
      onSlice: opts.onProgress,
      shrink,
    });
  }
  const result: LinearizabilityResult = {
    kind: 'linearizable',
    valid: outcome.status === 'ok' ? true : outcome.status === 'illegal' ? false : 'unknown',
    model: model.name,
    partitions: partitions.length,
    partitionsChecked: outcome.partitionsChecked,
    opCount: source.count,
    elapsedMs: performance.now() - startMs,
    failures: [],
    steps: outcome.steps,
  };
  // Built on first read, like Porcupine's CheckEvents, which answers without its explanation.
  if (outcome.status === 'illegal') defineLazy(result, 'failures', () => failuresOf(outcome));
  if (outcome.unknownReason !== undefined && result.valid === 'unknown') result.unknownReason = outcome.unknownReason;
  if (model.semantics !== undefined) result.semantics = model.semantics;
  return result;
}

function failuresOf(outcome: InterleaveOutcome): PartitionFailure[] {
  const failure = outcome.failure ?? outcome.explain?.();
  return failure === undefined ? [] : [failure];
}

/** checkLinearizable pairs a raw history (see toOperations) and checks it. */
export async function checkLinearizable(
  history: Op[],
  model: Model,
  opts: CheckOptions & PairOptions = {},
): Promise<LinearizabilityResult> {
  return checkPaired(toOperations(history, opts), model, opts);
}

/** checkPaired checks a paired history (toOperations, readOperations) and reports what pairing dropped. */
export async function checkPaired(paired: PairResult, model: Model, opts: CheckOptions = {}): Promise<LinearizabilityResult> {
  const result = await checkSource(tableSource(paired.table), model, opts);
  result.dropped = {
    failedReads: paired.droppedFailedReads,
    infoReads: paired.droppedInfoReads,
    failed: paired.droppedFailed,
    info: paired.infoCount,
    pending: paired.pendingCount,
  };
  return result;
}
