// rsm/raft/snapshot.ts — Raft §7 log compaction: taking snapshots and InstallSnapshot.
import type { NodeId } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import type { RaftCore } from './core.ts';
import { snapshotRecord } from './storage.ts';
import type { InstallSnapshot } from './types.ts';

/**
 * maybeSnapshot: once more than snapshotEntries entries were applied since the last snapshot,
 * snapshot the state machine at lastApplied and drop the log up to there (Raft §7). Every node
 * does this on its own; the durable log is replaced in one reset so it stays bounded.
 */
export function maybeSnapshot(core: RaftCore): void {
  if (core.lastApplied - core.log.snapshotIndex <= core.opts.snapshotEntries) return;
  const index = core.lastApplied;
  const term = core.log.term(index);
  assert(term !== undefined, () => `no term at applied index ${index}`);
  core.compactLog(snapshotRecord(index, term, core.sm.snapshot(), core.log.configs.votersAt(index)));
}

/** sendSnapshot: the whole snapshot in one message, which is fine for our state sizes. */
export function sendSnapshot(core: RaftCore, peer: NodeId): void {
  const snap = core.snapshot;
  assert(snap !== null && snap.index === core.log.snapshotIndex, 'a compacted log has its snapshot');
  core.countSnapshotSent();
  core.send(peer, {
    type: 'InstallSnapshot', term: core.term, index: snap.index, snapTerm: snap.term, data: snap.data, conf: snap.conf, round: core.reads.round,
  });
}

/**
 * handleInstallSnapshot (follower side), Raft §7: a snapshot behind our commit index tells us
 * nothing; otherwise replace the state machine, keep the log suffix only if it continues the
 * snapshot, and persist it all in one reset before the reply goes out.
 */
export function handleInstallSnapshot(core: RaftCore, from: NodeId, msg: InstallSnapshot): void {
  assert(core.role === 'follower' && msg.term === core.term, 'InstallSnapshot reaches a follower of its term');
  core.heardFromLeader(from);
  if (msg.index > core.commitIndex) {
    core.installSnapshot(snapshotRecord(msg.index, msg.snapTerm, structuredClone(msg.data), msg.conf ?? core.config.peers));
  }
  // Either way we now hold every entry up to msg.index: it is committed, hence the leader's.
  core.send(from, { type: 'InstallSnapshotReply', term: core.term, matchIndex: msg.index, round: msg.round });
}
