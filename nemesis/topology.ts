// nemesis/topology.ts — partition shapes as pure functions of a node list and a seeded Rng.
//
// Each returns a Grudge (node -> nodes whose packets it drops). Only cluster nodes appear:
// the control node is never named, so clients and the nemesis itself are never cut off.
import { completeGrudge } from '../cluster/grudge.ts';
import type { Grudge } from '../cluster/types.ts';
import type { Rng } from '../lib/rng.ts';
import type { PartitionTopology } from './types.ts';

/** shuffle returns a shuffled copy (Fisher–Yates) drawn from rng. */
export function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** majoritySize is the smallest majority of n: floor(n/2) + 1. */
export function majoritySize(n: number): number {
  return Math.floor(n / 2) + 1;
}

function requireNodes(name: string, nodes: readonly string[], min: number): void {
  if (nodes.length < min) throw new Error(`partition ${name}: needs at least ${min} nodes, got ${nodes.length}`);
  if (new Set(nodes).size !== nodes.length) throw new Error(`partition ${name}: duplicate node names`);
}

/** isolateNode cuts `node` off from every other node, both ways. */
export function isolateNode(nodes: readonly string[], node: string): Grudge {
  if (!nodes.includes(node)) throw new Error(`partition: unknown node ${node}`);
  return completeGrudge([[node], nodes.filter((n) => n !== node)]);
}

/** isolateOne isolates one random node. */
export function isolateOne(nodes: readonly string[], rng: Rng): Grudge {
  requireNodes('one', nodes, 2);
  return isolateNode(nodes, nodes[rng.int(nodes.length)]);
}

/** majorityMinority splits into a random majority (floor(n/2)+1 nodes) and the minority. */
export function majorityMinority(nodes: readonly string[], rng: Rng): Grudge {
  requireNodes('majority', nodes, 2);
  const shuffled = shuffle(nodes, rng);
  const k = majoritySize(nodes.length);
  return completeGrudge([shuffled.slice(0, k), shuffled.slice(k)]);
}

/** randomHalves splits into two random halves (floor and ceil of n/2): with even n neither side has a majority. */
export function randomHalves(nodes: readonly string[], rng: Rng): Grudge {
  requireNodes('random-halves', nodes, 2);
  const shuffled = shuffle(nodes, rng);
  const k = Math.floor(nodes.length / 2);
  return completeGrudge([shuffled.slice(0, k), shuffled.slice(k)]);
}

/**
 * majoritiesRing (Jepsen's majorities-ring): nodes sit on a random ring and each sees only
 * the nodes within distance r, with r the smallest radius giving a majority (2r+1 >= majority);
 * every node sees a different majority. With three nodes no symmetric ring exists, so each
 * node drops only its predecessor's packets: every node still hears a distinct majority.
 */
export function majoritiesRing(nodes: readonly string[], rng: Rng): Grudge {
  requireNodes('majorities-ring', nodes, 3);
  const ring = shuffle(nodes, rng);
  const n = ring.length;
  const grudge: Grudge = {};
  if (n === 3) {
    for (let i = 0; i < n; i++) grudge[ring[i]] = [ring[(i + n - 1) % n]];
    return grudge;
  }
  const radius = Math.ceil((majoritySize(n) - 1) / 2);
  for (let i = 0; i < n; i++) {
    const dropped: string[] = [];
    for (let j = 0; j < n; j++) {
      const d = Math.min((i - j + n) % n, (j - i + n) % n);
      if (d > radius) dropped.push(ring[j]);
    }
    grudge[ring[i]] = dropped;
  }
  return grudge;
}

/** bridge splits into two halves joined by one node that sees both (Jepsen's bridge). */
export function bridge(nodes: readonly string[], rng: Rng): Grudge {
  requireNodes('bridge', nodes, 3);
  const shuffled = shuffle(nodes, rng);
  const k = Math.floor(nodes.length / 2);
  const left = shuffled.slice(0, k);
  // The first node of the second half is the bridge: it holds no grudge and nobody holds one against it.
  const [, ...right] = shuffled.slice(k);
  const grudge: Grudge = {};
  for (const a of left) grudge[a] = [...right];
  for (const b of right) grudge[b] = [...left];
  return grudge;
}

/**
 * primaryMinority cuts the primary off together with random others, a minority of
 * floor((n-1)/2) nodes (the leader plus one follower of five): the leader goes on taking
 * writes it can replicate to its side but never commit, while the majority elects a new
 * leader. That is the set-up of Raft Figure 7 and 8 (uncommitted suffixes of an old term).
 */
export function primaryMinority(nodes: readonly string[], rng: Rng, primary: string): Grudge {
  requireNodes('primary-minority', nodes, 2);
  if (!nodes.includes(primary)) throw new Error(`partition primary-minority: unknown node ${primary}`);
  const size = Math.max(1, Math.floor((nodes.length - 1) / 2));
  const others = shuffle(nodes.filter((n) => n !== primary), rng);
  const side = [primary, ...others.slice(0, size - 1)];
  return completeGrudge([side, nodes.filter((n) => !side.includes(n))]);
}

/** NEEDS_PRIMARY: the topologies drawn around the current primary, looked up when the op runs. */
export const NEEDS_PRIMARY: ReadonlySet<PartitionTopology> = new Set(['primary', 'primary-minority']);

/** RANDOM_TOPOLOGIES: the topologies that need no cluster state (all but those around the primary). */
export const RANDOM_TOPOLOGIES: readonly Exclude<PartitionTopology, 'primary' | 'primary-minority'>[] = ['one', 'majority', 'random-halves', 'majorities-ring', 'bridge'];

/** topologyGrudge draws a grudge of a topology; `primary` names the node the primary topology isolates. */
export function topologyGrudge(topology: PartitionTopology, nodes: readonly string[], rng: Rng, primary?: string): Grudge {
  switch (topology) {
    case 'one':
      return isolateOne(nodes, rng);
    case 'primary':
      if (primary === undefined) throw new Error('partition primary: the primary is not known');
      return isolateNode(nodes, primary);
    case 'primary-minority':
      if (primary === undefined) throw new Error('partition primary-minority: the primary is not known');
      return primaryMinority(nodes, rng, primary);
    case 'majority':
      return majorityMinority(nodes, rng);
    case 'random-halves':
      return randomHalves(nodes, rng);
    case 'majorities-ring':
      return majoritiesRing(nodes, rng);
    case 'bridge':
      return bridge(nodes, rng);
    default: {
      const never: never = topology;
      throw new Error(`unknown topology ${String(never)}`);
    }
  }
}
