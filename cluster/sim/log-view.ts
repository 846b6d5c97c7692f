// cluster/sim/log-view.ts — what the reactive nemesis's staged reactions read of a node's raft log, and Raft's vote rule over it.

/** LogView: what a reaction reads of one node's raft log. */
export interface LogView {
  lastIndex: number;
  lastTerm: number;
  /** termAt: the term of the entry at `index`, undefined when the log does not hold it. */
  termAt(index: number): number | undefined;
}

/** upToDate: Raft §5.4.1's vote rule, "the candidate's log is at least as up-to-date as mine". */
export function upToDate(candidate: LogView, voter: LogView): boolean {
  return candidate.lastTerm > voter.lastTerm || (candidate.lastTerm === voter.lastTerm && candidate.lastIndex >= voter.lastIndex);
}
