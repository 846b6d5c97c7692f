// rsm/paxos/acceptor-rules.ts — how an acceptor answers prepare and accept requests (§2.3) and a leader's heartbeat.
import type { NodeId } from '../core/types.ts';
import { compareBallots } from './ballot.ts';
import type { PaxosCore } from './core.ts';
import type { Accept, Heartbeat, Prepare, PromiseReply } from './types.ts';

/**
 * handlePrepare — §2.3 phase 1(b). A promise is durable before it is sent (§2.3: "an acceptor
 * must remember this information even if it fails and then restarts"). Its reply carries every
 * proposal accepted at the slots the proposer asks about (§3: one prepare for all instances);
 * slots this acceptor compacted are chosen, so it sends its snapshot for them instead.
 */
export function handlePrepare(core: PaxosCore, from: NodeId, msg: Prepare): void {
  core.seeBallot(msg.ballot);
  if (!core.promise(msg.ballot)) {
    core.send(from, { type: 'Nack', ballot: msg.ballot, promised: core.acceptor.promised });
    return;
  }
  core.send(from, promiseReply(core, msg));
}

/** promiseReply: what this node's acceptor tells the proposer of `msg` (its own proposer included). */
export function promiseReply(core: PaxosCore, msg: Prepare): PromiseReply {
  const snap = core.snapshot;
  const snapshot = snap !== null && snap.slot >= msg.fromSlot ? structuredClone(snap) : null;
  const from = Math.max(msg.fromSlot, core.acceptor.compactedThrough + 1);
  return { type: 'Promise', ballot: msg.ballot, snapshot, accepted: structuredClone(core.acceptor.acceptedFrom(from)) };
}

/**
 * handleAccept — §2.3 phase 2(b) under P1a: accept unless a higher-numbered prepare was
 * answered. The accepted proposal is durable before Accepted leaves; the reply goes to the
 * proposer, which is also the distinguished learner (§2.4).
 */
export function handleAccept(core: PaxosCore, from: NodeId, msg: Accept): void {
  core.seeBallot(msg.ballot);
  if (!core.acceptProposal(msg.ballot, msg.slot, msg.value)) {
    core.send(from, { type: 'Nack', ballot: msg.ballot, promised: core.acceptor.promised });
    return;
  }
  core.followLeader(msg.ballot);
  core.send(from, { type: 'Accepted', ballot: msg.ballot, slot: msg.slot });
}

/** handleHeartbeat: a leader whose ballot we have not promised to ignore is followed; others hear a Nack. */
export function handleHeartbeat(core: PaxosCore, from: NodeId, msg: Heartbeat): void {
  core.seeBallot(msg.ballot);
  if (compareBallots(msg.ballot, core.acceptor.promised) < 0) {
    core.send(from, { type: 'Nack', ballot: msg.ballot, promised: core.acceptor.promised });
    return;
  }
  core.followLeader(msg.ballot);
  core.send(from, { type: 'HeartbeatReply', ballot: msg.ballot, learnedThrough: core.learner.appliedThrough });
}
