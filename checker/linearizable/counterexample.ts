// checker/linearizable/counterexample.ts — turn the search's deepest point into a PartitionFailure.
import type { Model } from '../types.ts';
import type { Operation } from '../../history/op.ts';
import type { OperationView, PartitionFailure } from './result.ts';
import type { LinearizationSearch } from './search.ts';
import type { ShrinkOutcome } from './shrink.ts';

const CANDIDATES_MAX = 16;
const WINDOW_MAX = 32;
const PREFIX_LINES_MAX = 8;
/** Only the last PREFIX_STATES_MAX prefix steps get a state text, so huge prefixes stay small. */
const PREFIX_STATES_MAX = 2000;

/** MINIMAL_LINE_OPS_MAX caps the ops a minimal-set line lists in full. */
const MINIMAL_LINE_OPS_MAX = 12;

/** buildFailure explains an 'illegal' search in ids, states and human lines, plus its shrunk set. */
export function buildFailure(search: LinearizationSearch, shrunk?: ShrinkOutcome): PartitionFailure {
  const point = search.deepestPoint();
  if (point === null) throw new Error('buildFailure: the search has no deepest point');
  const { ops, model } = search;
  // A read leaves the state object as it was, so a prefix repeats states: describe each once.
  const described = new Map<unknown, string>();
  const describeState = (state: unknown): string => {
    let text = described.get(state);
    if (text === undefined) described.set(state, (text = describe(model, state)));
    return text;
  };
  const failing = ops[point.blockedOp];
  const linearized = new Set(point.prefix);
  const candidates = ops.filter(
    (op, i) => !linearized.has(i) && op.invokeIndex < failing.returnIndex && op !== failing,
  );
  const window = ops.filter((op) => op.invokeIndex < failing.returnIndex && op.returnIndex > failing.invokeIndex);
  const statesBefore = point.statesAtDepth.map(describeState);
  const failure: PartitionFailure = {
    partitionOpCount: ops.length,
    prefix: point.prefix.map((i, k) => ({
      id: ops[i].id,
      stateAfter: k >= point.prefix.length - PREFIX_STATES_MAX ? describeState(point.statesAfter[k]) : '',
    })),
    failingOpIds: [failing.id],
    candidateIds: candidates.slice(0, CANDIDATES_MAX).map((op) => op.id),
    statesBefore,
    windowIds: window.slice(0, WINDOW_MAX).map((op) => op.id),
    ops: [],
    lines: [],
  };
  // Only a failure in a partition split by key belongs to one key (not so with partition: false).
  if (failing.key !== undefined && model.partition && ops.every((op) => op.key === failing.key)) failure.key = failing.key;
  const mentioned = new Set<Operation>([failing, ...candidates.slice(0, CANDIDATES_MAX), ...window.slice(0, WINDOW_MAX)]);
  for (const i of point.prefix) mentioned.add(ops[i]);
  if (shrunk !== undefined) {
    failure.minimalOpIds = shrunk.ops.map((op) => op.id);
    failure.minimal = shrunk.minimal;
    for (const op of shrunk.ops) mentioned.add(op);
  }
  failure.ops = [...mentioned].sort((a, b) => a.id - b.id).map((op) => viewOf(model, op));
  const legalSomewhere = point.statesAtDepth.some((state) => model.step(state, failing).ok);
  failure.lines = failureLines(model, failure, failing, candidates, legalSomewhere);
  if (shrunk !== undefined) failure.lines.unshift(minimalLine(model, shrunk));
  return failure;
}

/** viewOf copies what a report needs to draw one op (Infinity becomes null for JSON). */
export function viewOf(model: Model, op: Operation): OperationView {
  const view: OperationView = {
    id: op.id,
    process: op.process,
    f: op.f,
    input: op.input,
    output: op.output,
    outcome: op.outcome,
    invokeIndex: op.invokeIndex,
    returnIndex: Number.isFinite(op.returnIndex) ? op.returnIndex : null,
    text: model.describeOperation ? model.describeOperation(op) : `${op.f} ${JSON.stringify(op.input)}`,
  };
  if (op.key !== undefined) view.key = op.key;
  if (op.invokeTime !== undefined) view.invokeTime = op.invokeTime;
  if (op.returnTime !== undefined) view.returnTime = op.returnTime;
  return view;
}

function describe(model: Model, state: unknown): string {
  return model.describeState ? model.describeState(state) : JSON.stringify(state);
}

function opLabel(model: Model, op: Operation): string {
  const text = model.describeOperation ? model.describeOperation(op) : `${op.f} ${JSON.stringify(op.input)}`;
  const end = Number.isFinite(op.returnIndex) ? String(op.returnIndex) : 'never';
  return `op ${op.id} (process ${op.process}, ${text}, history ${op.invokeIndex}..${end})`;
}

/** minimalLine names the shrunk set: "These 2 ops cannot be ordered: op 3 (...), op 7 (...)." */
function minimalLine(model: Model, shrunk: ShrinkOutcome): string {
  const shown = shrunk.ops.slice(0, MINIMAL_LINE_OPS_MAX).map((op) => opLabel(model, op));
  const more = shrunk.ops.length > shown.length ? `, and ${shrunk.ops.length - shown.length} more` : '';
  const caveat = shrunk.minimal ? '' : ' (the shrinking budget ran out: a smaller set may exist)';
  const count = shrunk.ops.length === 1 ? 'This op cannot be linearized' : `These ${shrunk.ops.length} ops cannot be ordered`;
  return `${count}${caveat}: ${shown.join(', ')}${more}.`;
}

function failureLines(
  model: Model,
  failure: PartitionFailure,
  failing: Operation,
  candidates: Operation[],
  legalSomewhere: boolean,
): string[] {
  const byId = new Map(failure.ops.map((view) => [view.id, view]));
  const lines = [`Longest linearizable prefix: ${failure.prefix.length} of ${failure.partitionOpCount} ops.`];
  const shown = failure.prefix.slice(-PREFIX_LINES_MAX);
  if (shown.length < failure.prefix.length) lines.push(`  ... ${failure.prefix.length - shown.length} earlier ops`);
  for (const step of shown) lines.push(`  op ${step.id} ${byId.get(step.id)?.text ?? ''} -> ${step.stateAfter}`);
  const states = failure.statesBefore.join(' or ');
  // Either the op is illegal in every state reachable here, or it is legal but every order
  // after it dead-ends: say which, so the reader does not hunt for a wrong value.
  lines.push(
    legalSomewhere
      ? `Then ${opLabel(model, failing)} must go next (the state could be ${states}), but no order of the remaining ops works after it.`
      : `Then ${opLabel(model, failing)} cannot be linearized: the state could only be ${states} here.`,
  );
  if (candidates.length > 0) {
    const listed = candidates.slice(0, CANDIDATES_MAX).map((op) => `op ${op.id} ${byId.get(op.id)?.text ?? ''}`);
    lines.push(`Ops that could go first instead, none leading to a linearization: ${listed.join(', ')}.`);
  }
  return lines;
}
