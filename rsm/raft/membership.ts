// rsm/raft/membership.ts — Raft single-server membership changes (Ongaro's thesis, chapter 4).
//
// One server is added or removed at a time (§4.1), so any majority of the old configuration
// overlaps any majority of the new one. A configuration entry takes effect on every server as
// soon as it is appended (config-log.ts), committed or not. The rules, each by its name:
// - oneChangeAtATime (§4.1): no new change while the latest configuration entry is uncommitted,
//   nor before this leader has committed an entry of its own term (the fix Ongaro posted to
//   raft-dev in 2015 for a leader change in the middle of a change);
// - catchUpRounds (§4.2.1): a new server first replicates as a non-voting learner; it becomes a
//   voter only once a round of replication finishes within an election timeout;
// - stepDownIfRemoved (§4.2.2): a leader removed from the configuration keeps leading (without
//   counting itself in majorities) until the entry commits, then steps down;
// - ignoresDisruptiveVote (§4.2.3): a server that heard from a current leader within the minimum
//   election timeout ignores RequestVote, so a removed server timing out cannot depose anyone;
// - keepsLiveMajority (§4.2.4, the availability argument: the cluster stays available only while
//   a majority of the new configuration is): a leader refuses a change whose new configuration
//   lacks a majority of servers it heard from within an election timeout (etcd's
//   strict-reconfig-check). Without it, removing n3 from {n1,n2,n3} while n1 is down appends
//   {n1,n2}, which can neither commit nor, once its leader is lost, elect anyone until n1 returns.
import type { ClientReply, MembershipChange, NodeId } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import type { RaftCore } from './core.ts';
import { broadcastAppend, sendAppend } from './replication.ts';

export type { MembershipChange };

/** CATCH_UP_ROUNDS_MAX: §4.2.1 suggests a fixed number of rounds (10) before giving up. */
export const CATCH_UP_ROUNDS_MAX = 10;

interface CatchUp {
  reqId: number;
  node: NodeId;
  /** roundEnd: the leader's last index when this round began; the round ends once the learner holds it. */
  roundEnd: number;
  roundTicks: number;
  rounds: number;
}

/** ChangeState: the leader's membership change in progress: a learner catching up, or an entry appended. */
export class ChangeState {
  catchUp: CatchUp | null = null;
  appended: { reqId: number; index: number } | null = null;

  /** learner: the server being caught up as a non-voting member (§4.2.1), if any. */
  get learner(): NodeId | null {
    return this.catchUp?.node ?? null;
  }

  /** abandon: a leader that steps down answers the change; an appended entry may still commit. */
  abandon(): ClientReply[] {
    const replies: ClientReply[] = [];
    if (this.catchUp !== null) replies.push({ reqId: this.catchUp.reqId, outcome: 'reject', error: 'leadership lost while the new server caught up', redirect: null });
    if (this.appended !== null) replies.push({ reqId: this.appended.reqId, outcome: 'unknown', error: 'leadership lost before the configuration committed' });
    this.catchUp = null;
    this.appended = null;
    return replies;
  }
}

/** isVoter: the server is in the latest configuration of its own log (§4.1). */
export function isVoter(core: RaftCore, id: NodeId = core.id): boolean {
  return core.log.configs.voters().includes(id);
}

/** replicationPeers: a leader replicates to the voters and to the learner catching up (§4.2.1). */
export function replicationPeers(core: RaftCore): NodeId[] {
  const peers = core.log.configs.voters().filter((p) => p !== core.id);
  const learner = core.changes.learner;
  if (learner !== null && !peers.includes(learner)) peers.push(learner);
  return peers;
}

/** handleMembershipRequest: a leader starts one change; anything else is refused (certainly not applied). */
export function handleMembershipRequest(core: RaftCore, reqId: number, change: MembershipChange): void {
  const refuse = (error: string): void => core.reply({ reqId, outcome: 'reject', error, redirect: core.leaderId });
  if (core.role !== 'leader') return refuse(`not the leader (${core.role})`);
  if (!core.config.peers.includes(change.node)) return refuse(`unknown server ${change.node}`);
  // A lease counts on the voters of the heartbeat it was granted by; changing them mid-lease is not modelled.
  if (core.opts.reads === 'lease') return refuse('membership changes are refused with reads=lease');
  const why = oneChangeAtATime(core);
  if (why !== null) return refuse(why);
  const voters = core.log.configs.voters();
  if ((change.op === 'add') === voters.includes(change.node)) {
    // Already so: answer as done, so a nemesis retrying after an unknown outcome converges.
    core.reply({ reqId, outcome: 'ok', result: { type: 'ok', value: [...voters] } });
    return;
  }
  if (change.op === 'remove') {
    if (voters.length === 1) return refuse('cannot remove the last voter');
    const unavailable = keepsLiveMajority(core, voters.filter((v) => v !== change.node));
    if (unavailable !== null) return refuse(`removing ${change.node} ${unavailable}`);
    appendConfiguration(core, reqId, voters.filter((v) => v !== change.node));
    return;
  }
  // A leader outside its configuration (removed, not yet committed) holds its own log: no catch-up.
  if (change.node === core.id) return appendConfiguration(core, reqId, [...voters, core.id]);
  core.changes.catchUp = { reqId, node: change.node, roundEnd: core.log.lastIndex(), roundTicks: 0, rounds: 1 };
  core.tracker.restart(change.node, core.log.lastIndex() + 1);
  sendAppend(core, change.node, true);
}

/** oneChangeAtATime (§4.1): why a new change must wait, or null when it may start. */
function oneChangeAtATime(core: RaftCore): string | null {
  if (core.changes.catchUp !== null) return 'a new server is catching up (one change at a time, Raft thesis §4.1)';
  // Bug two-changes: a second change starts while the first is uncommitted. Two single-server
  // steps are one two-server step, and {n1,n2,n3} → {n1,n2} → {n1} lets n1 alone commit while
  // n2 and n3, still on the first configuration, elect a leader of their own.
  if (core.bugs.has('two-changes')) return null;
  if (core.changes.appended !== null || core.log.configs.latestIndex() > core.commitIndex) {
    return 'the latest configuration is not committed yet (one change at a time, Raft thesis §4.1)';
  }
  if (core.log.term(core.commitIndex) !== core.term && !core.bugs.has('two-changes')) return 'this leader has not committed an entry of its term yet (Raft thesis §4.1)';
  return null;
}

/**
 * keepsLiveMajority (Raft thesis §4.2.4): why `next` would leave the cluster unavailable, or null
 * when a majority of it is live: this leader, and followers that answered within the minimum
 * election timeout in this term. An added server is checked by its catch-up rounds instead
 * (§4.2.1), so only removals ask.
 */
export function keepsLiveMajority(core: RaftCore, next: readonly NodeId[]): string | null {
  const live = next.filter((v) => v === core.id || core.tracker.of(v).silentTicks < core.opts.electionTicksMin);
  const majority = Math.floor(next.length / 2) + 1;
  if (live.length >= majority) return null;
  const silent = next.filter((v) => !live.includes(v));
  return `would leave voters ${next.join(',')} with ${live.length} live of the ${majority} a majority needs (${silent.join(',')} not heard from within an election timeout; Raft thesis §4.2.4)`;
}

/** appendConfiguration: the new configuration takes effect on the leader as it appends it (§4.1). */
function appendConfiguration(core: RaftCore, reqId: number, voters: readonly NodeId[]): void {
  const ordered = core.config.peers.filter((p) => voters.includes(p));
  core.appendEntry({ term: core.term, cmd: null, conf: ordered });
  core.changes.appended = { reqId, index: core.log.lastIndex() };
  broadcastAppend(core);
}

/**
 * catchUpRounds (§4.2.1): each round replicates what the leader held when it began. When a
 * round ends within an election timeout the learner is close enough to join without stalling
 * commits; after CATCH_UP_ROUNDS_MAX rounds, or a round lasting many timeouts (the new server
 * is down), the change is refused.
 */
export function catchUpRounds(core: RaftCore): void {
  const c = core.changes.catchUp;
  if (c === null || core.role !== 'leader') return;
  const pr = core.tracker.of(c.node);
  if (pr.match < c.roundEnd) {
    if (c.roundTicks > 10 * core.opts.electionTicksMax) refuseCatchUp(core, c, `${c.node} did not catch up (no progress for ${c.roundTicks} ticks)`);
    return;
  }
  if (c.roundTicks <= core.opts.electionTicksMin) {
    core.changes.catchUp = null;
    appendConfiguration(core, c.reqId, [...core.log.configs.voters(), c.node]);
    return;
  }
  if (c.rounds >= CATCH_UP_ROUNDS_MAX) return refuseCatchUp(core, c, `${c.node} did not catch up in ${CATCH_UP_ROUNDS_MAX} rounds (Raft thesis §4.2.1)`);
  core.changes.catchUp = { ...c, roundEnd: core.log.lastIndex(), roundTicks: 0, rounds: c.rounds + 1 };
}

/** tickCatchUp: a leader tick counts toward the round in progress. */
export function tickCatchUp(core: RaftCore): void {
  if (core.changes.catchUp !== null) core.changes.catchUp.roundTicks += 1;
}

function refuseCatchUp(core: RaftCore, c: CatchUp, error: string): void {
  core.changes.catchUp = null;
  core.reply({ reqId: c.reqId, outcome: 'reject', error, redirect: null });
}

/** configurationApplied: the change's entry committed and applied; its requester is told the voters. */
export function configurationApplied(core: RaftCore, index: number, voters: readonly NodeId[]): void {
  const a = core.changes.appended;
  if (a === null || a.index !== index) return;
  core.changes.appended = null;
  core.reply({ reqId: a.reqId, outcome: 'ok', result: { type: 'ok', value: [...voters] } });
}

/** stepDownIfRemoved (§4.2.2): once the configuration without this leader commits, it steps down. */
export function stepDownIfRemoved(core: RaftCore): void {
  if (core.role !== 'leader' || isVoter(core)) return;
  if (core.log.configs.latestIndex() > core.commitIndex) return;
  assert(core.changes.appended === null, 'the change removing this leader was answered when it applied');
  core.becomeFollower(core.term, null);
}

/**
 * ignoresDisruptiveVote (§4.2.3): once membership has changed, a server that heard from a
 * current leader less than the minimum election timeout ago (or leads itself) ignores a
 * RequestVote of a higher term: a removed server that times out cannot raise everyone's term.
 * Clusters that never changed membership keep the paper's elections (and their seeds' schedules).
 */
export function ignoresDisruptiveVote(core: RaftCore): boolean {
  if (!core.log.configs.changed()) return false;
  if (core.role === 'leader') return true;
  return core.leaderId !== null && core.timers.electionElapsed < core.opts.electionTicksMin;
}
