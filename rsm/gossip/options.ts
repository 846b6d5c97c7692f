// rsm/gossip/options.ts — gossip's bug switches, apart from the core so the protocol registry loads it cheaply.

/** GOSSIP_BUGS: `no-anti-entropy` — replicas never exchange digests, so copies never converge. */
export const GOSSIP_BUGS: readonly string[] = ['no-anti-entropy'];

/** GOSSIP_INTERVAL_TICKS_DEFAULT: ticks between anti-entropy rounds (option `gossipIntervalTicks`). */
export const GOSSIP_INTERVAL_TICKS_DEFAULT = 5;

/**
 * QUIET_ROUNDS_PER_REPLICA: anti-entropy rounds per replica to wait after a heal before the
 * final reads. Push-pull with one random peer a round spreads an update to all N replicas in
 * O(log N) rounds (Demers et al. 1987 §1.3); N·4 rounds is far past that, and leaves room for a
 * restarted replica's first rounds.
 */
export const QUIET_ROUNDS_PER_REPLICA = 4;

/** gossipQuietPeriodMs: how long the replicas need after a heal to converge, from the gossip interval. */
export function gossipQuietPeriodMs(nodeCount: number, tickMs: number, gossipIntervalTicks = GOSSIP_INTERVAL_TICKS_DEFAULT): number {
  return QUIET_ROUNDS_PER_REPLICA * nodeCount * gossipIntervalTicks * tickMs;
}
