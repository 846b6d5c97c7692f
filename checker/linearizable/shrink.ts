// checker/linearizable/shrink.ts — shrink a non-linearizable partition to a 1-minimal set of ops.
import type { Operation } from '../../history/op.ts';
import type { Model } from '../types.ts';
import { LinearizationSearch } from './search.ts';

/** ShrinkLimits bound the whole shrink, so a failing check never takes much longer. */
export interface ShrinkLimits {
  /** Search steps over every re-check. */
  stepsMax: number;
  /** Wall-clock cap on `now()`'s clock, in ms from the start of the shrink. */
  timeMs: number;
  /** Steps one re-check may take before it counts as "not shown failing". */
  candidateStepsMax: number;
  /** Cap on one re-check's visited-state cache, in bytes. */
  bytesMax: number;
  now: () => number;
}

/** ShrinkOutcome: the smallest illegal set found, and whether it is proven 1-minimal. */
export interface ShrinkOutcome {
  ops: Operation[];
  /** True when removing any single op was shown to make the set linearizable (or unprovable illegal). */
  minimal: boolean;
  checks: number;
  steps: number;
}

const SLICE_STEPS = 10_000;

/**
 * shrinkCounterexample runs delta debugging (Zeller's ddmin, complements only) on `ops`, which
 * must be a non-linearizable partition: drop chunks while the rest stays illegal, halving the
 * chunks down to single ops. A set is kept only when the existing search re-checks it illegal
 * within budget, so the answer is always a set that cannot be linearized on its own; a re-check
 * that runs out of budget counts as "not shown failing". Removing any op leaves a valid history
 * (an info op may never have happened; without an ok op the rest is still a history, and the
 * claim is about that set alone). A kept set must also have some legal order when real time is
 * ignored (or not be shown to lack one), so the answer is an ordering conflict, not a read of a
 * value no kept op wrote — unless the whole partition has no legal order either. The set is 1-minimal when the last pass removed each op singly and
 * every such set came back linearizable or without any legal order.
 */
export function shrinkCounterexample(ops: Operation[], model: Model, limits: ShrinkLimits): ShrinkOutcome {
  const checker = new BoundedChecker(model, limits);
  let current = ops;
  let granularity = 2;
  let minimal = false;
  // A partition with no legal order at all (say one read of a never-written value) has no
  // ordering conflict to find: then shrink it to the fewest ops that still fail.
  const orderingOnly = checker.verdict(concurrently(ops)) !== 'illegal';
  while (current.length >= 2 && !checker.exhausted()) {
    const chunk = Math.ceil(current.length / granularity);
    let reduced = false;
    let inconclusive = false;
    for (let start = 0; start < current.length && !checker.exhausted(); start += chunk) {
      const candidate = [...current.slice(0, start), ...current.slice(start + chunk)];
      const verdict = checker.verdict(candidate);
      // A set no order could explain (a read of a value nothing left writes) says nothing about
      // ordering: keep only sets whose ops have some legal order once real time is ignored.
      if (verdict === 'illegal' && (!orderingOnly || checker.verdict(concurrently(candidate)) !== 'illegal')) {
        current = candidate;
        granularity = Math.max(granularity - 1, 2);
        reduced = true;
        break;
      }
      if (verdict === 'unknown') inconclusive = true;
    }
    if (reduced) continue;
    if (checker.exhausted()) break;
    if (chunk === 1) {
      minimal = !inconclusive;
      break;
    }
    granularity = Math.min(current.length, granularity * 2);
  }
  // A single illegal op is minimal: the empty history is always linearizable.
  if (current.length <= 1) minimal = true;
  return { ops: current, minimal, checks: checker.checks, steps: checker.steps };
}

/** concurrently copies `ops` with every interval overlapping every other: real time ignored. */
function concurrently(ops: Operation[]): Operation[] {
  return ops.map((op, i) => ({
    ...op,
    invokeIndex: i,
    returnIndex: op.outcome === 'ok' ? ops.length + i : Infinity,
  }));
}

/** BoundedChecker re-checks candidate sets against one shared step and time budget. */
class BoundedChecker {
  private readonly model: Model;
  private readonly limits: ShrinkLimits;
  private readonly deadline: number;
  checks = 0;
  steps = 0;
  private outOfBudget = false;

  constructor(model: Model, limits: ShrinkLimits) {
    this.model = model;
    this.limits = limits;
    this.deadline = limits.now() + limits.timeMs;
  }

  exhausted(): boolean {
    return this.outOfBudget || this.steps >= this.limits.stepsMax || this.limits.now() > this.deadline;
  }

  /** verdict re-checks `ops`: 'illegal', 'ok', or 'unknown' (budget or memory ran out). */
  verdict(ops: Operation[]): 'illegal' | 'ok' | 'unknown' {
    this.checks++;
    const search = new LinearizationSearch(ops, this.model, { bytesUsed: 0, bytesMax: this.limits.bytesMax });
    const cap = Math.min(this.limits.candidateStepsMax, this.limits.stepsMax - this.steps);
    let used = 0;
    for (;;) {
      const before = search.steps;
      const status = search.run(Math.min(SLICE_STEPS, cap - used));
      used += search.steps - before;
      if (status === 'illegal' || status === 'ok') {
        this.steps += used;
        return status;
      }
      if (status === 'unknown' || used >= cap || this.limits.now() > this.deadline) {
        this.steps += used;
        if (this.steps >= this.limits.stepsMax || this.limits.now() > this.deadline) this.outOfBudget = true;
        return 'unknown';
      }
    }
  }
}
