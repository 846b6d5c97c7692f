// nemesis/primary.ts — find the current primary or leader through the nodes' GET /status.
import type { Cluster } from '../cluster/types.ts';
import type { NodeStatus } from '../cluster/types.ts';

const LEADER_ROLES = new Set(['primary', 'leader']);

/**
 * choosePrimary picks the primary from status answers: among nodes that call themselves
 * primary/leader, the one with the highest term (or view); otherwise the node most answers
 * name as primary; null when nobody knows.
 */
export function choosePrimary(statuses: readonly (NodeStatus | null)[]): string | null {
  const answered = statuses.filter((s): s is NodeStatus => s !== null);
  const claimants = answered.filter((s) => LEADER_ROLES.has(s.role));
  if (claimants.length > 0) {
    const epoch = (s: NodeStatus): number => s.term ?? s.view ?? 0;
    return claimants.reduce((best, s) => (epoch(s) > epoch(best) ? s : best)).id;
  }
  const votes = new Map<string, number>();
  for (const s of answered) {
    if (typeof s.primary === 'string') votes.set(s.primary, (votes.get(s.primary) ?? 0) + 1);
  }
  let best: string | null = null;
  for (const [node, count] of votes) {
    if (best === null || count > votes.get(best)!) best = node;
  }
  return best;
}

/** findPrimary asks every replica's /status in parallel and chooses the primary. */
export async function findPrimary(cluster: Cluster): Promise<string | null> {
  const statuses = await Promise.all(cluster.nodes.map((n) => cluster.status(n)));
  const primary = choosePrimary(statuses);
  return primary !== null && cluster.allNodes.includes(primary) ? primary : null;
}
