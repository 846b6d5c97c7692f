// nemesis/ops.ts — validating a NemesisOp against its kind's schema, and what an op did.
//
// A NemesisOp is { f, value }. Node lists may name `primary`, resolved through /status when
// the op runs. Values that still hold a random choice (a topology without a grudge, a target
// without nodes) are drawn by the Nemesis from its seeded Rng when they run.
import type { Grudge } from '../cluster/types.ts';
import { clusterNeeds, faultOfF, NEMESIS_FS } from './faults/registry.ts';
import type { NemesisOp, PartitionTopology } from './types.ts';

export { DRAWN_TOPOLOGIES, PRIMARY, TARGETS, TOPOLOGIES } from './faults/shapes.ts';
export { NEMESIS_FS };

/** NemesisCommand: a validated NemesisOp. */
export interface NemesisCommand {
  f: string;
  value?: unknown;
}

/** parseNemesisOp validates an op (dropping atMs), throwing a one-line message naming the bad field. */
export function parseNemesisOp(op: NemesisOp): NemesisCommand {
  const { f, value } = op;
  const kind = faultOfF(f);
  if (kind === undefined) throw new Error(`nemesis op ${JSON.stringify(f)}: f: expected one of ${NEMESIS_FS.join(', ')}`);
  const result = kind.ops[f].schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = ['value', ...issue.path.map(String)].join('.');
    throw new Error(`nemesis op ${JSON.stringify(f)}: ${where}: ${issue.message}`);
  }
  return result.data === undefined ? { f } : { f, value: result.data };
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
  /** Further fields a kind records (the mechanism a packet fault used, ...). */
  [more: string]: unknown;
}

/** usesClock tells whether a schedule skews clocks, i.e. whether its cluster needs spec.fakeTime. */
export function usesClock(ops: readonly NemesisOp[]): boolean {
  return clusterNeeds(ops).fakeTime;
}
