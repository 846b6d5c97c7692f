// rsm/raft/term-state.ts — TermState: a node's role, term, vote and known leader, changed only by legal steps.
import type { NodeId } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import type { Role } from './types.ts';

/**
 * LEGAL_ROLE_CHANGES: the roles each role may move to (Raft Figure 4). A follower never leads
 * without an election, and a leader only ever steps down.
 */
const LEGAL_ROLE_CHANGES: Record<Role, readonly Role[]> = {
  follower: ['follower', 'candidate'],
  candidate: ['follower', 'candidate', 'leader'],
  leader: ['follower'],
};

/**
 * TermState keeps Raft Figure 2's currentTerm and votedFor (persistent: the caller persists
 * them whenever a method says they changed), the role, the leader this node follows and, as
 * candidate, the votes granted. Invariants: the term never decreases; one vote per term; a
 * candidate has voted for itself; a leader won a quorum of votes of its term.
 */
export class TermState {
  private roleValue: Role = 'follower';
  private termValue: number;
  private votedForValue: NodeId | null;
  private leaderIdValue: NodeId | null = null;
  private readonly votes = new Set<NodeId>();

  constructor(private readonly id: NodeId, term: number, votedFor: NodeId | null) {
    assert(Number.isSafeInteger(term) && term >= 0, () => `term ${term}`);
    this.termValue = term;
    this.votedForValue = votedFor;
  }

  get role(): Role {
    return this.roleValue;
  }

  get term(): number {
    return this.termValue;
  }

  get votedFor(): NodeId | null {
    return this.votedForValue;
  }

  get leaderId(): NodeId | null {
    return this.leaderIdValue;
  }

  get votesGranted(): number {
    return this.votes.size;
  }

  /**
   * toFollower: legal from every role; Raft §5.1, a higher term is adopted and clears the vote.
   * Returns true when term or vote changed, which the caller must persist.
   */
  toFollower(term: number, leader: NodeId | null): boolean {
    assert(term >= this.termValue, () => `becomeFollower to term ${term} below ${this.termValue}`);
    const changed = term > this.termValue;
    if (changed) {
      this.termValue = term;
      this.votedForValue = null;
    }
    this.become('follower');
    this.leaderIdValue = leader;
    return changed;
  }

  /** toCandidate: Raft §5.2, a new term with a vote for itself (always to be persisted). */
  toCandidate(): void {
    this.become('candidate');
    this.termValue += 1;
    this.votedForValue = this.id;
    this.leaderIdValue = null;
    this.votes.clear();
    this.votes.add(this.id);
  }

  /** toLeader: only a candidate holding a quorum of its term's votes (Raft §5.2). */
  toLeader(quorum: number): void {
    assert(this.votes.size >= quorum, () => `becomeLeader with ${this.votes.size} votes, quorum ${quorum}`);
    this.become('leader');
    this.leaderIdValue = this.id;
  }

  /** recordVote: a candidate counts each granted vote of its term once. */
  recordVote(from: NodeId): void {
    assert(this.roleValue === 'candidate', () => `vote recorded as ${this.roleValue}`);
    this.votes.add(from);
  }

  /** voteFor: Raft §5.2, at most one vote per term. Returns true when the vote is new (persist it). */
  voteFor(candidate: NodeId): boolean {
    assert(this.votedForValue === null || this.votedForValue === candidate, () => `second vote in term ${this.termValue}: ${this.votedForValue}, then ${candidate}`);
    if (this.votedForValue === candidate) return false;
    this.votedForValue = candidate;
    return true;
  }

  /** follow: a follower heard from the leader of its term. */
  follow(leader: NodeId): void {
    assert(this.roleValue === 'follower', () => `heard from leader ${leader} as ${this.roleValue}`);
    this.leaderIdValue = leader;
  }

  /** become is the one place `role` changes; it asserts the change is legal (Raft Figure 4). */
  private become(role: Role): void {
    assert(LEGAL_ROLE_CHANGES[this.roleValue].includes(role), () => `illegal role change ${this.roleValue} → ${role}`);
    this.roleValue = role;
  }
}
