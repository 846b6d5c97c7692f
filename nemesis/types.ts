// nemesis/types.ts — the operations a nemesis performs and records in the history; fault kinds live in faults/.

export type { FaultKind } from './faults/registry.ts';
export { FAULT_KINDS } from './faults/registry.ts';

/** PartitionTopology: how nodes are split (Jepsen's nemesis partition shapes). */
export type PartitionTopology = 'one' | 'primary' | 'primary-minority' | 'majority' | 'random-halves' | 'majorities-ring' | 'bridge';

/** NodeTarget: which nodes a kill or pause hits. */
export type NodeTarget = 'one' | 'minority' | 'majority' | 'primary' | 'all';

/**
 * NemesisOp: one step of a schedule. `f` is what goes into the history (start-partition,
 * stop-partition, kill, start, ... — each kind's module in faults/ lists its own), `value`
 * what was asked (topology, target, ms); the completion's value says what was done to which
 * nodes.
 */
export interface NemesisOp {
  f: string;
  value?: unknown;
}

/** ScheduledNemesisOp: a NemesisOp at a time offset from the start of the main phase. */
export interface ScheduledNemesisOp extends NemesisOp {
  atMs: number;
}
