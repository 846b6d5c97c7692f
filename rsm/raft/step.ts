// rsm/raft/step.ts — the per-role message handlers: which rule module answers which message in each role.
import type { NodeId } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import type { RaftCore } from './core.ts';
import { handleRequestVote, handleVoteReply } from './election.ts';
import { noteAck } from './reads.ts';
import { handleAppendEntries, handleAppendReply, handleSnapshotReply } from './replication.ts';
import { handleInstallSnapshot } from './snapshot.ts';
import type { RaftMessage } from './types.ts';

/** answerStale: Raft §5.1, a request from an older term is rejected with our term. */
export function answerStale(core: RaftCore, from: NodeId, msg: RaftMessage): void {
  if (msg.type === 'RequestVote') {
    core.send(from, { type: 'RequestVoteReply', term: core.term, granted: false });
  } else if (msg.type === 'AppendEntries' || msg.type === 'InstallSnapshot') {
    core.send(from, {
      type: 'AppendEntriesReply', term: core.term, success: false, prevIndex: 0, matchIndex: 0,
      conflictIndex: 0, conflictTerm: null, round: 0,
    });
  }
}

/** stepFollower: a follower answers its leader (§5.3, §7) and candidates (§5.2). */
export function stepFollower(core: RaftCore, from: NodeId, msg: RaftMessage): void {
  if (msg.type === 'AppendEntries') handleAppendEntries(core, from, msg);
  else if (msg.type === 'InstallSnapshot') handleInstallSnapshot(core, from, msg);
  else if (msg.type === 'RequestVote') handleRequestVote(core, from, msg);
  // Replies addressed to an earlier role of ours in this term are stale: drop them.
}

/** stepCandidate: a candidate counts votes (§5.2) and yields to a leader of its term. */
export function stepCandidate(core: RaftCore, from: NodeId, msg: RaftMessage): void {
  if (msg.type === 'AppendEntries' || msg.type === 'InstallSnapshot') {
    // Raft §5.2: a candidate that hears from a leader of its term returns to follower.
    core.becomeFollower(msg.term, from);
    stepFollower(core, from, msg);
  } else if (msg.type === 'RequestVote') {
    handleRequestVote(core, from, msg);
  } else if (msg.type === 'RequestVoteReply') {
    handleVoteReply(core, from, msg);
  }
}

/** stepLeader: a leader learns from its followers' replies (§5.3, §7) and refuses votes. */
export function stepLeader(core: RaftCore, from: NodeId, msg: RaftMessage): void {
  if (msg.type === 'AppendEntries' || msg.type === 'InstallSnapshot') {
    // Election Safety says this cannot happen. Only a switched-on bug (e.g. no-persist-vote)
    // makes it possible; then step down and follow, so the damage shows in the history.
    assert(core.bugs.size > 0, () => `two leaders in term ${core.term}: ${core.id} and ${from}`);
    core.becomeFollower(msg.term, from);
    stepFollower(core, from, msg);
  } else if (msg.type === 'AppendEntriesReply') {
    core.tracker.of(from).heard();
    noteAck(core, from, msg.round);
    handleAppendReply(core, from, msg);
  } else if (msg.type === 'InstallSnapshotReply') {
    core.tracker.of(from).heard();
    noteAck(core, from, msg.round);
    handleSnapshotReply(core, from, msg);
  } else if (msg.type === 'RequestVote') {
    handleRequestVote(core, from, msg);
  }
}
