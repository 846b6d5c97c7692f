// rsm/runtime/peer-messages.ts — the shape every protocol's peer messages must have before they reach a core.
//
// Cores trust their messages (a failed assert there is a bug and crashes the node), so a
// malformed message — a missing term, entries that are not entries, a command no state
// machine knows, a view naming a stranger — is stopped at the runtime's edge: it is dropped
// and logged, like a message lost on the wire. Each table below is typed against its
// protocol's message type (shape-checks.ts), so a field added there does not compile until
// it is checked here. Only the shape is checked; what a well-formed message may still do to
// a core is each protocol's business (README "Limits": lies of the crash-fault model).
import type { KvResult, NodeId } from '../core/types.ts';
import type { KvSnapshot } from '../kv/state-machine.ts';
import type { AsyncBackupMessage, ReplicatedUpdate as AsyncBackupEntry } from '../async-backup/core.ts';
import type { PrimaryBackupMessage } from '../primary-backup/core.ts';
import type { AcceptedProposal, Ballot, PaxosMessage, SlotValue, SnapshotData } from '../paxos/types.ts';
import type { Entry as RaftEntry, RaftMessage } from '../raft/types.ts';
import type { GossipMessage } from '../gossip/core.ts';
import type { Entry as GossipEntry } from '../gossip/store.ts';
import type { View, ViewServiceMessage } from '../viewservice/messages.ts';
import { PROTOCOL_NAMES, isProtocolName } from '../protocols.ts';
import { parseClientCommand } from './http-api.ts';
import {
  anyJson, arrayOf, bool, count, fields, nullable, oneOf, optional, replicaId, str, tuple,
  type Check, type VariantChecks,
} from './shape-checks.ts';

/** MessageGuard: why a peer message is malformed, or null when the core may have it. */
export type MessageGuard = (msg: unknown) => string | null;

/** clientCommand: a command as the HTTP API would accept it (one home: parseClientCommand). */
const clientCommand: Check = (v, at) => {
  try {
    parseClientCommand(v);
    return null;
  } catch (err) {
    return `${at}: ${(err as Error).message}`;
  }
};

/** stamp: a Lamport stamp [clock, node id] (rsm/gossip). */
const stamp = tuple(count, str);

const kvResult = oneOf<KvResult>({ ok: { value: optional(anyJson), stamp: optional(nullable(stamp)) }, fail: { error: str } });

const kvSnapshot = fields<KvSnapshot>({
  data: arrayOf(tuple(str, anyJson)),
  sessions: arrayOf(tuple(str, fields<KvSnapshot['sessions'][number][1]>({ seq: count, result: kvResult }))),
  appliedIndex: count,
});

const raftEntry = fields<RaftEntry>({ term: count, cmd: nullable(clientCommand), conf: optional(arrayOf(replicaId)) });

const RAFT = {
  RequestVote: { term: count, lastIndex: count, lastTerm: count },
  RequestVoteReply: { term: count, granted: bool },
  AppendEntries: { term: count, prevIndex: count, prevTerm: count, entries: arrayOf(raftEntry), commit: count, round: count },
  AppendEntriesReply: {
    term: count, success: bool, prevIndex: count, matchIndex: count, conflictIndex: count, conflictTerm: nullable(count), round: count,
  },
  InstallSnapshot: { term: count, index: count, snapTerm: count, data: kvSnapshot, conf: optional(arrayOf(replicaId)), round: count },
  InstallSnapshotReply: { term: count, matchIndex: count, round: count },
} satisfies VariantChecks<RaftMessage>;

const ballot = fields<Ballot>({ round: count, node: replicaId });
const paxosValue = nullable(clientCommand);
const PAXOS = {
  Prepare: { ballot, fromSlot: count },
  Promise: {
    ballot,
    snapshot: nullable(fields<SnapshotData>({ slot: count, data: kvSnapshot })),
    accepted: arrayOf(fields<AcceptedProposal>({ slot: count, ballot, value: paxosValue })),
  },
  Accept: { ballot, slot: count, value: paxosValue },
  Accepted: { ballot, slot: count },
  Nack: { ballot, promised: ballot },
  Learn: { entries: arrayOf(fields<SlotValue>({ slot: count, value: paxosValue })) },
  Heartbeat: { ballot },
  HeartbeatReply: { ballot, learnedThrough: count },
  Snapshot: { snapshot: fields<SnapshotData>({ slot: count, data: kvSnapshot }) },
} satisfies VariantChecks<PaxosMessage>;

const PRIMARY_BACKUP = {
  forward: { forwardId: count, command: clientCommand },
  'forward-ack': { forwardId: count },
} satisfies VariantChecks<PrimaryBackupMessage>;

const ASYNC_BACKUP = {
  replicate: { epoch: count, entries: arrayOf(fields<AsyncBackupEntry>({ seq: count, command: clientCommand })) },
  'replicate-ack': { epoch: count, seq: nullable(count) },
  snapshot: { epoch: count, seq: count, snapshot: kvSnapshot },
} satisfies VariantChecks<AsyncBackupMessage>;

/** versionVector: per origin replica, the highest sequence number covered. */
const versionVector = arrayOf(tuple(replicaId, count));

const GOSSIP = {
  digest: { vv: versionVector },
  updates: { entries: arrayOf(fields<GossipEntry>({ key: str, value: anyJson, stamp, seq: count })), vv: versionVector, replyWanted: bool },
} satisfies VariantChecks<GossipMessage>;

/** view: what the view server decides — a primary of the group unless none yet, and a different backup. */
const view = fields<View>({ viewnum: count, primary: nullable(replicaId), backup: nullable(replicaId) }, (v) => {
  if (v.primary === null) return v.backup === null ? null : 'a view with a backup has a primary';
  return v.primary === v.backup ? 'the primary is not also the backup' : null;
});

/** VIEW_SERVICE: both roles speak it (the view server drops what is not a ping or its group's Raft). */
const VIEW_SERVICE = {
  ping: { viewnum: count, synced: bool },
  view: { view },
  'not-leader': { leader: nullable(str) },
  raft: { msg: oneOf<RaftMessage>(RAFT) },
  transfer: { viewnum: count, stream: str, snapshot: kvSnapshot },
  'transfer-ack': { viewnum: count, stream: str },
  forward: { viewnum: count, stream: str, index: count, command: clientCommand },
  'forward-ack': { viewnum: count, stream: str, index: count, result: kvResult },
  'forward-reject': { view, stream: str, index: count, reason: str, needTransfer: bool },
} satisfies VariantChecks<ViewServiceMessage>;

/** MESSAGES: each protocol's message checks; single and naive nodes exchange none, so every message is refused. */
const MESSAGES: Readonly<Record<string, Check>> = {
  single: oneOf<never>({}),
  naive: oneOf<never>({}),
  'primary-backup': oneOf<PrimaryBackupMessage>(PRIMARY_BACKUP),
  'async-backup': oneOf<AsyncBackupMessage>(ASYNC_BACKUP),
  viewservice: oneOf<ViewServiceMessage>(VIEW_SERVICE),
  viewserver: oneOf<ViewServiceMessage>(VIEW_SERVICE),
  raft: oneOf<RaftMessage>(RAFT),
  gossip: oneOf<GossipMessage>(GOSSIP),
  paxos: oneOf<PaxosMessage>(PAXOS),
};

/**
 * messageGuardOf is the guard of a protocol's peer messages at a node whose group is
 * `replicas` (CoreConfig.peers). Every protocol of the registry has one; an unknown protocol is
 * a programming error.
 */
export function messageGuardOf(protocol: string, replicas: readonly NodeId[]): MessageGuard {
  if (!isProtocolName(protocol)) throw new Error(`messageGuardOf: unknown protocol ${JSON.stringify(protocol)}`);
  if (!Object.hasOwn(MESSAGES, protocol)) {
    const have = PROTOCOL_NAMES.filter((p) => Object.hasOwn(MESSAGES, p));
    throw new Error(`messageGuardOf: protocol ${protocol} has no message checks in rsm/runtime/peer-messages.ts (have ${have.join(', ')})`);
  }
  const check = MESSAGES[protocol];
  const ctx = { replicas: new Set(replicas) };
  return (msg) => check(msg, '', ctx);
}
