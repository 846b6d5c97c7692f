// rsm/raft/replication.ts — Raft log replication: AppendEntries on both sides, and commitment.
import type { NodeId } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import type { RaftCore } from './core.ts';
import { replicationPeers } from './membership.ts';
import { sendSnapshot } from './snapshot.ts';
import { entriesOp } from './storage.ts';
import type { AppendEntries, AppendEntriesReply, Entry, InstallSnapshotReply } from './types.ts';

/** startRound begins a heartbeat round: numbered, time-stamped, sent to every follower. */
export function startRound(core: RaftCore): void {
  assert(core.role === 'leader', 'only a leader starts heartbeat rounds');
  core.reads.startRound(core.config.clock.nowMs());
  broadcastAppend(core, true);
}

/**
 * broadcastAppend sends every follower what it lacks. A heartbeat reaches every follower (an
 * empty AppendEntries if there is nothing new); otherwise followers with nothing new, a probe
 * unanswered or a full pipeline are skipped — their entries go with the next reply or round.
 */
export function broadcastAppend(core: RaftCore, heartbeat = false): void {
  for (const peer of replicationPeers(core)) sendAppend(core, peer, heartbeat);
}

/**
 * sendAppend sends one AppendEntries from the follower's nextIndex, or a snapshot if compacted.
 * In replicate state nextIndex advances past what was sent, so the next proposal sends only the
 * new entries (pipelining); proposals that arrive while maxInflight messages are unanswered
 * wait and leave together with the next reply, which batches them.
 */
export function sendAppend(core: RaftCore, peer: NodeId, heartbeat = false): void {
  const pr = core.tracker.of(peer);
  if (pr.next <= core.log.snapshotIndex) {
    // Raft §7: the entries this follower needs are gone; send the snapshot instead, at most
    // once per heartbeat while it is unanswered.
    if (pr.state === 'snapshot' && !heartbeat) return;
    pr.become('snapshot');
    sendSnapshot(core, peer);
    return;
  }
  if (pr.state === 'snapshot') pr.become('probe');
  let entriesMax = core.opts.maxAppendEntries;
  if (pr.state === 'probe') {
    if (pr.probeSent && !heartbeat) return;
    pr.markProbeSent();
  } else if (pr.inflightCount >= core.opts.maxInflight || pr.next > core.log.lastIndex()) {
    if (!heartbeat) return;
    // A heartbeat at nextIndex-1: if pipelined messages were lost, the follower rejects it
    // and the leader falls back to probing.
    entriesMax = 0;
  }
  const prevIndex = pr.next - 1;
  const prevTerm = core.log.term(prevIndex);
  assert(prevTerm !== undefined, () => `no term at ${prevIndex}`);
  const to = Math.min(core.log.lastIndex() + 1, pr.next + entriesMax);
  const msg: AppendEntries = {
    type: 'AppendEntries', term: core.term, prevIndex, prevTerm,
    entries: core.log.slice(pr.next, to), commit: core.commitIndex, round: core.reads.round,
  };
  core.send(peer, msg);
  if (pr.state === 'replicate' && to > pr.next) pr.sentUpTo(to - 1);
}

/**
 * handleAppendEntries (follower side). Raft §5.3: reject unless the log holds prevIndex with
 * prevTerm (the consistency check that gives Log Matching); then delete any conflicting suffix
 * and append what is new. A rejection carries conflictIndex/conflictTerm (§5.3, end).
 */
export function handleAppendEntries(core: RaftCore, from: NodeId, msg: AppendEntries): void {
  assert(core.role === 'follower' && msg.term === core.term, 'AppendEntries reaches a follower of its term');
  core.heardFromLeader(from);
  let { prevIndex, prevTerm, entries } = msg;
  if (prevIndex < core.log.snapshotIndex) {
    // Entries up to our snapshot are committed, so they equal the leader's: skip them.
    const skip = Math.min(entries.length, core.log.snapshotIndex - prevIndex);
    entries = suffix(entries, skip);
    prevIndex += skip;
    if (skip > 0) prevTerm = msg.entries[skip - 1].term;
    if (prevIndex < core.log.snapshotIndex) {
      replyAppend(core, from, msg, { success: true, matchIndex: core.log.snapshotIndex });
      return;
    }
  }
  if (prevIndex > core.log.lastIndex()) {
    replyAppend(core, from, msg, { success: false, conflictIndex: core.log.lastIndex() + 1, conflictTerm: null });
    return;
  }
  const myTerm = core.log.term(prevIndex) as number;
  if (myTerm !== prevTerm) {
    const conflictIndex = core.log.firstIndexOfTerm(myTerm, prevIndex);
    replyAppend(core, from, msg, { success: false, conflictIndex: Math.max(conflictIndex, core.commitIndex + 1), conflictTerm: myTerm });
    return;
  }
  if (core.bugs.has('no-truncate')) appendSkippingHeld(core, prevIndex, entries);
  else appendTruncatingConflicts(core, prevIndex, entries);
  const matchIndex = prevIndex + entries.length;
  // Raft Figure 2: commitIndex = min(leaderCommit, index of last new entry).
  const commit = Math.min(msg.commit, matchIndex);
  if (commit > core.commitIndex) core.log.commitTo(commit);
  replyAppend(core, from, msg, { success: true, matchIndex });
}

/**
 * suffix: entries[from..] as a new array, copied in a loop rather than by slice: a received
 * message's entries may be frozen (the simulator freezes what it delivers, cluster/sim/immutable.ts),
 * and V8 slices a frozen array on its generic slow path, ~15× slower (4% of a simulated run).
 */
function suffix(entries: readonly Entry[], from: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i < entries.length; i += 1) out.push(entries[i]);
  return out;
}

/** appendTruncatingConflicts: Raft §5.3 rule 3 and 4, never touching entries that match. */
function appendTruncatingConflicts(core: RaftCore, prevIndex: number, entries: Entry[]): void {
  for (let k = 0; k < entries.length; k += 1) {
    const index = prevIndex + 1 + k;
    const held = core.log.term(index);
    if (held === entries[k].term) continue;
    // A stale or reordered message must not shorten the log: only a real conflict truncates,
    // and never at a committed index (RaftLog.truncateFrom asserts it).
    const rest = suffix(entries, k);
    core.log.truncateFrom(index);
    core.log.append(rest);
    core.persist(entriesOp(index, rest));
    return;
  }
}

/**
 * appendSkippingHeld is bug `no-truncate`: it trusts that any entry already held at an index
 * matches the leader's and appends only past the end. It passes every test in which the
 * follower's log is a prefix of the leader's; when a deposed leader's uncommitted entries sit
 * at those indexes they stay, and the follower applies commands the cluster never committed.
 */
function appendSkippingHeld(core: RaftCore, prevIndex: number, entries: Entry[]): void {
  const skip = Math.max(0, core.log.lastIndex() - prevIndex);
  if (skip >= entries.length) return;
  const rest = suffix(entries, skip);
  const from = core.log.lastIndex() + 1;
  core.log.append(rest, false);
  core.persist(entriesOp(from, rest));
}

function replyAppend(
  core: RaftCore, to: NodeId, msg: AppendEntries,
  result: { success: boolean; matchIndex?: number; conflictIndex?: number; conflictTerm?: number | null },
): void {
  core.send(to, {
    type: 'AppendEntriesReply', term: core.term, success: result.success, prevIndex: msg.prevIndex,
    matchIndex: result.matchIndex ?? 0, conflictIndex: result.conflictIndex ?? 0,
    conflictTerm: result.conflictTerm ?? null, round: msg.round,
  });
}

/** handleAppendReply (leader side): advance match/next, or back up past the conflict. */
export function handleAppendReply(core: RaftCore, from: NodeId, msg: AppendEntriesReply): void {
  const pr = core.tracker.of(from);
  if (msg.success) {
    if (msg.matchIndex > core.log.lastIndex()) {
      // Only a second leader in our term (a switched-on bug) can have sent what this answers.
      assert(core.bugs.size > 0, () => `${from} matched ${msg.matchIndex} beyond our log`);
      return;
    }
    if (pr.state === 'probe' && msg.matchIndex >= pr.next - 1) pr.become('replicate');
    pr.matched(msg.matchIndex);
    pr.freeInflight();
    // A server removed from the configuration (a late reply) is not sent more (Raft thesis §4.2.2).
    if (!replicationPeers(core).includes(from)) return;
    // Send more only when something is new or room opened up; bounded by the log, so no ping-pong.
    sendAppend(core, from);
    return;
  }
  // A rejection answers the probe at prevIndex; if we probe elsewhere by now it is stale. In
  // replicate state one below what the follower is known to hold is stale too.
  if (pr.state === 'snapshot') return;
  if (pr.state === 'probe' && msg.prevIndex !== pr.next - 1) return;
  if (pr.state === 'replicate' && msg.prevIndex < pr.match) return;
  pr.become('probe');
  if (pr.backUpTo(backtrack(core, msg))) {
    // The follower lost entries it had acknowledged: only possible when durability is broken
    // (the runtime's no-fsync bug). Its match is forgotten so replication can repair it; the
    // next probe is left to the heartbeat so a diverged follower cannot make us spin.
    return;
  }
  sendAppend(core, from);
}

/**
 * backtrack: Raft §5.3 (end). With conflictTerm, skip to just after our last entry of that term
 * if we have one, else to the first index the follower holds of it; without, to its log end.
 */
function backtrack(core: RaftCore, msg: AppendEntriesReply): number {
  let next = msg.conflictIndex;
  if (msg.conflictTerm !== null) {
    const ours = core.log.lastIndexOfTerm(msg.conflictTerm);
    if (ours > 0) next = ours + 1;
  }
  // Always move strictly backwards, so the probe terminates; never below index 1.
  return Math.max(1, Math.min(next, msg.prevIndex));
}

/** handleSnapshotReply: the follower now holds everything up to the snapshot's index. */
export function handleSnapshotReply(core: RaftCore, from: NodeId, msg: InstallSnapshotReply): void {
  const pr = core.tracker.of(from);
  pr.matched(msg.matchIndex);
  if (pr.state === 'snapshot' && pr.next > core.log.snapshotIndex) pr.become('replicate');
  if (!replicationPeers(core).includes(from)) return;
  sendAppend(core, from);
}

/**
 * advanceCommit: Raft §5.4.2, the leader commits the highest index stored on a majority, but
 * only if that entry is of its current term; earlier entries then commit with it (Log Matching).
 */
export function advanceCommit(core: RaftCore): void {
  // The leader counts itself only as far as its own log is durable (see RaftCore.durableIndex).
  // Raft thesis §4.2.2: a leader outside the configuration it leads does not count itself.
  const majorityIndex = core.tracker.quorumMatch(core.voters, core.id, core.durableIndex, core.quorum);
  if (majorityIndex <= core.commitIndex) return;
  if (core.bugs.has('commit-old-term')) {
    // Bug commit-old-term: "a majority has it, so it is committed" — true of entries of the
    // leader's own term only. An old-term entry counted this way can still be overwritten by a
    // leader elected without it (Raft Figure 8), after clients were told it succeeded.
    core.log.commitTo(majorityIndex);
    return;
  }
  if (core.log.term(majorityIndex) === core.term) core.log.commitTo(majorityIndex);
}
