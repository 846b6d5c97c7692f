// checker/linearizable/interleave.ts — run many partition searches round-robin in slices.
import type { Model } from '../types.ts';
import type { Operation } from '../../history/op.ts';
import { buildFailure } from './counterexample.ts';
import type { PartitionFailure } from './result.ts';
import { LinearizationSearch } from './search.ts';
import { shrinkCounterexample, type ShrinkOutcome } from './shrink.ts';
import type { MemoryBudget } from './visited-set.ts';

const RSS_CHECK_MS = 50;
const CANDIDATE_STEPS_MIN = 20_000;

/**
 * LazyPartition is a partition whose operations are built only when its search starts: a
 * columnar history (OperationTable) then never holds every operation as an object at once.
 */
export interface LazyPartition {
  readonly length: number;
  operations(): Operation[];
}

/** PartitionInput: a partition's operations, or a way to build them. */
export type PartitionInput = Operation[] | LazyPartition;

/** InterleaveOptions bound the run: an absolute deadline on `now()`'s clock and slice size. */
export interface InterleaveOptions {
  deadlineMs: number;
  now: () => number;
  sliceSteps: number;
  budget: MemoryBudget;
  /** Cap on process.memoryUsage.rss(), checked once per slice. */
  rssBytesMax: number;
  /** Budget for shrinking an illegal partition to a minimal set (see shrink.ts); 0 ms skips it. */
  shrink: ShrinkBudget;
  /** onPartitionDone is told each time a partition's search finishes (progress for workers). */
  onPartitionDone?: (checked: number) => void;
  /** onSlice is told after every slice how far the search is (progress for long checks). */
  onSlice?: (progress: SearchProgress) => void;
}

/** SearchProgress: partitions finished of all, and search steps so far. */
export interface SearchProgress {
  partitionsChecked: number;
  partitions: number;
  steps: number;
}

/** ShrinkBudget bounds the counterexample shrink: total search steps and wall time. */
export interface ShrinkBudget {
  stepsMax: number;
  timeMs: number;
}

/** InterleaveOutcome: the first illegal partition wins; otherwise unknown beats ok. */
export interface InterleaveOutcome {
  status: 'ok' | 'illegal' | 'unknown';
  partitionsChecked: number;
  steps: number;
  /** The illegal partition's explanation, when already built (a worker builds it before posting). */
  failure?: PartitionFailure;
  /** explain builds the illegal partition's explanation (in this thread; never posted). */
  explain?: () => PartitionFailure;
  unknownReason?: string;
}

/**
 * runInterleaved checks partitions smallest first, each in slices of `sliceSteps` round-robin,
 * so one hard partition cannot starve an easy illegal one: the first illegal ends everything.
 * Easy partitions finish in their first slice, so memory is held only by the hard ones.
 */
export function runInterleaved(partitions: readonly PartitionInput[], model: Model, opts: InterleaveOptions): InterleaveOutcome {
  let queue: (LinearizationSearch | PartitionInput)[] = [...partitions].sort((a, b) => a.length - b.length);
  const outcome: InterleaveOutcome = { status: 'ok', partitionsChecked: 0, steps: 0 };
  const limits = new Limits(opts);
  // Each round gives every live search one slice; bounded by the deadline and the budget.
  while (queue.length > 0) {
    const survivors: LinearizationSearch[] = [];
    for (let i = 0; i < queue.length; i++) {
      const limit = limits.reached();
      if (limit !== undefined) {
        outcome.status = 'unknown';
        outcome.unknownReason = `${limit}: ${queue.length - i + survivors.length} partition(s) unfinished`;
        return outcome;
      }
      const item = queue[i];
      const search = item instanceof LinearizationSearch ? item : new LinearizationSearch(operationsOf(item), model, opts.budget);
      const stepsBefore = search.steps;
      const status = search.run(opts.sliceSteps);
      outcome.steps += search.steps - stepsBefore;
      opts.onSlice?.({ partitionsChecked: outcome.partitionsChecked, partitions: partitions.length, steps: outcome.steps });
      if (status === 'running') {
        survivors.push(search);
        continue;
      }
      if (status === 'illegal') {
        outcome.partitionsChecked++;
        outcome.status = 'illegal';
        // The verdict is known here; the explanation is built only when someone reads it.
        const shrunk = shrink(search, model, opts);
        outcome.explain = () => buildFailure(search, shrunk);
        delete outcome.unknownReason;
        return outcome;
      }
      if (status === 'unknown') {
        outcome.status = 'unknown';
        outcome.unknownReason = search.unknownReason;
      } else {
        outcome.partitionsChecked++;
      }
      opts.onPartitionDone?.(outcome.partitionsChecked);
    }
    queue = survivors;
  }
  return outcome;
}

/** operationsOf builds a partition's operations (a lazy one) or returns them. */
export function operationsOf(partition: PartitionInput): Operation[] {
  return Array.isArray(partition) ? partition : partition.operations();
}

/**
 * shrink reduces the illegal partition to a minimal set. One re-check may take a few times the
 * original search's steps: a subset is rarely harder, and a stuck one must not eat the budget.
 */
function shrink(search: LinearizationSearch, model: Model, opts: InterleaveOptions): ShrinkOutcome | undefined {
  if (opts.shrink.timeMs <= 0 || opts.shrink.stepsMax <= 0) return undefined;
  return shrinkCounterexample(search.ops, model, {
    stepsMax: opts.shrink.stepsMax,
    timeMs: opts.shrink.timeMs,
    candidateStepsMax: Math.max(CANDIDATE_STEPS_MIN, 4 * search.steps),
    bytesMax: opts.budget.bytesMax,
    now: opts.now,
  });
}

/** Limits watches the deadline (every slice) and the resident memory (sampled: a /proc read). */
class Limits {
  private readonly opts: InterleaveOptions;
  private rssCheckedMs: number;

  constructor(opts: InterleaveOptions) {
    this.opts = opts;
    // The first sample waits RSS_CHECK_MS: a short check never pays for the /proc read.
    this.rssCheckedMs = opts.now();
  }

  /** reached names the exhausted limit, or is undefined while the search may go on. */
  reached(): string | undefined {
    const nowMs = this.opts.now();
    if (nowMs > this.opts.deadlineMs) return 'timeout';
    if (nowMs - this.rssCheckedMs < RSS_CHECK_MS) return undefined;
    this.rssCheckedMs = nowMs;
    if (process.memoryUsage.rss() > this.opts.rssBytesMax) return `memory: resident set above ${this.opts.rssBytesMax} bytes`;
    return undefined;
  }
}
