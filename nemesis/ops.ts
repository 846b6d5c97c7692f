// nemesis/ops.ts — the typed shapes of NemesisOp values, validated with zod.
//
// A NemesisOp is { f, value }. Node lists may name `primary`, resolved through /status when
// the op runs. Values that still hold a random choice (a topology without a grudge, a target
// without nodes) are drawn by the Nemesis from its seeded Rng when they run.
import { z } from 'zod';
import type { Grudge } from '../cluster/types.ts';
import type { NemesisOp, NodeTarget, PartitionTopology } from './types.ts';

export const TOPOLOGIES = ['one', 'primary', 'majority', 'random-halves', 'majorities-ring', 'bridge'] as const satisfies readonly PartitionTopology[];
export const TARGETS = ['one', 'minority', 'majority', 'primary', 'all'] as const satisfies readonly NodeTarget[];

/** PRIMARY: the symbolic node name resolved to the current primary/leader when an op runs. */
export const PRIMARY = 'primary';

const nodeList = z.array(z.string().min(1)).min(1, 'expected at least one node');
const grudgeSchema = z.record(z.string(), z.array(z.string().min(1)));

const selector = {
  nodes: nodeList.optional(),
  target: z.enum(TARGETS).optional(),
};
function oneSelector(v: { nodes?: string[]; target?: NodeTarget }): boolean {
  return (v.nodes === undefined) !== (v.target === undefined);
}
const SELECTOR_MESSAGE = 'expected exactly one of nodes (a list) or target (one, minority, majority, primary, all)';

const partitionValue = z
  .strictObject({
    topology: z.enum(TOPOLOGIES).optional(),
    grudge: grudgeSchema.optional(),
    components: z.array(nodeList).min(2, 'expected at least two components').optional(),
  })
  .refine((v) => v.topology !== undefined || v.grudge !== undefined || v.components !== undefined, 'expected one of topology, grudge or components')
  .refine((v) => !(v.grudge !== undefined && v.components !== undefined), 'expected grudge or components, not both');

const selectedValue = z.strictObject(selector).refine(oneSelector, SELECTOR_MESSAGE);
const nodesValue = z.strictObject({ nodes: nodeList.optional() }).optional();
const bumpValue = z.strictObject({ ...selector, deltaMs: z.number().finite() }).refine(oneSelector, SELECTOR_MESSAGE);
const strobeValue = z
  .strictObject({
    ...selector,
    deltaMs: z.number().finite(),
    periodMs: z.number().int().min(1, 'expected at least 1 ms'),
    durationMs: z.number().int().min(1, 'expected at least 1 ms').max(60_000, 'expected at most 60000 ms'),
  })
  .refine(oneSelector, SELECTOR_MESSAGE)
  .refine((v) => v.durationMs / v.periodMs <= 1000, { message: 'expected at most 1000 flips (durationMs / periodMs)', path: ['periodMs'] });

/** nemesisOpSchema validates a NemesisOp; `f` picks the value shape. */
export const nemesisOpSchema = z.discriminatedUnion('f', [
  z.strictObject({ f: z.literal('start-partition'), value: partitionValue }),
  z.strictObject({ f: z.literal('stop-partition'), value: z.undefined().optional() }),
  z.strictObject({ f: z.literal('kill'), value: selectedValue }),
  z.strictObject({ f: z.literal('start'), value: nodesValue }),
  z.strictObject({ f: z.literal('pause'), value: selectedValue }),
  z.strictObject({ f: z.literal('resume'), value: nodesValue }),
  z.strictObject({ f: z.literal('bump-clock'), value: bumpValue }),
  z.strictObject({ f: z.literal('strobe-clock'), value: strobeValue }),
  z.strictObject({ f: z.literal('reset-clock'), value: nodesValue }),
]);

/** NemesisCommand: a validated NemesisOp. */
export type NemesisCommand = z.infer<typeof nemesisOpSchema>;

/** NEMESIS_FS: every `f` a nemesis performs. */
export const NEMESIS_FS: readonly NemesisCommand['f'][] = [
  'start-partition', 'stop-partition', 'kill', 'start', 'pause', 'resume', 'bump-clock', 'strobe-clock', 'reset-clock',
];

/** parseNemesisOp validates an op (dropping atMs), throwing a one-line message naming the bad field. */
export function parseNemesisOp(op: NemesisOp): NemesisCommand {
  const { f, value } = op;
  const result = nemesisOpSchema.safeParse(value === undefined ? { f } : { f, value });
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join('.') : 'op';
    throw new Error(`nemesis op ${JSON.stringify(f)}: ${where}: ${issue.message}`);
  }
  return result.data;
}

/** NemesisOutcome: what an op did, recorded as the completion's value in the history. */
export interface NemesisOutcome {
  /** The nodes the op acted on (for a partition: every node that holds a grudge). */
  nodes: string[];
  topology?: PartitionTopology;
  grudge?: Grudge;
  /** Clock offsets in force on the nodes touched, after the op. */
  offsetsMs?: Record<string, number>;
  /** The primary found through /status, when the op needed it (null: none found). */
  primary?: string | null;
}

/** usesClock tells whether a schedule skews clocks, i.e. whether its cluster needs spec.fakeTime. */
export function usesClock(ops: readonly NemesisOp[]): boolean {
  return ops.some((op) => op.f === 'bump-clock' || op.f === 'strobe-clock' || op.f === 'reset-clock');
}
