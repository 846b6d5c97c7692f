// rsm/raft/timers.ts — RaftTimers: a node's election and heartbeat timers, counted in ticks.
import type { Rng } from '../../lib/rng.ts';
import { assert } from '../../lib/assert.ts';
import type { RaftOptions } from './types.ts';

/**
 * RaftTimers: time in the core is ticks (the runtime maps ticks to ms). The election timeout
 * is drawn afresh from electionTicksMin..electionTicksMax at every reset (Raft §5.2: randomized
 * timeouts make split votes rare); the leader's heartbeat fires every heartbeatTicks.
 */
export class RaftTimers {
  private electionElapsedValue = 0;
  private electionTimeout = 0;
  private heartbeatElapsed = 0;
  /** ticksSinceStartValue counts ticks since the core was built, capped at electionTicksMax. */
  private ticksSinceStartValue: number;

  /** A node with no records never acked anyone, so it starts as if long running (see ignoresVoteRequest). */
  constructor(private readonly opts: RaftOptions, private readonly rng: Rng, freshNode: boolean) {
    this.ticksSinceStartValue = freshNode ? opts.electionTicksMax : 0;
    this.resetElection();
  }

  /** electionElapsed: ticks since the timer was last reset. */
  get electionElapsed(): number {
    return this.electionElapsedValue;
  }

  get ticksSinceStart(): number {
    return this.ticksSinceStartValue;
  }

  /** countTick: one more tick of this core's life (capped: only small values are ever asked). */
  countTick(): void {
    if (this.ticksSinceStartValue < this.opts.electionTicksMax) this.ticksSinceStartValue += 1;
  }

  /** resetElection draws a fresh randomized timeout (Raft §5.2) and restarts counting. */
  resetElection(): void {
    const { electionTicksMin, electionTicksMax } = this.opts;
    this.electionElapsedValue = 0;
    this.electionTimeout = electionTicksMin + this.rng.int(electionTicksMax - electionTicksMin + 1);
    assert(this.electionTimeout >= electionTicksMin && this.electionTimeout <= electionTicksMax, () => `election timeout ${this.electionTimeout}`);
  }

  /** tickElection: true when the election timeout has run out. */
  tickElection(): boolean {
    this.electionElapsedValue += 1;
    return this.electionElapsedValue >= this.electionTimeout;
  }

  resetHeartbeat(): void {
    this.heartbeatElapsed = 0;
  }

  /** tickHeartbeat: true every heartbeatTicks ticks, when the leader starts a round. */
  tickHeartbeat(): boolean {
    this.heartbeatElapsed += 1;
    if (this.heartbeatElapsed < this.opts.heartbeatTicks) return false;
    this.heartbeatElapsed = 0;
    return true;
  }
}
