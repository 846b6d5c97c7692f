// nemesis/targets.ts — which nodes a kill, pause or clock fault hits.
import type { Rng } from '../lib/rng.ts';
import { majoritySize, shuffle } from './topology.ts';
import type { NodeTarget } from './types.ts';

/** minoritySize is the largest strict minority of n, at least 1. */
export function minoritySize(n: number): number {
  return Math.max(1, Math.floor((n - 1) / 2));
}

/**
 * pickTargets draws the nodes a target names, in node-list order: one random node, a random
 * minority (floor((n-1)/2), at least 1), a random majority (floor(n/2)+1), the primary, or all.
 */
export function pickTargets(target: NodeTarget, nodes: readonly string[], rng: Rng, primary?: string): string[] {
  if (nodes.length === 0) throw new Error('pickTargets: no nodes');
  let picked: string[];
  switch (target) {
    case 'one':
      picked = [nodes[rng.int(nodes.length)]];
      break;
    case 'minority':
      picked = shuffle(nodes, rng).slice(0, minoritySize(nodes.length));
      break;
    case 'majority':
      picked = shuffle(nodes, rng).slice(0, majoritySize(nodes.length));
      break;
    case 'primary':
      if (primary === undefined) throw new Error('target primary: the primary is not known');
      if (!nodes.includes(primary)) throw new Error(`target primary: ${primary} is not one of ${nodes.join(', ')}`);
      picked = [primary];
      break;
    case 'all':
      picked = [...nodes];
      break;
    default: {
      const never: never = target;
      throw new Error(`unknown target ${String(never)}`);
    }
  }
  return nodes.filter((n) => picked.includes(n));
}
