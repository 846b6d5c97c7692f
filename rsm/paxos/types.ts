// rsm/paxos/types.ts — Multi-Paxos ballots, values, messages, persisted records and options.
//
// Names follow Lamport, "Paxos Made Simple" (2001): a proposal is a (ballot, value) pair, one
// per slot ("instance" in §3) of the log of commands fed to the state machine.
//
// Durable records (appended in order; a compaction replaces them all with [snap?, promise, accepts]):
//   {t:'promise', ballot}                 the highest prepare request answered (§2.3 phase 1b)
//   {t:'accept', slot, ballot, value}     a proposal accepted in slot (§2.3 phase 2b)
//   {t:'snap', slot, data}                state machine after every chosen value up to slot
// An acceptor "must remember this information even if it fails and then restarts" (§2.3, end):
// the records a reply depends on are in the same Effects as the reply, and the runtime persists
// before it sends. Learned values are not persisted: they are chosen, so a restarted node learns
// them again from the leader (catch-up) or a new leader's phase 1 finds them again.
import type { ClientCommand, NodeId } from '../core/types.ts';
import type { KvSnapshot } from '../kv/state-machine.ts';

/**
 * Ballot: a proposal number. §2.2: "different proposers choose their numbers from disjoint
 * sets", here (round, node) ordered by round then node id. Round 0 is "no ballot yet".
 */
export interface Ballot {
  round: number;
  node: NodeId;
}

/** Value: a client command, or null — the no-op a new leader fills gaps with (§3). */
export type Value = ClientCommand | null;

/** SlotValue: a value at a slot of the log (a Learn entry, a chosen value). */
export interface SlotValue {
  slot: number;
  value: Value;
}

/** AcceptedProposal: what an acceptor accepted in a slot — "the highest-numbered proposal it has accepted". */
export interface AcceptedProposal {
  slot: number;
  ballot: Ballot;
  value: Value;
}

/** SnapshotData: the state machine after applying every chosen value up to slot. */
export interface SnapshotData {
  slot: number;
  data: KvSnapshot;
}

/** Prepare: §2.3 phase 1(a), for every slot from fromSlot on at once (§3: "infinitely many instances"). */
export interface Prepare {
  type: 'Prepare';
  ballot: Ballot;
  fromSlot: number;
}

/**
 * Promise: §2.3 phase 1(b), the promise not to accept proposals numbered below `ballot`, with
 * every proposal accepted at slots ≥ fromSlot. An acceptor that compacted slots the proposer
 * still needs sends its snapshot instead of them (they are chosen).
 */
export interface PromiseReply {
  type: 'Promise';
  ballot: Ballot;
  snapshot: SnapshotData | null;
  accepted: AcceptedProposal[];
}

/** Accept: §2.3 phase 2(a), one slot. */
export interface Accept {
  type: 'Accept';
  ballot: Ballot;
  slot: number;
  value: Value;
}

/** Accepted: §2.3 phase 2(b), sent to the distinguished learner, which is the leader (§2.4). */
export interface Accepted {
  type: 'Accepted';
  ballot: Ballot;
  slot: number;
}

/**
 * Nack: the optimization of §2.3 ("the acceptor should inform the proposer, who should then
 * abandon its proposal"): the request's ballot is below `promised`.
 */
export interface Nack {
  type: 'Nack';
  ballot: Ballot;
  promised: Ballot;
}

/** Learn: §2.4, the distinguished learner tells the other learners which values were chosen. */
export interface Learn {
  type: 'Learn';
  entries: SlotValue[];
}

/** Heartbeat: the leader is alive (§3: electing a leader needs timeouts), and asks how far each learner got. */
export interface Heartbeat {
  type: 'Heartbeat';
  ballot: Ballot;
}

/** HeartbeatReply: how far the follower has learned, so the leader can send what it lacks. */
export interface HeartbeatReply {
  type: 'HeartbeatReply';
  ballot: Ballot;
  learnedThrough: number;
}

/** Snapshot: catch-up of a learner that lags behind the leader's compacted log. */
export interface Snapshot {
  type: 'Snapshot';
  snapshot: SnapshotData;
}

export type PaxosMessage = Prepare | PromiseReply | Accept | Accepted | Nack | Learn | Heartbeat | HeartbeatReply | Snapshot;

export interface PromiseRecord {
  t: 'promise';
  ballot: Ballot;
}

export interface AcceptRecord {
  t: 'accept';
  slot: number;
  ballot: Ballot;
  value: Value;
}

export interface SnapRecord {
  t: 'snap';
  slot: number;
  data: KvSnapshot;
}

export type PaxosRecord = PromiseRecord | AcceptRecord | SnapRecord;

/** Role: a follower only accepts and learns; a candidate runs phase 1; a leader runs phase 2. */
export type Role = 'follower' | 'candidate' | 'leader';

/** PaxosOptions: parsed from CoreConfig.options; see parsePaxosOptions for names and defaults. */
export interface PaxosOptions {
  electionTicksMin: number;
  electionTicksMax: number;
  heartbeatTicks: number;
  snapshotEntries: number;
  maxLearnBatch: number;
}

/** PaxosObserver: optional hooks for tests and tracing; called synchronously, must not throw. */
export interface PaxosObserver {
  /** onAccept sees every proposal this node's acceptor accepts. */
  onAccept?(slot: number, ballot: Ballot, value: Value): void;
  /** onLearn sees every value this node's learner learns, before it is applied. */
  onLearn?(slot: number, value: Value): void;
  /** onLeader sees every phase 1 this node wins. */
  onLeader?(ballot: Ballot): void;
}
