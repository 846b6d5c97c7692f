// rsm/raft/config-log.ts — ConfigLog: which servers vote, as the log's configuration entries say (Raft thesis §4.1).
import type { NodeId } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import type { Entry } from './types.ts';

/**
 * ConfigLog follows the configuration entries of a RaftLog. Raft thesis §4.1: "a server always
 * uses the latest configuration in its log, regardless of whether the entry is committed", so
 * the voters change when a configuration entry is appended and change back when a conflicting
 * suffix holding it is truncated. `base` is the configuration at the snapshot point (the
 * initial peers before any snapshot); `entries` the configuration entries after it, in order.
 */
export class ConfigLog {
  private baseValue: readonly NodeId[];
  private baseIndex = 0;
  private readonly entries: Array<{ index: number; voters: readonly NodeId[] }> = [];

  constructor(private readonly initial: readonly NodeId[]) {
    assert(initial.length > 0, 'a configuration has at least one voter');
    this.baseValue = initial;
  }

  /** voters: the latest configuration in the log, committed or not (§4.1). */
  voters(): readonly NodeId[] {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].voters : this.baseValue;
  }

  /** votersAt: the configuration in force at `index` (what a snapshot at index must carry). */
  votersAt(index: number): readonly NodeId[] {
    assert(index >= this.baseIndex, () => `configuration at ${index} is before the snapshot at ${this.baseIndex}`);
    for (let k = this.entries.length - 1; k >= 0; k -= 1) if (this.entries[k].index <= index) return this.entries[k].voters;
    return this.baseValue;
  }

  /** latestIndex: where the latest configuration entry sits (the snapshot point when none follows it). */
  latestIndex(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].index : this.baseIndex;
  }

  /** changed: this node has seen a configuration other than the one it started with. */
  changed(): boolean {
    return this.entries.length > 0 || !sameVoters(this.baseValue, this.initial);
  }

  /** appended: entries now sit at from, from+1, ...; note the configuration entries among them. */
  appended(from: number, entries: readonly Entry[]): void {
    for (let k = 0; k < entries.length; k += 1) {
      const conf = entries[k].conf;
      if (conf !== undefined) this.entries.push({ index: from + k, voters: conf });
    }
  }

  /** truncated: entries from `index` on are gone, and with them their configurations. */
  truncated(index: number): void {
    while (this.entries.length > 0 && this.entries[this.entries.length - 1].index >= index) this.entries.pop();
  }

  /** compacted: the log now starts after `index`, where `voters` was the configuration. */
  compacted(index: number, voters: readonly NodeId[], kept: boolean): void {
    assert(voters.length > 0, () => `snapshot at ${index} with no voters`);
    this.baseValue = voters;
    this.baseIndex = index;
    if (!kept) this.entries.length = 0;
    while (this.entries.length > 0 && this.entries[0].index <= index) this.entries.shift();
  }
}

/** sameVoters: two configurations hold the same servers. */
export function sameVoters(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}
