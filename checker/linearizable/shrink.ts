// checker/linearizable/shrink.ts — shrink a non-linearizable partition to a 1-minimal set of ops.
import type { Operation } from '../../history/op.ts';
import type { Model, ValueFlow } from '../types.ts';
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
 * within budget; a re-check that runs out of budget counts as "not shown failing".
 *
 * Dropping an op must not change what the rest means, or the smaller set fails for a reason the
 * history does not have: drop the write a stale read saw, and the read seems to see a later write
 * of the same value. So only droppable ops go (DropRule): read-only ops always (no op depends on a
 * read), and, when the model has valueFlow, a state-changing op from which no op kept could have
 * read its value. Then every order of the partition, restricted to the kept ops, is an order of
 * the set with the same states before each kept op: the set fails only where the partition does.
 * A kept set must also have some legal order when real time is ignored (or not be shown to lack
 * one), so the answer is an ordering conflict, not a read of a value no kept op wrote — unless the
 * whole partition has no legal order either. The set is 1-minimal when the last pass tried each
 * droppable op singly and every such set came back linearizable or without any legal order.
 */
export function shrinkCounterexample(ops: Operation[], model: Model, limits: ShrinkLimits): ShrinkOutcome {
  const checker = new BoundedChecker(model, limits);
  const rule = new DropRule(model, ops);
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
      const dropped = rule.droppable(current, start, start + chunk);
      if (dropped.size === 0) continue;
      const candidate = current.filter((op) => !dropped.has(op));
      const verdict = checker.verdict(candidate);
      // A set no order could explain (a read of a value no op kept writes) says nothing about
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

/**
 * DropRule says which ops of a chunk may leave the set together (see shrinkCounterexample). A
 * read-only op may always go. With valueFlow, a state-changing op p may go unless some op o that
 * stays needs the value p leaves and o could have read it from p: p could come right before o
 * among the partition's state changes, that is p started before o returned and no op of the
 * partition that certainly changed the state (an ok write or cas) lies wholly between them in real
 * time. The partition is fixed, so what p could feed never changes as the set shrinks.
 */
class DropRule {
  private readonly flows = new Map<Operation, ValueFlow>();
  /** Ok state-changing ops of the partition by invocation, and the earliest return among each suffix. */
  private readonly changerInvokes: number[] = [];
  private readonly suffixMinReturn: number[] = [];

  constructor(
    private readonly model: Model,
    partition: readonly Operation[],
  ) {
    if (model.valueFlow === undefined) return;
    const changers: Operation[] = [];
    for (const op of partition) {
      const flow = model.valueFlow(op);
      this.flows.set(op, flow);
      if (flow.leaves !== undefined && op.outcome === 'ok') changers.push(op);
    }
    changers.sort((a, b) => a.invokeIndex - b.invokeIndex);
    let least = Infinity;
    for (let i = changers.length - 1; i >= 0; i--) {
      least = Math.min(least, changers[i].returnIndex);
      this.suffixMinReturn[i] = least;
    }
    this.changerInvokes.push(...changers.map((op) => op.invokeIndex));
  }

  /** droppable: the ops of current[from, to) that may go, given that the rest of current stays. */
  droppable(current: readonly Operation[], from: number, to: number): Set<Operation> {
    const needers = new Map<string, Operation[]>();
    for (let i = 0; i < current.length; i++) if (i < from || i >= to) this.need(current[i], needers);
    const chunk = current.slice(from, to);
    let going = new Set(chunk.filter((op) => this.mayGo(op, needers)));
    // An op of the chunk that stays needs a value too, which may keep a writer of the chunk: to a fixpoint.
    for (;;) {
      for (const op of chunk) if (!going.has(op)) this.need(op, needers);
      const next = new Set([...going].filter((op) => this.mayGo(op, needers)));
      if (next.size === going.size) return going;
      going = next;
    }
  }

  private need(op: Operation, needers: Map<string, Operation[]>): void {
    const requires = this.flows.get(op)?.requires;
    if (requires === undefined) return;
    const list = needers.get(requires);
    if (list === undefined) needers.set(requires, [op]);
    else if (!list.includes(op)) list.push(op);
  }

  private mayGo(op: Operation, needers: ReadonlyMap<string, Operation[]>): boolean {
    if (this.model.readOnly?.(op) === true) return true;
    const flow = this.flows.get(op);
    if (flow === undefined) return false;
    const leaves = flow.leaves;
    if (leaves === undefined) return true;
    return !(needers.get(leaves) ?? []).some((reader) => this.couldFeed(op, reader));
  }

  /** couldFeed: whether `writer` could be the last state change before `reader` in some order of the partition. */
  private couldFeed(writer: Operation, reader: Operation): boolean {
    if (writer === reader || writer.invokeIndex > reader.returnIndex) return false;
    // The first ok state change invoked after the writer returned; the earliest return from there on.
    let lo = 0;
    let hi = this.changerInvokes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.changerInvokes[mid] > writer.returnIndex) hi = mid;
      else lo = mid + 1;
    }
    return !(lo < this.suffixMinReturn.length && this.suffixMinReturn[lo] < reader.invokeIndex);
  }
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
