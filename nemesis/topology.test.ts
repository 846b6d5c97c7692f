// nemesis/topology.test.ts — property tests of partition topologies and kill/pause targets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { linkCut } from '../cluster/grudge.ts';
import type { Grudge } from '../cluster/types.ts';
import { SeededRng } from '../lib/rng.ts';
import { minoritySize, pickTargets } from './targets.ts';
import { bridge, isolateOne, majoritiesRing, majorityMinority, majoritySize, randomHalves, topologyGrudge } from './topology.ts';
import type { NodeTarget } from './types.ts';

const nodeCount = (min: number): fc.Arbitrary<number> => fc.integer({ min, max: 9 });
const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);

/** sees: the nodes `node` hears from (itself included). */
function sees(grudge: Grudge, nodes: string[], node: string): string[] {
  return nodes.filter((other) => other === node || !linkCut(grudge, other, node));
}

function isSymmetric(grudge: Grudge): boolean {
  return Object.entries(grudge).every(([a, dropped]) => dropped.every((b) => (grudge[b] ?? []).includes(a)));
}

function onlyNodes(grudge: Grudge, nodes: string[]): boolean {
  return Object.entries(grudge).every(([a, dropped]) => nodes.includes(a) && dropped.every((b) => nodes.includes(b) && b !== a));
}

/** components: groups of nodes that see each other, for complete (symmetric, transitive) grudges. */
function componentSizes(grudge: Grudge, nodes: string[]): number[] {
  const seen = new Set<string>();
  const sizes: number[] = [];
  for (const n of nodes) {
    if (seen.has(n)) continue;
    const group = sees(grudge, nodes, n);
    group.forEach((g) => seen.add(g));
    sizes.push(group.length);
  }
  return sizes.sort((a, b) => a - b);
}

describe('partition topologies', () => {
  it('one isolates exactly one node, symmetrically', () => {
    fc.assert(fc.property(nodeCount(2), fc.integer(), (n, seed) => {
      const nodes = names(n);
      const g = isolateOne(nodes, new SeededRng(seed));
      expect(isSymmetric(g)).toBe(true);
      expect(onlyNodes(g, nodes)).toBe(true);
      expect(componentSizes(g, nodes)).toEqual(n === 2 ? [1, 1] : [1, n - 1]);
    }));
  });

  it('majority splits into a majority and a minority', () => {
    fc.assert(fc.property(nodeCount(2), fc.integer(), (n, seed) => {
      const nodes = names(n);
      const g = majorityMinority(nodes, new SeededRng(seed));
      expect(isSymmetric(g)).toBe(true);
      expect(onlyNodes(g, nodes)).toBe(true);
      const sizes = componentSizes(g, nodes);
      expect(sizes[sizes.length - 1]).toBe(majoritySize(n));
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
    }));
  });

  it('random-halves splits into floor and ceil halves', () => {
    fc.assert(fc.property(nodeCount(2), fc.integer(), (n, seed) => {
      const nodes = names(n);
      const g = randomHalves(nodes, new SeededRng(seed));
      expect(isSymmetric(g)).toBe(true);
      expect(componentSizes(g, nodes)).toEqual([Math.floor(n / 2), Math.ceil(n / 2)]);
    }));
  });

  it('majorities-ring: every node hears a majority, no two the same majority', () => {
    fc.assert(fc.property(nodeCount(3), fc.integer(), (n, seed) => {
      const nodes = names(n);
      const g = majoritiesRing(nodes, new SeededRng(seed));
      expect(onlyNodes(g, nodes)).toBe(true);
      // Symmetric from 4 nodes on; with 3 a symmetric ring cannot exist (see majoritiesRing).
      if (n >= 4) expect(isSymmetric(g)).toBe(true);
      const views = nodes.map((node) => sees(g, nodes, node));
      for (const view of views) expect(view.length).toBeGreaterThanOrEqual(majoritySize(n));
      expect(new Set(views.map((v) => v.join(','))).size).toBe(n);
      // Somebody is cut off from somebody: it is a real partition.
      expect(views.some((v) => v.length < n)).toBe(true);
    }));
  });

  it('bridge: two halves that only the bridge node joins', () => {
    fc.assert(fc.property(nodeCount(3), fc.integer(), (n, seed) => {
      const nodes = names(n);
      const g = bridge(nodes, new SeededRng(seed));
      expect(isSymmetric(g)).toBe(true);
      const bridges = nodes.filter((node) => sees(g, nodes, node).length === n);
      expect(bridges).toHaveLength(1);
      const others = nodes.filter((node) => node !== bridges[0]);
      // Every other node sees its own side and the bridge, never the whole cluster.
      for (const node of others) expect(sees(g, nodes, node).length).toBeLessThan(n);
      const sides = componentSizes(Object.fromEntries(others.map((o) => [o, g[o]])), others);
      expect(sides).toEqual([Math.floor(n / 2), n - 1 - Math.floor(n / 2)].sort((a, b) => a - b));
    }));
  });

  it('never names a node outside the list (the control node is never cut off)', () => {
    const topologies = ['one', 'majority', 'random-halves', 'majorities-ring', 'bridge'] as const;
    fc.assert(fc.property(nodeCount(3), fc.integer(), fc.constantFrom(...topologies), (n, seed, t) => {
      const nodes = [...names(n - 1), 'vs'];
      const g = topologyGrudge(t, nodes, new SeededRng(seed));
      expect(onlyNodes(g, nodes)).toBe(true);
      expect(JSON.stringify(g)).not.toContain('control');
    }));
  });

  it('primary isolates the named node and needs it', () => {
    const nodes = names(5);
    const g = topologyGrudge('primary', nodes, new SeededRng(1), 'n3');
    expect(g.n3).toEqual(['n1', 'n2', 'n4', 'n5']);
    expect(g.n1).toEqual(['n3']);
    expect(() => topologyGrudge('primary', nodes, new SeededRng(1))).toThrow(/primary is not known/);
  });

  it('primary-minority cuts the primary off with others, a minority that holds it', () => {
    fc.assert(fc.property(nodeCount(2), fc.integer(), (n, seed) => {
      const nodes = names(n);
      const primary = nodes[Math.abs(seed) % n];
      const g = topologyGrudge('primary-minority', nodes, new SeededRng(seed), primary);
      expect(isSymmetric(g)).toBe(true);
      const side = sees(g, nodes, primary);
      expect(side.length).toBe(Math.max(1, Math.floor((n - 1) / 2)));
      expect(side.length).toBeLessThan(majoritySize(n));
      expect(componentSizes(g, nodes)).toEqual([side.length, n - side.length].sort((a, b) => a - b));
    }));
    expect(() => topologyGrudge('primary-minority', names(5), new SeededRng(1))).toThrow(/primary is not known/);
  });

  it('same seed gives the same grudge', () => {
    fc.assert(fc.property(nodeCount(3), fc.integer(), (n, seed) => {
      expect(majoritiesRing(names(n), new SeededRng(seed))).toEqual(majoritiesRing(names(n), new SeededRng(seed)));
    }));
  });
});

describe('kill/pause targets', () => {
  it('pick the right number of distinct nodes', () => {
    const targets: NodeTarget[] = ['one', 'minority', 'majority', 'all'];
    fc.assert(fc.property(nodeCount(1), fc.integer(), fc.constantFrom(...targets), (n, seed, target) => {
      const nodes = names(n);
      const picked = pickTargets(target, nodes, new SeededRng(seed));
      const want = { one: 1, minority: minoritySize(n), majority: majoritySize(n), all: n }[target as 'one'];
      expect(picked).toHaveLength(want);
      expect(new Set(picked).size).toBe(picked.length);
      picked.forEach((p) => expect(nodes).toContain(p));
      if (target === 'minority' && n >= 3) expect(2 * picked.length).toBeLessThan(n);
    }));
  });

  it('primary picks the primary', () => {
    expect(pickTargets('primary', names(3), new SeededRng(1), 'n2')).toEqual(['n2']);
    expect(() => pickTargets('primary', names(3), new SeededRng(1))).toThrow(/primary is not known/);
  });
});
