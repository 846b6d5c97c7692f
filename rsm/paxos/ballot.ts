// rsm/paxos/ballot.ts — proposal numbers: totally ordered, disjoint per proposer (§2.2).
import type { NodeId } from '../core/types.ts';
import type { Ballot } from './types.ts';

/** NO_BALLOT: below every real ballot — an acceptor that has promised nothing. */
export const NO_BALLOT: Ballot = { round: 0, node: '' };

/** compareBallots orders by round, then by node id (the proposer's disjoint set, §2.2). */
export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.round !== b.round) return a.round - b.round;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

export function sameBallot(a: Ballot, b: Ballot): boolean {
  return compareBallots(a, b) === 0;
}

/** nextBallot: §2.3 phase 1(a), a proposer picks a number above every one it has seen. */
export function nextBallot(highestSeen: Ballot, self: NodeId): Ballot {
  return { round: highestSeen.round + 1, node: self };
}

export function ballotText(b: Ballot): string {
  return `${b.round}.${b.node}`;
}
