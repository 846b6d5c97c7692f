// rsm/raft/read-state.ts — ReadState: a leader's heartbeat rounds, lease and reads waiting to be served.
//
// The rules that use it are in reads.ts (ReadIndex, Raft §8 / thesis §6.4; leases, thesis
// §6.4.1). This class only keeps their bookkeeping consistent: rounds are numbered upwards from
// 1 in each leadership, a round's send time is kept until a later round is confirmed, the lease
// expiry never moves backwards within a leadership, and a read waits on a round already sent.
import { assert } from '../../lib/assert.ts';
import type { PendingRead } from './types.ts';

export class ReadState {
  private roundValue = 0;
  private readonly roundSentAtMs = new Map<number, number>();
  private leaseExpiryMsValue = 0;
  private termStartIndexValue = 0;
  private pending: PendingRead[] = [];

  /** round: the number of this leader's latest heartbeat round (0 before the first). */
  get round(): number {
    return this.roundValue;
  }

  /** leaseExpiryMs: until when (this node's clock) no other leader can have been elected. */
  get leaseExpiryMs(): number {
    return this.leaseExpiryMsValue;
  }

  /** termStartIndex: index of this leader's no-op; reads wait until it is applied. */
  get termStartIndex(): number {
    return this.termStartIndexValue;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** startLeadership forgets the previous leadership's rounds and lease (Raft §8: a new no-op). */
  startLeadership(termStartIndex: number): void {
    assert(this.pending.length === 0, () => `${this.pending.length} reads of an earlier leadership still wait`);
    this.roundValue = 0;
    this.roundSentAtMs.clear();
    this.leaseExpiryMsValue = 0;
    this.termStartIndexValue = termStartIndex;
  }

  /** startRound numbers a new heartbeat round and remembers when it was sent. */
  startRound(nowMs: number): number {
    this.roundValue += 1;
    this.roundSentAtMs.set(this.roundValue, nowMs);
    return this.roundValue;
  }

  /**
   * extendLease: a quorum answered round `quorumRound`, so the lease runs to its send time plus
   * leaseMs, if that is later. Rounds older than the confirmed one can no longer extend anything.
   */
  extendLease(quorumRound: number, leaseMs: number): void {
    assert(quorumRound <= this.roundValue, () => `round ${quorumRound} confirmed before it was sent (latest ${this.roundValue})`);
    const sentAtMs = this.roundSentAtMs.get(quorumRound);
    if (sentAtMs !== undefined) this.leaseExpiryMsValue = Math.max(this.leaseExpiryMsValue, sentAtMs + leaseMs);
    for (const r of this.roundSentAtMs.keys()) if (r < quorumRound) this.roundSentAtMs.delete(r);
  }

  /** leaseHolds: this node's clock is still before the lease expiry. */
  leaseHolds(nowMs: number): boolean {
    return nowMs < this.leaseExpiryMsValue;
  }

  /** wait queues a read until its round is confirmed and its index applied. */
  wait(read: PendingRead): void {
    assert(read.round >= 1 && read.round <= this.roundValue, () => `read waits on round ${read.round}, latest ${this.roundValue}`);
    assert(read.readIndex >= this.termStartIndexValue, () => `read index ${read.readIndex} below the term start ${this.termStartIndexValue}`);
    this.pending.push(read);
  }

  /** takeReady removes and returns, in arrival order, the waiting reads `ready` accepts. */
  takeReady(ready: (read: PendingRead) => boolean): PendingRead[] {
    const taken: PendingRead[] = [];
    const waiting: PendingRead[] = [];
    for (const read of this.pending) (ready(read) ? taken : waiting).push(read);
    this.pending = waiting;
    return taken;
  }

  /** takeAll removes and returns every waiting read (leadership lost). */
  takeAll(): PendingRead[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }
}
