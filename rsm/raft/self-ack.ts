// rsm/raft/self-ack.ts — LeaderDurability: how far a leader's own log is known durable, learnt from self-acks.
import { assert } from '../../lib/assert.ts';
import type { AppendEntriesReply } from './types.ts';

/**
 * LeaderDurability: the runtime may send AppendEntries before the leader's own write is on disk
 * (Raft thesis §10.2.1: the leader writes its log in parallel with replicating it), so the
 * leader counts itself towards a commit quorum only up to durableIndex. It learns it from a
 * self-ack: a message to itself, which the runtime delivers only once everything persisted
 * before it is durable. Invariant: durableIndex never decreases within a leadership.
 */
export class LeaderDurability {
  private durable = 0;
  /** sent: the highest index a self-ack was sent for in this leadership. */
  private sent = 0;

  get durableIndex(): number {
    return this.durable;
  }

  /** startLeadership: nothing of a new leadership is known durable yet. */
  startLeadership(): void {
    this.durable = 0;
    this.sent = 0;
  }

  /** acked: the runtime says our log up to matchIndex is durable. */
  acked(matchIndex: number, lastIndex: number): void {
    assert(matchIndex <= lastIndex, () => `self-ack ${matchIndex} beyond log ${lastIndex}`);
    if (matchIndex > this.durable) this.durable = matchIndex;
  }

  /**
   * selfAck: the message to send ourselves for a log ending at lastIndex (a successful
   * AppendEntriesReply), or null when one for lastIndex is on its way already.
   */
  selfAck(term: number, lastIndex: number): AppendEntriesReply | null {
    if (lastIndex <= this.sent) return null;
    this.sent = lastIndex;
    return {
      type: 'AppendEntriesReply', term, success: true, prevIndex: 0, matchIndex: lastIndex,
      conflictIndex: 0, conflictTerm: null, round: 0,
    };
  }

  /** resendLost: a self-ack the network lost (possible in simulations) is asked for again. */
  resendLost(): void {
    if (this.durable < this.sent) this.sent = this.durable;
  }
}
