// nemesis/faults/fault.ts — FaultModule: everything one fault kind is, in one place (draw, YAML, apply/heal, words).
//
// A fault kind is one module under nemesis/faults/ exporting a FaultModule, plus one line in
// registry.ts. The schedule, the YAML loader, the Nemesis, the runner's heal phase and the
// report all go through the registry, so none of them names a kind.
import type { z } from 'zod';
import type { Cluster, ClusterKind, ClusterSpec, MemberChange, PacketBehaviour } from '../../cluster/types.ts';
import type { Rng } from '../../lib/rng.ts';
import type { NemesisOutcome } from '../ops.ts';
import type { NemesisOp, NodeTarget, PartitionTopology } from '../types.ts';

/** DrawOptions: what a kind's random draw may pick from (from the combined schedule's options). */
export interface DrawOptions {
  /** Replicas: what kill, pause, clock and packet targets pick from. */
  nodes: readonly string[];
  /** What partitions split; default `nodes`. */
  partitionNodes?: readonly string[];
  topologies?: readonly PartitionTopology[];
  targets?: readonly NodeTarget[];
  /** Largest clock bump or strobe, in ms; default 2000. */
  skewMsMax?: number;
  /** Packet behaviours the cluster can do (draws pick only these); default all. */
  packetBehaviours?: readonly PacketBehaviour[];
}

/** FaultOpSpec: one `f` of a kind: the schema of its value and whether it opens or closes the fault. */
export interface FaultOpSpec {
  /** Validates the op's value (undefined when the op takes none). */
  schema: z.ZodType;
  role: 'open' | 'close';
}

/** YamlEntry: one `do:` of the schedule file: its keys (besides at and do) and the op it becomes. */
export interface YamlEntry {
  fields: z.ZodRawShape;
  /**
   * toOp maps a validated entry onto the op the Nemesis performs; `fail(message)` throws the
   * file's error (naming file:line and entry) for rules across keys ("exactly one of ...").
   */
  toOp(entry: Record<string, unknown>, fail: (message: string) => never): NemesisOp;
}

/** Selected: the nodes an op acts on and the primary looked up to choose them, if any. */
export interface Selected {
  nodes: string[];
  primary?: string | null;
}

/** FaultContext: what the Nemesis gives a kind's session: the cluster and shared lookups. */
export interface FaultContext {
  readonly cluster: Cluster;
  readonly rng: Rng;
  /** Nodes partition topologies split (the view server included). */
  readonly partitionNodes: readonly string[];
  /** Nodes kill, pause, clock and packet targets pick from (replicas). */
  readonly targetNodes: readonly string[];
  requirePrimary(): Promise<string>;
  /** select resolves explicit nodes (`primary` substituted) or draws a target. */
  select(v: { nodes?: string[]; target?: NodeTarget }): Promise<Selected>;
  /** checkNode throws naming the node unless the cluster has it. */
  checkNode(node: string): void;
  /** sleepMs waits inside a fault (strobe flips) on the run's clock: real time, or a simulator's virtual time. */
  sleepMs(ms: number): Promise<unknown>;
  /** isDown: the node is killed (not running); kept by the kill kind, read by others. */
  isDown(node: string): boolean;
  /** markDown/markUp: the kill kind reports processes it stopped or restarted; sessions hear it through onDown. */
  markDown(node: string): void;
  markUp(node: string): void;
  /** changeMembership asks the group (its leader) to add or remove one server; resolves with the voters after it. */
  changeMembership(change: MemberChange): Promise<{ voters: string[] }>;
}

/** FaultSession: one kind's state within one Nemesis: performs its ops, knows what is in force. */
export interface FaultSession {
  /** perform carries out one of the kind's ops (value already validated by its schema). */
  perform(f: string, value: unknown): Promise<NemesisOutcome>;
  /** healOps: the ops that undo everything of this kind still in force (in order), [] when nothing is. */
  healOps(): NemesisOp[];
  /** inForce: the kind's faults in force as plain fields, merged into Nemesis.faults(). */
  inForce(): Record<string, unknown>;
  /** describe: the faults in force as short phrases for the progress line. */
  describe(): string[];
  /** onDown: a node was killed (its process, and whatever this kind did to it, is gone). */
  onDown?(node: string): void;
}

/** FaultWords: a kind's look in the report. */
export interface FaultReport {
  /** The legend label ("network partition"). */
  label: string;
  /** The colour of its intervals (#rrggbb). */
  color: string;
  /** words says what one of its ops did, from the invoke's value and the completion's value (if any). */
  words(f: string, invoke: unknown, outcome: unknown): string;
}

/**
 * ServerSetCapability: what a system must do to survive a fault that changes who its servers
 * are. `reconfigure`: the group changes its own membership on request (raft, POST
 * /admin/membership). `fresh-server`: a server may come back with an empty disk and be
 * recruited as new (the view service's state transfer); any other system would take it for a
 * server with amnesia, a fault it does not claim to survive.
 */
export type ServerSetCapability = 'reconfigure' | 'fresh-server';

/** ServerSetChange: a kind that changes who the servers are: what it asks of the system, and where it can be applied. */
export interface ServerSetChange {
  needs: ServerSetCapability;
  /** The cluster kinds that can apply it (what the kind's cluster machinery reaches). */
  clusters: readonly ClusterKind[];
}

/** FaultModule: one fault kind. `K` is its --nemesis name. */
export interface FaultModule<K extends string = string> {
  kind: K;
  /** One line for --help and the README fault table. */
  summary: string;
  /** Every `f` the kind performs. */
  ops: Record<string, FaultOpSpec>;
  /** draw: one opening op and the op that undoes it, for the combined schedule. */
  draw(o: DrawOptions, rng: Rng): [NemesisOp, NemesisOp];
  /** Every `do:` the schedule file accepts for this kind. */
  yaml: Record<string, YamlEntry>;
  /** yamlOf: an op of this kind as a schedule-file entry (without at) — the inverse of yaml[do].toOp. */
  yamlOf(op: NemesisOp): Record<string, unknown>;
  /** Op value fields named differently in the file (deltaMs → ms), so errors name the file's key. */
  yamlKeys?: Record<string, string>;
  /** nodeNames: the node names an op mentions, by the file key that holds them (checked against the cluster). */
  nodeNames?(value: unknown): Array<[key: string, names: string[]]>;
  /** session makes this kind's state for one Nemesis. */
  session(ctx: FaultContext): FaultSession;
  /** Heal order across kinds: lower heals first (the network before processes before clocks). */
  healRank: number;
  /** clusterNeeds: what the cluster must be started with when a schedule holds these ops of the kind. */
  clusterNeeds?(ops: readonly NemesisOp[]): Partial<Pick<ClusterSpec, 'fakeTime' | 'lazyDisk' | 'dataFiles'>>;
  /**
   * changesServers: set when the kind changes who the servers are (absent: every system takes
   * it, on every cluster kind that has its machinery). A Db offers such a kind only if it has the capability.
   */
  changesServers?: ServerSetChange;
  report: FaultReport;
}
