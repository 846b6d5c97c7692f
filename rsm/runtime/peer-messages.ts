// rsm/runtime/peer-messages.ts — the shape check a peer message passes before it reaches a core.
//
// Cores trust their messages (a failed assert there is a bug and crashes the node), so a
// malformed message — a missing term, entries that are not entries, a command no state
// machine knows — must be stopped at the runtime's edge: it is dropped and logged, like a
// message lost on the wire. Only the shape is checked: a well-formed message that lies
// (a second leader in a term) is beyond a crash-fault protocol, and its asserts still fire.
// Raft's messages are checked; the other protocols' messages reach their cores as before.
import { parseClientCommand } from './http-api.ts';

/** MessageGuard: why a peer message is malformed, or null when the core may have it. */
export type MessageGuard = (msg: unknown) => string | null;

type Fields = Record<string, unknown>;

const count = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
const isFields = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RAFT_FIELDS: each Raft message's fields and their checks (rsm/raft/types.ts). */
const RAFT_FIELDS: Record<string, Record<string, (v: unknown) => boolean>> = {
  RequestVote: { term: count, lastIndex: count, lastTerm: count },
  RequestVoteReply: { term: count, granted: (v) => typeof v === 'boolean' },
  AppendEntries: { term: count, prevIndex: count, prevTerm: count, entries: (v) => Array.isArray(v), commit: count, round: count },
  AppendEntriesReply: {
    term: count, success: (v) => typeof v === 'boolean', prevIndex: count, matchIndex: count, conflictIndex: count,
    conflictTerm: (v) => v === null || count(v), round: count,
  },
  InstallSnapshot: { term: count, index: count, snapTerm: count, data: isFields, round: count },
  InstallSnapshotReply: { term: count, matchIndex: count, round: count },
};

/** entryError checks one log entry: a term and a client command (or null, a leader's no-op). */
function entryError(entry: unknown, i: number): string | null {
  if (!isFields(entry) || !count(entry.term)) return `entries[${i}] must be {term, cmd}`;
  if (entry.cmd === null) return null;
  try {
    parseClientCommand(entry.cmd);
    return null;
  } catch (err) {
    return `entries[${i}].cmd: ${(err as Error).message}`;
  }
}

/** snapshotError checks a KvSnapshot's outline: data and sessions are lists of [key, value] pairs. */
function snapshotError(data: Fields): string | null {
  const pairs = (v: unknown): boolean => Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string');
  if (!pairs(data.data) || !pairs(data.sessions) || !count(data.appliedIndex)) return 'data must be a snapshot {data, sessions, appliedIndex}';
  return null;
}

/** raftMessageError: the MessageGuard of raft. */
export function raftMessageError(msg: unknown): string | null {
  if (!isFields(msg) || typeof msg.type !== 'string' || !(msg.type in RAFT_FIELDS)) {
    return `expected one of ${Object.keys(RAFT_FIELDS).join(', ')}`;
  }
  for (const [field, ok] of Object.entries(RAFT_FIELDS[msg.type])) {
    if (!ok(msg[field])) return `${msg.type}.${field} is missing or malformed`;
  }
  if (msg.type === 'AppendEntries') {
    for (const [i, entry] of (msg.entries as unknown[]).entries()) {
      const why = entryError(entry, i);
      if (why !== null) return `AppendEntries.${why}`;
    }
  }
  if (msg.type === 'InstallSnapshot') {
    const why = snapshotError(msg.data as Fields);
    if (why !== null) return `InstallSnapshot.${why}`;
  }
  return null;
}

/** messageGuardOf is the guard of a protocol's peer messages, if it has one. */
export function messageGuardOf(protocol: string): MessageGuard | undefined {
  return protocol === 'raft' ? raftMessageError : undefined;
}
