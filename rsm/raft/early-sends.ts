// rsm/raft/early-sends.ts — which raft messages a runtime may send before its pending writes are durable.

/**
 * raftSendsEarly: a leader's AppendEntries and InstallSnapshot depend on nothing that is not
 * yet durable — the term was persisted when the election started, entries may reach followers
 * before the leader's own copy is on disk (Raft thesis §10.2.1), the commit index counts the
 * leader only as far as its log is known durable (RaftCore.durableIndex), and a snapshot holds
 * only committed state. So the runtime sends them at once instead of behind the leader's fsync.
 * Everything else (votes, replies, requests for votes) waits for the writes it depends on.
 */
export function raftSendsEarly(msg: unknown): boolean {
  if (typeof msg !== 'object' || msg === null) return false;
  const type = (msg as { type?: unknown }).type;
  return type === 'AppendEntries' || type === 'InstallSnapshot';
}

/**
 * RAFT_REPLIES_EARLY: every client reply of the raft core may go out at once. An ok reports
 * an entry that is committed — durable on a majority, the leader included only through
 * durableIndex — and a result computed from committed entries alone; reads (log, readindex,
 * lease, any) read the state machine, which holds only committed entries; reject and unknown
 * promise nothing that a crash could undo.
 */
export const RAFT_REPLIES_EARLY = true;
