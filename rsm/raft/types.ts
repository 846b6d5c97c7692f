// rsm/raft/types.ts — Raft log entries, messages, persisted records and options.
//
// Durable records (appended in order; a compaction replaces them all with [snap?, hs, ents?]):
//   {t:'hs', term, vote}            currentTerm and votedFor
//   {t:'ents', from, entries}       truncate the log from index `from`, then append `entries`
//   {t:'snap', index, term, data}   state machine snapshot covering the log up to `index`
// Every record a reply depends on is in the same Effects as that reply; the runtime persists
// before it sends, which gives Raft's "respond after updating stable storage" (Figure 2).
// The exceptions depend on no pending write and may leave at once (early-sends.ts): a leader's
// AppendEntries/InstallSnapshot and client replies; the leader learns that its own log is
// durable from a self-ack (RaftCore.durableIndex).
import type { ClientCommand, NodeId } from '../core/types.ts';
import type { KvSnapshot } from '../kv/state-machine.ts';

export type Role = 'follower' | 'candidate' | 'leader';

/**
 * Entry: one log entry; its index is implied by its position. cmd null is a leader's no-op, or,
 * with `conf`, a configuration entry: the voters from this index on (Raft thesis §4.1).
 */
export interface Entry {
  term: number;
  cmd: ClientCommand | null;
  conf?: NodeId[];
}

/** RequestVote: Raft §5.2, with the candidate's last log position for §5.4.1. */
export interface RequestVote {
  type: 'RequestVote';
  term: number;
  lastIndex: number;
  lastTerm: number;
}

export interface RequestVoteReply {
  type: 'RequestVoteReply';
  term: number;
  granted: boolean;
}

/**
 * AppendEntries: Raft §5.3. `round` numbers the leader's heartbeat rounds; the reply echoes it,
 * which is how ReadIndex and lease reads learn that a majority still follows this leader.
 */
export interface AppendEntries {
  type: 'AppendEntries';
  term: number;
  prevIndex: number;
  prevTerm: number;
  entries: Entry[];
  commit: number;
  round: number;
}

/**
 * AppendEntriesReply: on success matchIndex is the last index known to match the leader.
 * On failure conflictIndex/conflictTerm let the leader skip a whole term per round trip
 * (Raft §5.3, end); prevIndex says which probe this answers, so stale replies are ignored.
 */
export interface AppendEntriesReply {
  type: 'AppendEntriesReply';
  term: number;
  success: boolean;
  prevIndex: number;
  matchIndex: number;
  conflictIndex: number;
  conflictTerm: number | null;
  round: number;
}

/** InstallSnapshot: Raft §7, the whole snapshot in one message (our states are small). */
export interface InstallSnapshot {
  type: 'InstallSnapshot';
  term: number;
  index: number;
  snapTerm: number;
  data: KvSnapshot;
  /** conf: the voters at `index` (Raft thesis §4.1); absent means the initial peers. */
  conf?: NodeId[];
  round: number;
}

export interface InstallSnapshotReply {
  type: 'InstallSnapshotReply';
  term: number;
  matchIndex: number;
  round: number;
}

export type RaftMessage =
  | RequestVote | RequestVoteReply | AppendEntries | AppendEntriesReply | InstallSnapshot | InstallSnapshotReply;

/** HardStateRecord: currentTerm and votedFor (Raft Figure 2 "persistent state"). */
export interface HardStateRecord {
  t: 'hs';
  term: number;
  vote: NodeId | null;
}

/** EntriesRecord: truncate the log from index `from`, then append `entries` there. */
export interface EntriesRecord {
  t: 'ents';
  from: number;
  entries: Entry[];
}

/** SnapshotRecord: the state machine after applying every entry up to `index` (of `term`). */
export interface SnapshotRecord {
  t: 'snap';
  index: number;
  term: number;
  data: KvSnapshot;
  /** conf: the voters at `index`; records written before membership changes lack it (the initial peers). */
  conf?: NodeId[];
}

export type RaftRecord = HardStateRecord | EntriesRecord | SnapshotRecord;

export type ReadMode = 'log' | 'readindex' | 'lease' | 'any';

/** RaftOptions: parsed from CoreConfig.options; see parseRaftOptions for names and defaults. */
export interface RaftOptions {
  electionTicksMin: number;
  electionTicksMax: number;
  heartbeatTicks: number;
  snapshotEntries: number;
  maxAppendEntries: number;
  maxInflight: number;
  reads: ReadMode;
  tickMs: number;
  leaseMs: number;
}

/** RaftObserver: optional hooks for tests and tracing; called synchronously, must not throw. */
export interface RaftObserver {
  /** onApply sees every entry the node applies, with the node's term at that moment. */
  onApply?(index: number, entry: Entry, term: number): void;
  /** onLeader sees every election won, as it happens. */
  onLeader?(term: number): void;
}

/** ReplicationState: how the leader sends to one follower (etcd-io/raft's Progress states, see progress.ts). */
export type ReplicationState = 'probe' | 'replicate' | 'snapshot';

/** PendingRead: a ReadIndex/lease read waiting for a quorum round and for the applied index. */
export interface PendingRead {
  reqId: number;
  key: string;
  readIndex: number;
  round: number;
}
