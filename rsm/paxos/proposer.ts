// rsm/paxos/proposer.ts — the distinguished proposer (§3 "The Implementation"): phase 1 once for every open slot, then phase 2 per slot.
import type { NodeId } from '../core/types.ts';
import { compareBallots, sameBallot } from './ballot.ts';
import type { PaxosCore } from './core.ts';
import type { Accepted, AcceptedProposal, Nack, PromiseReply, SnapshotData, Value } from './types.ts';

/** PendingSlot: a proposal of this leader not yet known chosen, with the acceptors that accepted it. */
interface PendingSlot {
  value: Value;
  acks: Set<NodeId>;
}

/** Proposer: the state of one leadership attempt (phase 1) or leadership (phase 2); reset on every new ballot. */
export class Proposer {
  /** fromSlot: the first slot phase 1 asked about (everything below is learned here). */
  fromSlot = 1;
  readonly promises = new Map<NodeId, PromiseReply>();
  readonly pending = new Map<number, PendingSlot>();
  /** nextSlot: where the leader puts the next client command. */
  nextSlot = 1;

  reset(fromSlot: number): void {
    this.fromSlot = fromSlot;
    this.promises.clear();
    this.pending.clear();
    this.nextSlot = fromSlot;
  }
}

/**
 * startPhase1 — §2.3 phase 1(a) for "infinitely many instances" at once (§3): a new ballot
 * above every one seen, and one prepare request for every slot not yet learned here. The
 * node's own acceptor answers first, durably, like any other.
 */
export function startPhase1(core: PaxosCore): void {
  core.becomeCandidate();
  const prepare = { type: 'Prepare' as const, ballot: core.ballot, fromSlot: core.learner.appliedThrough + 1 };
  core.proposer.reset(prepare.fromSlot);
  const promised = core.promise(core.ballot);
  if (promised) handlePromise(core, core.id, structuredClone(core.promiseTo(prepare)));
  for (const peer of core.others) core.send(peer, prepare);
}

/** resendPrepare: a candidate asks the acceptors that have not answered again (messages get lost). */
export function resendPrepare(core: PaxosCore): void {
  const prepare = { type: 'Prepare' as const, ballot: core.ballot, fromSlot: core.proposer.fromSlot };
  for (const peer of core.others) if (!core.proposer.promises.has(peer)) core.send(peer, prepare);
}

/** handlePromise: once a majority promised (§2.3 phase 2(a) "If the proposer receives a response ... from a majority"), lead. */
export function handlePromise(core: PaxosCore, from: NodeId, msg: PromiseReply): void {
  if (core.role !== 'candidate' || !sameBallot(msg.ballot, core.ballot)) return;
  core.proposer.promises.set(from, msg);
  if (core.proposer.promises.size < core.quorum) return;
  core.becomeLeader();
  startPhase2(core);
}

/**
 * startPhase2 — §3: the new leader first catches up from the majority that promised (the
 * freshest snapshot among them), then, for every open slot, proposes the value P2c forces
 * (adoptValues), and fills each slot no acceptor of the majority accepted anything in with a
 * no-op, so the state machine does not wait on a gap (§3: "fill the gap ... by proposing
 * ... a special 'no-op' command").
 */
export function startPhase2(core: PaxosCore): void {
  const promises = [...core.proposer.promises.values()];
  const freshest = freshestSnapshot(promises);
  if (freshest !== null && freshest.slot > core.learner.appliedThrough) core.installSnapshot(structuredClone(freshest));
  const from = core.learner.appliedThrough + 1;
  const adopted = core.bugs.has('ignore-accepted') ? ignoreAccepted(promises, from) : adoptValues(promises, from);
  let last = core.learner.highestKnown();
  for (const slot of adopted.keys()) last = Math.max(last, slot);
  core.proposer.nextSlot = last + 1;
  for (let slot = from; slot <= last; slot += 1) {
    if (core.learner.knows(slot)) continue;
    proposeAt(core, slot, adopted.has(slot) ? (adopted.get(slot) ?? null) : null);
  }
  core.broadcastHeartbeat();
}

/**
 * adoptValues — §2.2 P2c: "for any v and n, if a proposal with value v and number n is issued,
 * then there is a set S consisting of a majority of acceptors such that either (a) no acceptor
 * in S has accepted any proposal numbered less than n, or (b) v is the value of the
 * highest-numbered proposal among all proposals numbered less than n accepted by the acceptors
 * in S." Per slot: the value of the highest-numbered proposal the promising majority accepted.
 */
export function adoptValues(promises: readonly PromiseReply[], from: number): Map<number, Value> {
  const best = new Map<number, AcceptedProposal>();
  for (const promise of promises) {
    for (const p of promise.accepted) {
      if (p.slot < from) continue;
      const prior = best.get(p.slot);
      if (prior === undefined || compareBallots(p.ballot, prior.ballot) > 0) best.set(p.slot, p);
    }
  }
  return new Map([...best].map(([slot, p]) => [slot, p.value]));
}

/** ignoreAccepted — bug `ignore-accepted`: the open slots are found, but their values dropped (no-ops everywhere). */
function ignoreAccepted(promises: readonly PromiseReply[], from: number): Map<number, Value> {
  return new Map([...adoptValues(promises, from).keys()].map((slot) => [slot, null]));
}

function freshestSnapshot(promises: readonly PromiseReply[]): SnapshotData | null {
  let best: SnapshotData | null = null;
  for (const p of promises) if (p.snapshot !== null && (best === null || p.snapshot.slot > best.slot)) best = p.snapshot;
  return best;
}

/** proposeNext: a client command goes to the next free slot (phase 2 only; phase 1 is done for all of them). */
export function proposeNext(core: PaxosCore, value: Value): number {
  const slot = core.proposer.nextSlot;
  core.proposer.nextSlot += 1;
  proposeAt(core, slot, value);
  return slot;
}

/** proposeAt — §2.3 phase 2(a): accept requests to every acceptor, our own first (durably). */
function proposeAt(core: PaxosCore, slot: number, value: Value): void {
  const accepted = core.acceptProposal(core.ballot, slot, value);
  const acks = new Set<NodeId>(accepted ? [core.id] : []);
  core.proposer.pending.set(slot, { value, acks });
  for (const peer of core.others) core.send(peer, { type: 'Accept', ballot: core.ballot, slot, value });
  checkChosen(core, slot);
}

/** resendAccepts: the leader asks again the acceptors that have not answered its open proposals. */
export function resendAccepts(core: PaxosCore, maxSlots: number): void {
  let sent = 0;
  for (const [slot, p] of core.proposer.pending) {
    if (sent >= maxSlots) return;
    sent += 1;
    for (const peer of core.others) if (!p.acks.has(peer)) core.send(peer, { type: 'Accept', ballot: core.ballot, slot, value: p.value });
  }
}

/** handleAccepted: the leader as distinguished learner (§2.4) counts acceptances of its ballot. */
export function handleAccepted(core: PaxosCore, from: NodeId, msg: Accepted): void {
  if (core.role !== 'leader' || !sameBallot(msg.ballot, core.ballot)) return;
  core.noteHeard(from);
  const p = core.proposer.pending.get(msg.slot);
  if (p === undefined) return;
  p.acks.add(from);
  checkChosen(core, msg.slot);
}

/** checkChosen — §2.1/§2.4: "A value is chosen when a single proposal with that value has been accepted by a majority." */
function checkChosen(core: PaxosCore, slot: number): void {
  const p = core.proposer.pending.get(slot);
  if (p === undefined || p.acks.size < core.quorum) return;
  core.proposer.pending.delete(slot);
  core.learn(slot, p.value);
  const learn = { type: 'Learn' as const, entries: [{ slot, value: p.value }] };
  for (const peer of core.others) core.send(peer, learn);
}

/** handleNack — §2.3's optimization: a proposer told of a higher-numbered prepare abandons its ballot. */
export function handleNack(core: PaxosCore, msg: Nack): void {
  // seeBallot steps a candidate or leader down when the promised ballot is above its own.
  core.seeBallot(msg.promised);
}
