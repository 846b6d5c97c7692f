// rsm/raft/log.ts — RaftLog: the in-memory log after the last snapshot, indexed from 1, with its commit and apply marks.
import type { NodeId } from '../core/types.ts';
import type { Entry } from './types.ts';
import { assert } from '../../lib/assert.ts';
import { ConfigLog } from './config-log.ts';

/**
 * RaftLog holds entries snapshotIndex+1..lastIndex; the entry at snapshotIndex is known only by
 * its term (snapshotTerm), which is all the consistency check of AppendEntries needs. It also
 * keeps the two volatile marks of Raft Figure 2 and their order:
 * snapshotIndex <= appliedIndex <= commitIndex <= lastIndex, with commitIndex never decreasing.
 */
export class RaftLog {
  private snapshotIndexValue = 0;
  private snapshotTermValue = 0;
  private entries: Entry[] = [];
  private committed = 0;
  private applied = 0;
  /** configs: the voters the log's configuration entries name (Raft thesis §4.1). */
  readonly configs: ConfigLog;

  /** A new log's configuration is `initialVoters`, every server of the group. */
  constructor(initialVoters: readonly NodeId[]) {
    this.configs = new ConfigLog(initialVoters);
  }

  get snapshotIndex(): number {
    return this.snapshotIndexValue;
  }

  get snapshotTerm(): number {
    return this.snapshotTermValue;
  }

  /** commitIndex: the highest index known committed (Raft Figure 2, volatile). */
  get commitIndex(): number {
    return this.committed;
  }

  /** appliedIndex: the highest index applied to the state machine (Figure 2's lastApplied). */
  get appliedIndex(): number {
    return this.applied;
  }

  /** commitTo: Raft §5.3/§5.4.2, a committed entry stays committed, so the mark never decreases. */
  commitTo(index: number): void {
    assert(index >= this.committed, () => `commit ${index} below commit ${this.committed}: commitIndex never decreases`);
    assert(index <= this.lastIndex(), () => `commit ${index} beyond the log end ${this.lastIndex()}`);
    this.committed = index;
  }

  /** markApplied: entries are applied one at a time, in order, and only once committed. */
  markApplied(index: number): void {
    assert(index === this.applied + 1, () => `apply ${index} after ${this.applied}: entries apply in order`);
    assert(index <= this.committed, () => `apply ${index} beyond commit ${this.committed}`);
    this.applied = index;
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) as number;
  }

  /** term returns the term at index, or undefined when the index is compacted or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1].term;
  }

  entry(index: number): Entry {
    assert(index > this.snapshotIndex && index <= this.lastIndex(), () => `entry ${index} outside ${this.firstIndex()}..${this.lastIndex()}`);
    return this.entries[index - this.snapshotIndex - 1];
  }

  /** slice returns entries from..toExclusive (copies are made by whoever serialises them). */
  slice(from: number, toExclusive: number): Entry[] {
    assert(from > this.snapshotIndex, () => `slice from ${from} is compacted (snapshot ${this.snapshotIndex})`);
    assert(toExclusive <= this.lastIndex() + 1 && from <= toExclusive, () => `slice ${from}..${toExclusive} beyond ${this.lastIndex()}`);
    return this.entries.slice(from - this.snapshotIndex - 1, toExclusive - this.snapshotIndex - 1);
  }

  /** append adds entries; terms never decrease along a log unless a bug broke it (checkTerms false). */
  append(entries: readonly Entry[], checkTerms = true): void {
    this.configs.appended(this.lastIndex() + 1, entries);
    for (const e of entries) {
      assert(Number.isSafeInteger(e.term), () => `append term ${e.term}`);
      assert(!checkTerms || e.term >= this.lastTerm(), () => `append term ${e.term} after ${this.lastTerm()}`);
      this.entries.push(e);
    }
  }

  /** truncateFrom deletes entries at index and after; Raft §5.3: never a committed one. */
  truncateFrom(index: number): void {
    assert(index > this.snapshotIndex, () => `truncate at ${index} would cut into the snapshot ${this.snapshotIndex}`);
    assert(index > this.committed, () => `conflict at committed index ${index} (commit ${this.committed})`);
    if (index > this.lastIndex()) return;
    this.configs.truncated(index);
    this.entries.length = index - this.snapshotIndex - 1;
  }

  /**
   * compactTo makes (index, term) the new snapshot point. Entries after it are kept only when
   * the log holds that same entry (Raft §7: "if existing log entry has same index and term as
   * snapshot's last included entry, retain log entries following it"); otherwise all go.
   * A snapshot holds only committed, applied state, so commitIndex and appliedIndex rise to
   * index if they were below it (an InstallSnapshot, or a restart: Raft Figure 2). `voters` is the
 * configuration at index, which the snapshot carries (Raft thesis §4.1, §5.1).
   */
  compactTo(index: number, term: number, voters: readonly NodeId[]): void {
    assert(index >= this.snapshotIndex, () => `compact to ${index} behind the snapshot ${this.snapshotIndex}`);
    const kept = this.term(index) === term;
    this.configs.compacted(index, voters, kept);
    if (kept) {
      this.entries = this.entries.slice(index - this.snapshotIndex);
    } else {
      this.entries = [];
    }
    this.snapshotIndexValue = index;
    this.snapshotTermValue = term;
    this.committed = Math.max(this.committed, index);
    this.applied = Math.max(this.applied, index);
  }

  /** firstIndexOfTerm finds where the run of `term` ending at `atIndex` starts. */
  firstIndexOfTerm(term: number, atIndex: number): number {
    assert(this.term(atIndex) === term, () => `index ${atIndex} does not hold term ${term}`);
    let i = atIndex;
    while (i > this.firstIndex() && this.term(i - 1) === term) i -= 1;
    return i;
  }

  /** lastIndexOfTerm returns the last index holding `term` in the uncompacted log, or 0. */
  lastIndexOfTerm(term: number): number {
    for (let i = this.lastIndex(); i > this.snapshotIndex; i -= 1) {
      const t = this.term(i) as number;
      if (t === term) return i;
      if (t < term) return 0;
    }
    return 0;
  }

  /** isUpToDate: Raft §5.4.1, compare last terms, then lengths. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }
}
