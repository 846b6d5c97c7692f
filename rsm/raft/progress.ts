// rsm/raft/progress.ts — FollowerProgress: what a leader knows of one follower, with its own state machine.
//
// After etcd-io/raft's tracker.Progress. Raft Figure 2 gives the leader nextIndex and matchIndex
// per follower; how it sends to the follower is a small state machine of its own:
// - probe: the follower's log end is unknown; one AppendEntries at a time from nextIndex.
// - replicate: the last probe succeeded; entries are pipelined, nextIndex moves on when they are
//   sent (not when acked), with at most maxInflight messages unanswered.
// - snapshot: the entries it needs are compacted; an InstallSnapshot is on its way (Raft §7).
// Transitions: any state → probe or snapshot; probe or snapshot → replicate. Invariant:
// matchIndex < nextIndex (what the follower is known to hold ends before what we send next).
import type { NodeId } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import type { ReplicationState } from './types.ts';

/** LEGAL_FROM: the states each state may be entered from. */
const LEGAL_FROM: Record<ReplicationState, readonly ReplicationState[]> = {
  probe: ['probe', 'replicate', 'snapshot'],
  replicate: ['probe', 'snapshot'],
  snapshot: ['probe', 'replicate', 'snapshot'],
};

export class FollowerProgress {
  private nextIndex: number;
  private matchIndex = 0;
  private ackedRoundValue = 0;
  /** silentTicks: leader ticks since this follower last answered in this term (never: Infinity). */
  private silentTicksValue = Number.POSITIVE_INFINITY;
  private stateValue: ReplicationState = 'probe';
  /** inflight: the last index of each unanswered AppendEntries carrying entries (replicate). */
  private inflight: number[] = [];
  private probeSentValue = false;

  /** A new leader knows nothing of the follower: it probes from its own log end (Raft §5.3). */
  constructor(readonly peer: NodeId, nextIndex: number) {
    assert(Number.isSafeInteger(nextIndex) && nextIndex >= 1, () => `progress of ${peer}: next ${nextIndex}`);
    this.nextIndex = nextIndex;
  }

  /** next: Raft Figure 2 nextIndex, the index of the next entry to send. */
  get next(): number {
    return this.nextIndex;
  }

  /** match: Raft Figure 2 matchIndex, the highest index known replicated on the follower. */
  get match(): number {
    return this.matchIndex;
  }

  get state(): ReplicationState {
    return this.stateValue;
  }

  /** ackedRound: the highest heartbeat round this follower has answered in this term. */
  get ackedRound(): number {
    return this.ackedRoundValue;
  }

  /** silentTicks: how many leader ticks ago this follower last answered (Infinity: not in this term). */
  get silentTicks(): number {
    return this.silentTicksValue;
  }

  /** probeSent: a probe is unanswered; further probes wait for its reply or the heartbeat. */
  get probeSent(): boolean {
    return this.probeSentValue;
  }

  /** inflightCount: unanswered AppendEntries carrying entries (the pipeline's depth). */
  get inflightCount(): number {
    return this.inflight.length;
  }

  /** become moves to a replication state, forgetting what was in flight; asserts legality. */
  become(state: ReplicationState): void {
    assert(LEGAL_FROM[state].includes(this.stateValue), () => `progress of ${this.peer}: ${this.stateValue} → ${state} is not a legal transition`);
    this.stateValue = state;
    this.inflight = [];
    this.probeSentValue = false;
  }

  /** markProbeSent: in probe state one AppendEntries is outstanding until answered. */
  markProbeSent(): void {
    assert(this.stateValue === 'probe', () => `progress of ${this.peer}: probe sent in ${this.stateValue}`);
    this.probeSentValue = true;
  }

  /** sentUpTo: in replicate state nextIndex moves past what was just sent (pipelining). */
  sentUpTo(lastIndex: number): void {
    assert(this.stateValue === 'replicate', () => `progress of ${this.peer}: pipelined send in ${this.stateValue}`);
    assert(lastIndex >= this.nextIndex, () => `progress of ${this.peer}: sent up to ${lastIndex}, next ${this.nextIndex}`);
    this.inflight.push(lastIndex);
    this.nextIndex = lastIndex + 1;
    this.checkInvariant();
  }

  /** matched: the follower holds everything up to index; match only grows, next stays beyond it. */
  matched(index: number): void {
    if (index > this.matchIndex) this.matchIndex = index;
    if (this.nextIndex <= this.matchIndex) this.nextIndex = this.matchIndex + 1;
    this.checkInvariant();
  }

  /** freeInflight: AppendEntries ending at or below match are answered, so they leave the pipeline. */
  freeInflight(): void {
    while (this.inflight.length > 0 && this.inflight[0] <= this.matchIndex) this.inflight.shift();
  }

  /**
   * backUpTo: after a rejection, nextIndex moves to `next`, the backtracking target (bounded by
   * the rejected prevIndex, not always below the current nextIndex). If that is at or below match,
   * the follower lost entries it had acknowledged — only possible when durability is broken
   * (the runtime's no-fsync bug) — so match is forgotten down to next - 1 and this returns true.
   */
  backUpTo(next: number): boolean {
    assert(Number.isSafeInteger(next) && next >= 1, () => `progress of ${this.peer}: back up to ${next}`);
    this.nextIndex = next;
    const lostMatch = next <= this.matchIndex;
    if (lostMatch) this.matchIndex = next - 1;
    this.checkInvariant();
    return lostMatch;
  }

  /** heard: the follower answered just now. */
  heard(): void {
    this.silentTicksValue = 0;
  }

  /** countSilence: one more leader tick passed. */
  countSilence(): void {
    this.silentTicksValue += 1;
  }

  /** ackRound records an answer to heartbeat round `round`; false when it says nothing new. */
  ackRound(round: number): boolean {
    if (round <= this.ackedRoundValue) return false;
    this.ackedRoundValue = round;
    return true;
  }

  private checkInvariant(): void {
    assert(this.matchIndex < this.nextIndex, () => `progress of ${this.peer}: match ${this.matchIndex} not below next ${this.nextIndex}`);
  }
}

/**
 * ProgressTracker: the leader's FollowerProgress for every peer, and the quorum questions
 * asked of them. Empty unless this node leads.
 */
export class ProgressTracker {
  private readonly byPeer = new Map<NodeId, FollowerProgress>();

  /** reset starts a leadership: every follower is probed from nextIndex (Raft §5.3). */
  reset(peers: readonly NodeId[], nextIndex: number): void {
    this.byPeer.clear();
    for (const peer of peers) this.byPeer.set(peer, new FollowerProgress(peer, nextIndex));
  }

  /** restart: a server joining as a learner is probed afresh from nextIndex (Raft thesis §4.2.1). */
  restart(peer: NodeId, nextIndex: number): void {
    assert(this.byPeer.has(peer), () => `no progress for ${peer}`);
    this.byPeer.set(peer, new FollowerProgress(peer, nextIndex));
  }

  clear(): void {
    this.byPeer.clear();
  }

  /** countSilence: one leader tick passed for every follower. */
  countSilence(): void {
    for (const pr of this.byPeer.values()) pr.countSilence();
  }

  /** of returns a follower's progress; asking for one this leader does not track is a bug. */
  of(peer: NodeId): FollowerProgress {
    const pr = this.byPeer.get(peer);
    assert(pr !== undefined, () => `no progress for ${peer}`);
    return pr;
  }

  /** view: read-only access for status and tests. */
  view(): ReadonlyMap<NodeId, FollowerProgress> {
    return this.byPeer;
  }

  /**
   * quorumMatch: the highest index held by a quorum of `voters`, counting the leader (when it
   * is a voter) with selfIndex (how far its own log is durable, see RaftCore.durableIndex).
   */
  quorumMatch(voters: readonly NodeId[], self: NodeId, selfIndex: number, quorum: number): number {
    return kthLargest(voters.map((v) => (v === self ? selfIndex : this.of(v).match)), quorum);
  }

  /** quorumRound: the highest heartbeat round a quorum of `voters` answered, the leader (at selfRound) included. */
  quorumRound(voters: readonly NodeId[], self: NodeId, selfRound: number, quorum: number): number {
    return kthLargest(voters.map((v) => (v === self ? selfRound : this.of(v).ackedRound)), quorum);
  }
}

/** kthLargest sorts `values` (a handful: one per voter) descending in place by insertion, cheaper than sort() with a comparator on every commit check. */
function kthLargest(values: number[], k: number): number {
  assert(k >= 1 && k <= values.length, () => `quorum ${k} of ${values.length}`);
  for (let i = 1; i < values.length; i += 1) {
    const v = values[i];
    let j = i - 1;
    for (; j >= 0 && values[j] < v; j -= 1) values[j + 1] = values[j];
    values[j + 1] = v;
  }
  return values[k - 1];
}
