// rsm/gossip/stamp.ts — Lamport stamps (clock, node id) and the last-writer-wins order on them.
//
// Lamport, "Time, Clocks, and the Ordering of Events in a Distributed System" (1978), §2: a
// clock that every event advances and every received message pushes past the sender's value,
// made a total order by breaking ties with the process id (§3, the relation =>). Terry et al.,
// "Managing Update Conflicts in Bayou" (SOSP 1995), §4: replicas that apply the same updates in
// stamp order reach the same state whatever order the updates arrived in.
import type { NodeId, Stamp } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';

export type { Stamp } from '../core/types.ts';

/** compareStamps: Lamport §3 total order: clock first, then node id; 0 only for the same stamp. */
export function compareStamps(a: Stamp, b: Stamp): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] === b[1]) return 0;
  return a[1] < b[1] ? -1 : 1;
}

/** LamportClock: one node's clock; local writes tick it, stamps seen from peers push it forward. */
export class LamportClock {
  constructor(private time: number, private readonly node: NodeId) {
    assert(Number.isSafeInteger(time) && time >= 0, 'a Lamport clock starts at a non-negative integer');
  }

  get now(): number {
    return this.time;
  }

  /** stampLocalWrite: Lamport IR1: each event advances the clock, so the new stamp beats every one seen. */
  stampLocalWrite(): Stamp {
    this.time += 1;
    return [this.time, this.node];
  }

  /** witness: Lamport IR2: on receiving a stamp, set the clock past it (later local writes win over it). */
  witness(stamp: Stamp): void {
    if (stamp[0] > this.time) this.time = stamp[0];
  }
}
