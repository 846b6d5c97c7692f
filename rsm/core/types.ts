// rsm/core/types.ts — the contract between sans-I/O protocol cores and the runtimes that drive them.
//
// A core is a deterministic object: the runtime feeds it ticks, peer messages and client
// requests, and carries out the Effects it returns — persist first, then send and reply.
// Cores never touch sockets, files, timers, Date.now or Math.random: Clock and Rng come in.

import type { Clock } from '../../lib/clock.ts';
import type { Rng } from '../../lib/rng.ts';

export type NodeId = string;

/**
 * MicroOp: one step of a transaction, Jepsen/Elle shape. `r` carries null in requests. `cas`
 * carries [expected, new]: when any cas of a transaction finds another value, the whole
 * transaction is a definite fail and none of its writes happen (conditional multi-key writes,
 * e.g. a bank transfer).
 */
export type MicroOp =
  | ['append', string, unknown]
  | ['r', string, unknown]
  | ['w', string, unknown]
  | ['cas', string, [unknown, unknown]];

/** KvCommand: what a client asks the key-value state machine to do. */
export type KvCommand =
  | { kind: 'read'; key: string }
  | { kind: 'write'; key: string; value: unknown }
  | { kind: 'cas'; key: string; expected: unknown; value: unknown }
  | { kind: 'txn'; ops: MicroOp[] };

/** ClientCommand: a command with the client id and sequence number used for deduplication. */
export interface ClientCommand {
  clientId: string;
  seq: number;
  cmd: KvCommand;
}

/** Stamp: a Lamport stamp (clock, node id) that orders writes last-writer-wins (rsm/gossip). */
export type Stamp = [number, NodeId];

/**
 * KvResult: what the state machine answered. `fail` means applied-without-effect and
 * definite (cas compare failed); the client maps it to a Jepsen `fail`. `stamp`: the version
 * of the value a gossip replica wrote or read (null: the key was never written); other
 * protocols order writes by their log and give none.
 */
export type KvResult = { type: 'ok'; value?: unknown; stamp?: Stamp | null } | { type: 'fail'; error: string };

/** ClientRequest: a client command as handed to a core; reqId is the runtime's handle. */
export interface ClientRequest {
  reqId: number;
  command: ClientCommand;
}

/**
 * ClientReply completes a ClientRequest:
 * - ok: applied, with the state machine's result (which may itself be a definite cas fail);
 * - reject: certainly not applied (not primary/leader, wrong view, backup); `redirect` names
 *   who the core believes should be asked instead;
 * - unknown: may or may not be applied (e.g. leadership lost after proposing).
 */
export type ClientReply =
  | { reqId: number; outcome: 'ok'; result: KvResult }
  | { reqId: number; outcome: 'reject'; error: string; redirect?: NodeId | null }
  | { reqId: number; outcome: 'unknown'; error: string };

/** PersistOp: append one record to the durable log, or replace the whole log (compaction). */
export type PersistOp = { kind: 'append'; record: unknown } | { kind: 'reset'; records: unknown[] };

/** Effects: what a core asks its runtime to do; persist happens before send and reply. */
export interface Effects<M> {
  persist: PersistOp[];
  send: Array<{ to: NodeId; msg: M }>;
  reply: ClientReply[];
}

/**
 * ProtocolEvent: what one outgoing peer message says its sender just did, as an observer of the
 * wire reads it (rsm/protocols.ts eventOf): `voted` — granted a vote in `term`; `leads` — acts as
 * the leader of `term`; `campaigns` — asks for votes in `term`. The simulator's reactive nemesis
 * times faults to these.
 */
export interface ProtocolEvent {
  kind: 'voted' | 'leads' | 'campaigns';
  term: number;
}

/**
 * SafetyViolation: one breach of a protocol's own safety property, seen by an oracle that
 * watches every core of a simulated cluster (rsm/protocols.ts safetyOracleOf): which property,
 * when (virtual ms since the world started) and, in words, who did what.
 */
export interface SafetyViolation {
  property: string;
  atMs: number;
  message: string;
}

/** SafetyOracle: watches each core a simulated node builds and keeps the violations it saw, in order. */
export interface SafetyOracle {
  /** watch: `core` is node `node`'s new incarnation (a restart builds a new core). */
  watch(node: NodeId, core: ProtocolCore): void;
  readonly violations: readonly SafetyViolation[];
}

/** NodeStatus: what GET /status shows. */
export interface NodeStatus {
  id: NodeId;
  protocol: string;
  role: string;
  /** The view number (view service) or the term (raft), when the protocol has one. */
  view?: number;
  term?: number;
  /** Who this node believes is primary/leader; null when it does not know. */
  primary?: NodeId | null;
  appliedIndex: number;
  [extra: string]: unknown;
}

/** CoreConfig: everything a core needs at construction. */
export interface CoreConfig {
  id: NodeId;
  /** Every replica of the group, including this one, in a fixed order. */
  peers: NodeId[];
  /** The view server's id, for the viewservice protocol. */
  viewServer?: NodeId;
  /**
   * Every view-server node when the view server is replicated (--viewserver-replicas N), in a
   * fixed order; absent means the one viewServer.
   */
  viewServers?: NodeId[];
  clock: Clock;
  rng: Rng;
  /** Protocol options (e.g. reads: 'log' | 'readindex' | 'lease' | 'any'). */
  options: Record<string, string>;
  /** Named bugs switched on with --bug. */
  bugs: ReadonlySet<string>;
}

/** MembershipChange: add or remove one server of the group (Raft thesis §4.1: one at a time). */
export interface MembershipChange {
  op: 'add' | 'remove';
  node: NodeId;
}

/** ProtocolCore: the sans-I/O state machine of one replica (or of the view server). */
export interface ProtocolCore<M = unknown> {
  readonly id: NodeId;
  /** tick advances logical time by one tick (the runtime maps ticks to ms). */
  tick(): Effects<M>;
  /** step handles one message from a peer. */
  step(from: NodeId, msg: M): Effects<M>;
  /** request handles one client request. */
  request(req: ClientRequest): Effects<M>;
  status(): NodeStatus;
  /** changeMembership (optional, raft): start a membership change; answered by a ClientReply with reqId. */
  changeMembership?(reqId: number, change: MembershipChange): Effects<M>;
}

/** CoreFactory builds a core from its config and the records replayed from its durable log. */
export type CoreFactory<M = unknown> = (config: CoreConfig, restored: unknown[]) => ProtocolCore<M>;

/** noEffects returns an empty Effects value to fill in. */
export function noEffects<M>(): Effects<M> {
  return { persist: [], send: [], reply: [] };
}
