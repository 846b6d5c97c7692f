// nemesis/faults/shapes.ts — the value and YAML shapes several fault kinds share (node lists, targets, durations).
import { z } from 'zod';
import type { NemesisOutcome } from '../ops.ts';
import type { NodeTarget, PartitionTopology } from '../types.ts';

export const TOPOLOGIES = ['one', 'primary', 'primary-minority', 'majority', 'random-halves', 'majorities-ring', 'bridge'] as const satisfies readonly PartitionTopology[];
/**
 * DRAWN_TOPOLOGIES: the ones random schedules draw. primary-minority is for schedule files only
 * (examples/zoo/): drawing it too would change every seeded random schedule.
 */
export const DRAWN_TOPOLOGIES: readonly PartitionTopology[] = TOPOLOGIES.filter((t) => t !== 'primary-minority');
export const TARGETS = ['one', 'minority', 'majority', 'primary', 'all'] as const satisfies readonly NodeTarget[];

/** PRIMARY: the symbolic node name resolved to the current primary/leader when an op runs. */
export const PRIMARY = 'primary';

// ---- op values (what the Nemesis validates) ----

export const nodeList = z.array(z.string().min(1)).min(1, 'expected at least one node');

/** selector: an op acts on explicit nodes or on a target drawn when it runs. */
export const selector = {
  nodes: nodeList.optional(),
  target: z.enum(TARGETS).optional(),
};

/** oneSelector: exactly one of nodes or target is given. */
export function oneSelector(v: { nodes?: string[]; target?: NodeTarget }): boolean {
  return (v.nodes === undefined) !== (v.target === undefined);
}
export const SELECTOR_MESSAGE = 'expected exactly one of nodes (a list) or target (one, minority, majority, primary, all)';

export const selectedValue = z.strictObject(selector).refine(oneSelector, SELECTOR_MESSAGE);
/** nodesValue: an undo op's optional node list (default: every node the kind faulted). */
export const nodesValue = z.strictObject({ nodes: nodeList.optional() }).optional();
/** noValue: an op that takes no value. */
export const noValue = z.undefined();

// ---- schedule-file keys (what the YAML loader validates, with the file's wording) ----

/** parseDurationMs reads "5s", "500ms", "1.5m" or a bare number of seconds; null if malformed. */
export function parseDurationMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v * 1000) : null;
  if (typeof v !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(v);
  if (m === null) return null;
  const scale = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000;
  return Math.round(Number(m[1]) * scale);
}

/** msText: a duration in ms as the file writes it ("250ms"), the inverse of parseDurationMs. */
export function msText(ms: number): string {
  return `${ms}ms`;
}

export const DURATION_HINT = 'expected a duration like 5s, 500ms or 1.5m';
export const fileDuration = z.custom<string | number>((v) => parseDurationMs(v) !== null, { message: DURATION_HINT });
/** filePositiveDuration: a period or length; 0 would make the op do nothing at all. */
export const filePositiveDuration = z.custom<string | number>((v) => (parseDurationMs(v) ?? 0) > 0, { message: 'expected a duration above 0, like 50ms or 1s' });
export const fileNodes = z.array(z.string().min(1), { message: 'expected a list of node names' }).min(1, 'expected at least one node');
export const fileTarget = z.enum(TARGETS, { message: `expected one of ${TARGETS.join(', ')}` });
export const fileMs = z.number({ message: 'expected a number of milliseconds' }).finite();

/** fileSelector: the file's nodes | target keys. */
export const fileSelector = { nodes: fileNodes.optional(), target: fileTarget.optional() };

/** pickSelector: the entry's nodes or target, failing unless exactly one is given. */
export function pickSelector(name: string, e: Record<string, unknown>, fail: (message: string) => never): { nodes: unknown } | { target: unknown } {
  if ((e.nodes === undefined) === (e.target === undefined)) fail(`do: ${name} expects exactly one of nodes or target`);
  return e.nodes !== undefined ? { nodes: e.nodes } : { target: e.target };
}

/** optionalNodesOp: an undo op with the entry's nodes, if any. */
export function optionalNodesOp(f: string, e: Record<string, unknown>): { f: string; value?: unknown } {
  return e.nodes === undefined ? { f } : { f, value: { nodes: e.nodes } };
}

/** record reads an op value as a plain object ({} for anything else). */
export function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** strings keeps the strings of a list ([] for anything else). */
export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** selectorYaml: an op value's nodes or target as file keys. */
export function selectorYaml(value: unknown): Record<string, unknown> {
  const v = record(value);
  return v.nodes !== undefined ? { nodes: v.nodes } : v.target !== undefined ? { target: v.target } : {};
}

/** nodesOf names the nodes an op acted on: its outcome's, else those asked, else its target. */
export function nodesOf(invoke: unknown, outcome: unknown): string {
  const nodes = strings(record(outcome).nodes);
  const asked = strings(record(invoke).nodes);
  const target = record(invoke).target;
  const list = nodes.length > 0 ? nodes : asked;
  if (list.length > 0) return list.join(' ');
  return typeof target === 'string' ? `(${target})` : '(none)';
}

/** withPrimary adds the primary looked up for an op to its outcome. */
export function withPrimary(outcome: NemesisOutcome, primary: string | null | undefined): NemesisOutcome {
  if (primary !== undefined) outcome.primary = primary;
  return outcome;
}
