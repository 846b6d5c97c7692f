// rsm/paxos/acceptor.ts — the acceptor's state and its two rules, Lamport §2.3 phase 1(b) and 2(b).
import { assert } from '../../lib/assert.ts';
import { compareBallots, NO_BALLOT } from './ballot.ts';
import type { AcceptedProposal, Ballot, Value } from './types.ts';

/**
 * Acceptor: the promised ballot and, per slot, the highest-numbered proposal accepted. Slots at
 * or below `compactedThrough` are chosen and covered by the node's snapshot, so they are dropped.
 */
export class Acceptor {
  private promisedValue: Ballot;
  private readonly acceptedValues = new Map<number, AcceptedProposal>();
  private compacted = 0;

  constructor(promised: Ballot = NO_BALLOT) {
    this.promisedValue = promised;
  }

  /** promised: the highest ballot of a prepare request this acceptor answered. */
  get promised(): Ballot {
    return this.promisedValue;
  }

  get compactedThrough(): number {
    return this.compacted;
  }

  /**
   * promise — §2.3 phase 1(b): "If an acceptor receives a prepare request with number n greater
   * than that of any prepare request to which it has already responded, then it responds ...
   * with a promise not to accept any more proposals numbered less than n". A prepare numbered
   * exactly the promise is a retransmission and gets the same promise again. False: refuse.
   */
  promise(ballot: Ballot): boolean {
    if (compareBallots(ballot, this.promisedValue) < 0) return false;
    this.promisedValue = ballot;
    return true;
  }

  /**
   * accept — §2.3 phase 2(b) under P1a (§2.2): "An acceptor can accept a proposal numbered n iff
   * it has not responded to a prepare request having a number greater than n." Accepting n
   * implies the promise for n. A slot already compacted is chosen: nothing is stored for it.
   */
  accept(ballot: Ballot, slot: number, value: Value): boolean {
    if (compareBallots(ballot, this.promisedValue) < 0) return false;
    this.promisedValue = ballot;
    if (slot > this.compacted) this.acceptedValues.set(slot, { slot, ballot, value });
    return true;
  }

  /** restoreAccepted: replaying a durable accept record (a later record of a slot wins); it implies its promise. */
  restoreAccepted(p: AcceptedProposal, impliesPromise: boolean): void {
    if (impliesPromise && compareBallots(p.ballot, this.promisedValue) > 0) this.promisedValue = p.ballot;
    if (p.slot > this.compacted) this.acceptedValues.set(p.slot, p);
  }

  /** acceptedFrom: every proposal accepted at slot ≥ from, by slot — what a promise reports. */
  acceptedFrom(from: number): AcceptedProposal[] {
    return [...this.acceptedValues.values()].filter((p) => p.slot >= from).sort((a, b) => a.slot - b.slot);
  }

  /** acceptedAt: the proposal accepted at slot, if any (tests and status). */
  acceptedAt(slot: number): AcceptedProposal | undefined {
    return this.acceptedValues.get(slot);
  }

  /** compactTo drops slots up to `slot`: they are chosen and in the snapshot. */
  compactTo(slot: number): void {
    assert(slot >= this.compacted, `compacting to ${slot} below ${this.compacted}`);
    for (const s of this.acceptedValues.keys()) if (s <= slot) this.acceptedValues.delete(s);
    this.compacted = slot;
  }
}
