// rsm/paxos/learner.ts — learning chosen values (§2.4) and catching up lagging learners.
import type { NodeId } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import type { PaxosCore } from './core.ts';
import type { HeartbeatReply, Learn, SlotValue, Snapshot, Value } from './types.ts';

/**
 * Learner: chosen values by slot since the last snapshot. Slots up to appliedThrough are in the
 * state machine; values may be learned out of order and wait for the gap to fill. Applied
 * values stay until the next snapshot, so the leader can send them to lagging learners.
 */
export class Learner {
  private readonly values = new Map<number, Value>();
  private applied: number;
  private base: number;

  constructor(snapshotSlot: number) {
    this.applied = snapshotSlot;
    this.base = snapshotSlot;
  }

  get appliedThrough(): number {
    return this.applied;
  }

  /** knows: slot is chosen and known here. */
  knows(slot: number): boolean {
    return slot <= this.applied || this.values.has(slot);
  }

  /** highestKnown: the highest slot known chosen. */
  highestKnown(): number {
    let max = this.applied;
    for (const s of this.values.keys()) max = Math.max(max, s);
    return max;
  }

  /** learn records a chosen value; false when the slot was already known (the first value stays). */
  learn(slot: number, value: Value): boolean {
    if (this.knows(slot)) return false;
    this.values.set(slot, value);
    return true;
  }

  /** nextToApply: the value of the slot after appliedThrough, once it is known. */
  nextToApply(): SlotValue | undefined {
    const slot = this.applied + 1;
    return this.values.has(slot) ? { slot, value: this.values.get(slot) ?? null } : undefined;
  }

  markApplied(slot: number): void {
    assert(slot === this.applied + 1 && this.values.has(slot), `applying slot ${slot} after ${this.applied}`);
    this.applied = slot;
  }

  /** appliedFrom: up to max applied values from slot `from` on (from past the snapshot). */
  appliedFrom(from: number, max: number): SlotValue[] {
    assert(from > this.base, `slot ${from} is compacted (snapshot at ${this.base})`);
    const out: SlotValue[] = [];
    for (let slot = from; slot <= this.applied && out.length < max; slot += 1) out.push({ slot, value: this.values.get(slot) ?? null });
    return out;
  }

  /** compactTo: our own snapshot through an applied slot covers the values up to it. */
  compactTo(slot: number): void {
    assert(slot <= this.applied && slot >= this.base, `compacting to ${slot} (applied ${this.applied}, base ${this.base})`);
    for (const s of this.values.keys()) if (s <= slot) this.values.delete(s);
    this.base = slot;
  }

  /** skipTo: a snapshot past appliedThrough replaces everything up to it. */
  skipTo(slot: number): void {
    assert(slot > this.applied, `snapshot at ${slot} not past applied ${this.applied}`);
    for (const s of this.values.keys()) if (s <= slot) this.values.delete(s);
    this.applied = slot;
    this.base = slot;
  }
}

/** handleLearn — §2.4: the distinguished learner's word that these values are chosen. */
export function handleLearn(core: PaxosCore, msg: Learn): void {
  for (const { slot, value } of msg.entries) core.learn(slot, value);
}

/** handleSnapshot: catch-up past the leader's compacted slots replaces our state machine. */
export function handleSnapshot(core: PaxosCore, msg: Snapshot): void {
  // A leader catches up in its own phase 1; a snapshot reaching one is from a deposed leader.
  if (core.role !== 'leader' && msg.snapshot.slot > core.learner.appliedThrough) core.installSnapshot(structuredClone(msg.snapshot));
}

/**
 * catchUp (leader side): a follower that reports a shorter learned prefix is sent the chosen
 * values it lacks, or the snapshot when the leader has compacted them away.
 */
export function catchUp(core: PaxosCore, from: NodeId, msg: HeartbeatReply): void {
  const behind = msg.learnedThrough;
  if (behind >= core.learner.appliedThrough) return;
  const snap = core.snapshot;
  if (snap !== null && behind < snap.slot) {
    core.send(from, { type: 'Snapshot', snapshot: structuredClone(snap) });
    return;
  }
  const entries = core.learner.appliedFrom(behind + 1, core.opts.maxLearnBatch);
  if (entries.length > 0) core.send(from, { type: 'Learn', entries });
}
