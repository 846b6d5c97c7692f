// rsm/raft/election.ts — Raft leader election: campaigns, votes, and the vote-granting rules.
import type { NodeId } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import type { RaftCore } from './core.ts';
import { ignoresDisruptiveVote } from './membership.ts';
import type { RequestVote, RequestVoteReply } from './types.ts';

/** startElection: Raft §5.2, a node whose election timer fired votes for itself in a new term. */
export function startElection(core: RaftCore): void {
  core.becomeCandidate();
  if (core.votesGranted >= core.quorum) {
    core.becomeLeader();
    return;
  }
  const lastIndex = core.log.lastIndex();
  const lastTerm = core.log.lastTerm();
  // Raft thesis §4.1: a candidate asks the voters of its latest configuration.
  for (const peer of core.voters) {
    if (peer === core.id) continue;
    core.send(peer, { type: 'RequestVote', term: core.term, lastIndex, lastTerm });
  }
}

/**
 * handleRequestVote grants at most one vote per term (Raft §5.2) and only to a candidate whose
 * log is at least as up-to-date as ours (Raft §5.4.1). The vote is persisted in the same Effects
 * as the reply, and the runtime persists before it sends: durable before anyone relies on it.
 */
export function handleRequestVote(core: RaftCore, from: NodeId, msg: RequestVote): void {
  assert(msg.term === core.term, () => `vote request of term ${msg.term} reached term ${core.term}`);
  const free = core.votedFor === null || core.votedFor === from;
  const upToDate = core.log.isUpToDate(msg.lastIndex, msg.lastTerm);
  const granted = free && upToDate;
  if (granted) {
    core.voteFor(from);
    // Granting a vote restarts the timer, so this node does not compete with the candidate.
    core.resetElectionTimer();
  }
  core.send(from, { type: 'RequestVoteReply', term: core.term, granted });
}

/** handleVoteReply counts votes of the current term; a majority makes the candidate leader. */
export function handleVoteReply(core: RaftCore, from: NodeId, msg: RequestVoteReply): void {
  assert(core.role === 'candidate' && msg.term === core.term, 'vote reply outside a campaign of this term');
  if (!msg.granted) return;
  core.recordVote(from);
  if (core.votesGranted >= core.quorum) core.becomeLeader();
}

/**
 * ignoresVoteRequest: only with reads=lease. Raft §6 (and §9.6 of Ongaro's thesis): a server
 * that heard from a current leader less than the minimum election timeout ago ignores a
 * RequestVote of a higher term, and a leader ignores it outright. A leader lease depends on
 * this: a follower that acked a heartbeat sent at time t helps elect nobody before
 * t + electionTicksMin ticks, so the old leader may serve reads until t + leaseMs.
 * A node restarted from its records cannot know whom it acked before the crash, so it also
 * waits out one minimum election timeout after restart before voting.
 * Without leases we skip the rule, which keeps elections quicker after partitions.
 */
export function ignoresVoteRequest(core: RaftCore): boolean {
  if (core.opts.reads !== 'lease') return ignoresDisruptiveVote(core);
  if (core.role === 'leader') return true;
  if (core.timers.ticksSinceStart < core.opts.electionTicksMin) return true;
  return core.leaderId !== null && core.timers.electionElapsed < core.opts.electionTicksMin;
}
