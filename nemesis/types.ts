// nemesis/types.ts — fault kinds and the operations a nemesis performs and records in the history.

/** FaultKind: the families of faults a schedule can combine. */
export type FaultKind = 'partition' | 'kill' | 'pause' | 'clock';

export const FAULT_KINDS: readonly FaultKind[] = ['partition', 'kill', 'pause', 'clock'];

/** PartitionTopology: how nodes are split (Jepsen's nemesis partition shapes). */
export type PartitionTopology = 'one' | 'primary' | 'majority' | 'random-halves' | 'majorities-ring' | 'bridge';

/** NodeTarget: which nodes a kill or pause hits. */
export type NodeTarget = 'one' | 'minority' | 'majority' | 'primary' | 'all';

/**
 * NemesisOp: one step of a schedule. `f` is what goes into the history (start-partition,
 * stop-partition, kill, start, pause, resume, bump-clock, strobe-clock, reset-clock), `value`
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
