// rsm/raft/reads.ts — the read paths that bypass the log: ReadIndex, leader lease, any-replica.
//
// reads=log sends reads through the log like writes (core.ts). The others:
// - readindex (Raft §8 / thesis §6.4): note readIndex = max(commitIndex, the leader's no-op),
//   confirm leadership with a heartbeat round a majority answers, then serve once applied.
// - lease (thesis §6.4.1): a majority answering a round sent at clock time t keeps everyone
//   else from electing a leader before t + election timeout (see ignoresVoteRequest), so the
//   leader serves locally until t + leaseMs. This trusts bounded clock skew and drift: a leader
//   whose clock runs slow or jumps back keeps "its" lease after a new leader was elected and
//   serves stale reads — exactly what the clock nemesis is meant to catch.
// - any: every replica answers from its own state machine, leader or not: may be stale.
import type { NodeId } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import type { RaftCore } from './core.ts';
import { startRound } from './replication.ts';

/** serveLocalRead answers a read from this replica's state, whatever its role (reads=any). */
export function serveLocalRead(core: RaftCore, reqId: number, key: string): void {
  core.reply({ reqId, outcome: 'ok', result: { type: 'ok', value: structuredClone(core.sm.read(key)) } });
}

/** handleLeaderRead starts a ReadIndex read, or serves it at once under a live lease. */
export function handleLeaderRead(core: RaftCore, reqId: number, key: string): void {
  assert(core.role === 'leader', 'ReadIndex reads start at the leader');
  // The no-op of this term bounds every entry committed by earlier leaders (Leader Completeness).
  const readIndex = Math.max(core.commitIndex, core.reads.termStartIndex);
  if (leaseHolds(core) && core.lastApplied >= readIndex) {
    serveLocalRead(core, reqId, key);
    return;
  }
  startRound(core);
  core.reads.wait({ reqId, key, readIndex, round: core.reads.round });
}

/** noteAck records that a follower answered heartbeat round `round` of this term. */
export function noteAck(core: RaftCore, from: NodeId, round: number): void {
  if (!core.tracker.of(from).ackRound(round)) return;
  if (core.opts.reads !== 'lease') return;
  core.reads.extendLease(confirmedRound(core), core.opts.leaseMs);
}

/** confirmedRound: the highest round a majority (this leader included) has answered. */
function confirmedRound(core: RaftCore): number {
  return core.tracker.quorumRound(core.voters, core.id, core.reads.round, core.quorum);
}

/** leaseHolds: reads=lease and this leader's wall clock is still before the lease expiry. */
function leaseHolds(core: RaftCore): boolean {
  return core.opts.reads === 'lease' && core.reads.leaseHolds(core.config.clock.nowMs());
}

/** servePendingReads answers reads whose round a majority confirmed and whose index is applied. */
export function servePendingReads(core: RaftCore): void {
  if (core.reads.pendingCount === 0) return;
  const confirmed = confirmedRound(core);
  const lease = leaseHolds(core);
  const ready = core.reads.takeReady((read) => (confirmed >= read.round || lease) && core.lastApplied >= read.readIndex);
  for (const read of ready) serveLocalRead(core, read.reqId, read.key);
}

/** failPendingReads: a read never changes state, so one not served is a definite reject. */
export function failPendingReads(core: RaftCore, error: string): void {
  for (const read of core.reads.takeAll()) {
    core.reply({ reqId: read.reqId, outcome: 'reject', error, redirect: null });
  }
}
