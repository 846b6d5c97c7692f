// rsm/raft/options.ts — parses Raft's protocol options and bug names, with their defaults.
import type { RaftOptions, ReadMode } from './types.ts';
import { checkKnownBugs, positiveInt, ticksRange } from '../core/support.ts';

/**
 * RAFT_BUGS: the bugs `--bug` can switch on for raft. Each is a real alternative code path:
 * - no-persist-vote: votedFor is left out of the persisted hard state (rsm/raft/storage.ts),
 *   so a node that crashes after voting can vote again in the same term;
 * - commit-old-term: the leader commits entries of earlier terms by counting replicas
 *   (rsm/raft/replication.ts), the mistake Raft Figure 8 shows;
 * - no-fsync: handled by the runtime, which maps it to "never fsync"; the core ignores it;
 * - no-truncate: a follower skips incoming entries at indexes it already holds instead of
 *   deleting a conflicting suffix (rsm/raft/replication.ts), so logs diverge;
 * - two-changes: a leader starts a membership change before the previous one committed
 *   (rsm/raft/membership.ts oneChangeAtATime, Raft thesis §4.1), so majorities need not overlap.
 */
export const RAFT_BUGS: readonly string[] = ['no-persist-vote', 'commit-old-term', 'no-fsync', 'no-truncate', 'two-changes'];

/** READ_MODES: Raft's read paths (--reads), the one list every flag and config check uses. */
export const READ_MODES: readonly ReadMode[] = ['log', 'readindex', 'lease', 'any'];

/**
 * parseRaftOptions reads the options, all strings:
 * - electionTicks: "MIN..MAX" (default "15..30"), or "N" meaning N..2N; each timeout is drawn
 *   uniformly from the range with config.rng (Raft §5.2);
 * - heartbeatTicks (3), snapshotEntries (1000), maxAppendEntries per message (64),
 *   maxInflight (4): unanswered AppendEntries a leader pipelines to one follower;
 * - reads: log | readindex | lease | any (log);
 * - tickMs (10): how many ms a tick stands for, used only to size the lease;
 * - leaseMs: default floor(0.9 × electionTicksMin × tickMs).
 */
export function parseRaftOptions(options: Record<string, string>): RaftOptions {
  const [electionTicksMin, electionTicksMax] = ticksRange('raft', 'electionTicks', options.electionTicks ?? '15..30');
  const heartbeatTicks = positiveInt('raft', 'heartbeatTicks', options.heartbeatTicks ?? '3');
  if (heartbeatTicks >= electionTicksMin) {
    throw new Error(`raft: heartbeatTicks ${heartbeatTicks} must be below the election timeout ${electionTicksMin}`);
  }
  const reads = (options.reads ?? 'log') as ReadMode;
  if (!READ_MODES.includes(reads)) {
    throw new Error(`raft: reads must be one of ${READ_MODES.join(', ')}, got ${JSON.stringify(options.reads)}`);
  }
  const tickMs = positiveInt('raft', 'tickMs', options.tickMs ?? '10');
  const leaseDefault = Math.floor(0.9 * electionTicksMin * tickMs);
  return {
    electionTicksMin,
    electionTicksMax,
    heartbeatTicks,
    snapshotEntries: positiveInt('raft', 'snapshotEntries', options.snapshotEntries ?? '1000'),
    maxAppendEntries: positiveInt('raft', 'maxAppendEntries', options.maxAppendEntries ?? '64'),
    maxInflight: positiveInt('raft', 'maxInflight', options.maxInflight ?? '4'),
    reads,
    tickMs,
    leaseMs: positiveInt('raft', 'leaseMs', options.leaseMs ?? String(leaseDefault)),
  };
}

/** checkRaftBugs rejects bug names raft does not know, so a typo does not test nothing. */
export function checkRaftBugs(bugs: ReadonlySet<string>): void {
  checkKnownBugs('raft', RAFT_BUGS, bugs);
}
