// rsm/raft/events.ts — what a raft message says happened at its sender, for an observer of the wire (the simulator's reactive nemesis).
import type { ProtocolEvent } from '../core/types.ts';

/**
 * raftEventOf: a granted RequestVoteReply means its sender just voted (and, persist-then-send,
 * has written its vote); an AppendEntries means its sender leads that term — the first one a
 * node sends in a term follows its election at once (the no-op goes out in the same step); a
 * RequestVote means its sender is a candidate of that term (it persisted term and self-vote first).
 */
export function raftEventOf(msg: unknown): ProtocolEvent | null {
  if (typeof msg !== 'object' || msg === null) return null;
  const m = msg as { type?: unknown; term?: unknown; granted?: unknown };
  if (typeof m.term !== 'number') return null;
  if (m.type === 'RequestVoteReply' && m.granted === true) return { kind: 'voted', term: m.term };
  if (m.type === 'AppendEntries') return { kind: 'leads', term: m.term };
  if (m.type === 'RequestVote') return { kind: 'campaigns', term: m.term };
  return null;
}
