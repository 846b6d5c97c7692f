// reports/counterexample-view.ts — trim a linearizability failure to what its drawing needs.
import type { LinearizabilityResult, OperationView, PartitionFailure } from '../checker/linearizable/result.ts';
import { round } from './history-data.ts';
import { jsonText } from './timeline-data.ts';

/** PREFIX_SHOWN: linearization points drawn before the failing op (the rest are counted). */
export const PREFIX_SHOWN = 12;

/** CounterexampleOp: one op of the drawing; endS null = never returned (info). */
export interface CounterexampleOp {
  id: number;
  process: string;
  text: string;
  startS: number;
  endS: number | null;
  outcome: 'ok' | 'info';
  failing: boolean;
  /** In the shrunk set of ops that cannot be linearized even on their own (minimalOpIds). */
  inMinimalSet: boolean;
  invokeIndex: number;
  returnIndex: number | null;
  /** The node the op went to (who answered, else who was asked), when the history says. */
  node?: string;
  input: string;
  output: string;
}

/** LinearizationPoint: the k-th op of the longest linearization, where it is drawn, and the state after it. */
export interface LinearizationPoint {
  id: number;
  order: number;
  atS: number;
  stateAfter: string;
}

/** CounterexampleView: one failing key, ready to draw. */
export interface CounterexampleView {
  key: string | null;
  lines: string[];
  statesBefore: string[];
  prefixLength: number;
  partitionOpCount: number;
  ops: CounterexampleOp[];
  points: LinearizationPoint[];
}

function startOf(op: OperationView): number {
  return op.invokeTime !== undefined ? op.invokeTime / 1e9 : op.invokeIndex / 1000;
}

function endOf(op: OperationView): number | null {
  if (op.returnIndex === null) return null;
  return op.returnTime !== undefined ? op.returnTime / 1e9 : op.returnIndex / 1000;
}

/**
 * counterexampleView keeps the failing ops, the concurrent window, the candidates and the last
 * PREFIX_SHOWN steps of the longest linearization. Each step gets a drawn point: the earliest
 * instant after the previous point inside the op's interval, so the points show one order
 * consistent with real time.
 */
export function counterexampleView(failure: PartitionFailure, nodeOf: (invokeIndex: number, returnIndex: number | null) => string | undefined = () => undefined): CounterexampleView {
  const byId = new Map(failure.ops.map((op) => [op.id, op]));
  const failing = new Set(failure.failingOpIds);
  const points: LinearizationPoint[] = [];
  let previousS = -Infinity;
  failure.prefix.forEach((step, k) => {
    const op = byId.get(step.id);
    if (op === undefined) return;
    const end = endOf(op);
    let at = Math.max(previousS, startOf(op));
    if (end !== null && at > end) at = end;
    previousS = at;
    if (k >= failure.prefix.length - PREFIX_SHOWN) points.push({ id: step.id, order: k + 1, atS: round(at, 6), stateAfter: step.stateAfter });
  });
  // results.json is untrusted: an older or odd one may lack minimalOpIds.
  const minimalIds = new Set<number>(Array.isArray(failure.minimalOpIds) ? failure.minimalOpIds : []);
  const shownIds = new Set<number>([...failure.failingOpIds, ...failure.windowIds, ...failure.candidateIds, ...points.map((p) => p.id), ...minimalIds]);
  const ops = [...shownIds]
    .map((id) => byId.get(id))
    .filter((op): op is OperationView => op !== undefined)
    .sort((a, b) => a.invokeIndex - b.invokeIndex)
    .map((op): CounterexampleOp => {
      const end = endOf(op);
      return {
        id: op.id, process: String(op.process), text: op.text, startS: round(startOf(op), 6),
        endS: end === null ? null : round(end, 6), outcome: op.outcome, failing: failing.has(op.id),
        inMinimalSet: minimalIds.has(op.id),
        invokeIndex: op.invokeIndex, returnIndex: op.returnIndex, input: jsonText(op.input), output: jsonText(op.output),
        ...withNode(nodeOf(op.invokeIndex, op.returnIndex)),
      };
    });
  return {
    key: failure.key === undefined ? null : jsonText(failure.key),
    lines: failure.lines,
    statesBefore: failure.statesBefore,
    prefixLength: failure.prefix.length,
    partitionOpCount: failure.partitionOpCount,
    ops,
    points,
  };
}

function withNode(node: string | undefined): { node?: string } {
  return node === undefined ? {} : { node };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * isLinearizabilityResult recognises checker/linearizable's result by its fields, down to each
 * failure's arrays (results.json is untrusted: a malformed one is shown as JSON instead).
 */
export function isLinearizabilityResult(value: Json): boolean {
  if (!(Array.isArray(value.failures) && typeof value.partitions === 'number' && typeof value.model === 'string')) return false;
  return value.failures.every((f: unknown) => isObject(f) && isPartitionFailure(f));
}

function isPartitionFailure(f: Json): boolean {
  const arrays = ['prefix', 'failingOpIds', 'candidateIds', 'statesBefore', 'windowIds', 'ops', 'lines'];
  if (!arrays.every((name) => Array.isArray(f[name]))) return false;
  const ops = f.ops as unknown[];
  const prefix = f.prefix as unknown[];
  return ops.every((op) => isObject(op) && typeof op.id === 'number' && typeof op.invokeIndex === 'number' && typeof op.text === 'string') &&
    prefix.every((step) => isObject(step) && typeof step.id === 'number' && typeof step.stateAfter === 'string');
}

/** summariseLinearizable: the verdict row of a linearizability result. */
export function summariseLinearizable(r: LinearizabilityResult): string {
  const head = `${r.model}: ${r.opCount} ops, ${r.partitionsChecked}/${r.partitions} partitions checked`;
  if (r.failures.length > 0) return `${head}; not linearizable: ${r.failures.map((f) => (f.key === undefined ? 'history' : `key ${JSON.stringify(f.key)}`)).join(', ')}`;
  return r.unknownReason === undefined ? head : `${head}; ${r.unknownReason}`;
}
