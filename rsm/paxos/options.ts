// rsm/paxos/options.ts — Multi-Paxos protocol options and bug names, with their defaults.
import type { PaxosOptions } from './types.ts';
import { checkKnownBugs, positiveInt, ticksRange } from '../core/support.ts';

/**
 * PAXOS_BUGS: the bugs `--bug` can switch on for paxos. Each is a real alternative code path:
 * - forget-promise: the acceptor's promise is not made durable, nor rebuilt from the ballots it
 *   accepted (rsm/paxos/storage.ts), so after a restart it accepts proposals numbered below
 *   one it promised to ignore (breaks §2.2 P1a, as §2.3's last paragraph warns: "an acceptor
 *   must remember this information even if it fails and then restarts");
 * - ignore-accepted: a new leader proposes no-ops in the open slots instead of the
 *   highest-numbered accepted values its phase 1 found (rsm/paxos/proposer.ts), breaking §2.2
 *   P2c: a chosen value can be overwritten;
 * - no-fsync: handled by the runtime, which maps it to "never fsync"; the core ignores it.
 */
export const PAXOS_BUGS: readonly string[] = ['forget-promise', 'ignore-accepted', 'no-fsync'];

/**
 * parsePaxosOptions reads the options, all strings:
 * - electionTicks: "MIN..MAX" (default "15..30") or "N" meaning N..2N: how long a node waits
 *   without a leader's heartbeat before it runs phase 1 itself, drawn uniformly with config.rng
 *   (§3: "a reliable algorithm for electing a proposer must use either randomness or real time");
 * - heartbeatTicks (3); snapshotEntries (1000): applied slots between snapshots;
 * - maxLearnBatch (64): chosen values per catch-up message.
 */
export function parsePaxosOptions(options: Record<string, string>): PaxosOptions {
  const [electionTicksMin, electionTicksMax] = ticksRange('paxos', 'electionTicks', options.electionTicks ?? '15..30');
  const heartbeatTicks = positiveInt('paxos', 'heartbeatTicks', options.heartbeatTicks ?? '3');
  if (heartbeatTicks >= electionTicksMin) {
    throw new Error(`paxos: heartbeatTicks ${heartbeatTicks} must be below the election timeout ${electionTicksMin}`);
  }
  return {
    electionTicksMin,
    electionTicksMax,
    heartbeatTicks,
    snapshotEntries: positiveInt('paxos', 'snapshotEntries', options.snapshotEntries ?? '1000'),
    maxLearnBatch: positiveInt('paxos', 'maxLearnBatch', options.maxLearnBatch ?? '64'),
  };
}

/** checkPaxosBugs rejects bug names paxos does not know, so a typo does not test nothing. */
export function checkPaxosBugs(bugs: ReadonlySet<string>): void {
  checkKnownBugs('paxos', PAXOS_BUGS, bugs);
}
