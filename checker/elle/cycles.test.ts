// checker/elle/cycles.test.ts — SCCs and class-constrained shortest cycles on hand-made graphs.
import { describe, expect, it } from 'vitest';
import { acceptsCycle, BASE_CLASSES, CycleSearch, cycleClass, splitSimple, type Budget, type FoundCycle } from './cycles.ts';
import { EdgeBuilder, edgeKinds, forEachOut, REALTIME, RW, WR, WW, type Graph } from './graph.ts';
import { SccWorkspace } from './scc.ts';

function graph(n: number, edges: [number, number, number][]): Graph {
  const b = new EdgeBuilder(n);
  for (const [from, to, bit] of edges) b.add(from, to, bit);
  return b.build();
}

function budget(stepsMax = 1e9): Budget {
  return { steps: 0, stepsMax, deadlineMs: Infinity, now: () => 0, exhausted: false };
}

function classify(g: Graph): Record<string, FoundCycle | null | 'unknown'> {
  const scc = new SccWorkspace(g);
  const all = Int32Array.from({ length: g.nodeCount }, (_, i) => i);
  const comps = scc.components(all, 0xff, null, 0);
  expect(comps.length).toBe(1);
  const search = new CycleSearch(g, scc, budget());
  const out: Record<string, FoundCycle | null | 'unknown'> = {};
  for (const b of BASE_CLASSES) out[b] = search.find(comps[0], cycleClass(b, 0, ''));
  out['G0-realtime'] = search.find(comps[0], cycleClass('G0', REALTIME, '-realtime'));
  return out;
}

describe('graph and SCCs', () => {
  it('merges parallel edges into one pair with both bits and drops self-edges', () => {
    const g = graph(2, [[0, 1, WW], [0, 1, RW], [1, 1, WW]]);
    expect(Array.from(g.targets)).toEqual([1]);
    expect(g.kinds[0]).toBe(WW | RW);
  });

  it('realtime ranges join the stored edges: a shared pair carries both bits and counts once; skipped txns get none', () => {
    const b = new EdgeBuilder(4);
    b.add(0, 1, WW);
    b.add(1, 2, RW);
    const realtime = { lo: Int32Array.of(1, 0, 0, 0), hi: Int32Array.of(4, 0, 0, 0), skip: Uint8Array.of(0, 0, 0, 1) };
    const g = b.build(realtime);
    expect(edgeKinds(g, 0, 1)).toBe(WW | REALTIME);
    expect(edgeKinds(g, 0, 2)).toBe(REALTIME);
    expect(edgeKinds(g, 0, 3)).toBe(0);
    const out: [number, number][] = [];
    forEachOut(g, 0, (w, bits) => out.push([w, bits]));
    expect(out).toEqual([[1, WW | REALTIME], [2, REALTIME]]);
    expect(g.edgeCount).toBe(3);
    expect(new SccWorkspace(g).components(Int32Array.of(0, 1, 2, 3), REALTIME, null, 0)).toEqual([]);
  });

  it('finds components iteratively on a 200 000-node ring plus a tail', () => {
    const n = 200_000;
    const edges: [number, number, number][] = [];
    for (let i = 0; i < n - 1; i++) edges.push([i, i + 1, WW]);
    edges.push([n - 2, 0, WW]);
    const g = graph(n, edges);
    const comps = new SccWorkspace(g).components(Int32Array.from({ length: n }, (_, i) => i), 0xff, null, 0);
    expect(comps.map((c) => c.length)).toEqual([n - 1]);
  });
});

describe('class-constrained cycles', () => {
  it('finds the shortest G0 cycle, not the first one', () => {
    // Long ww cycle 0→1→2→3→0 and a short one 2→4→2.
    const g = graph(5, [[0, 1, WW], [1, 2, WW], [2, 3, WW], [3, 0, WW], [2, 4, WW], [4, 2, WW]]);
    const found = classify(g);
    expect((found.G0 as FoundCycle).nodes.length).toBe(2);
    expect(found.G1c).toBeNull();
  });

  it('G-single needs exactly one rw; G2-item two', () => {
    const single = classify(graph(2, [[0, 1, RW], [1, 0, WR]]));
    expect((single['G-single'] as FoundCycle).bits.sort()).toEqual([WR, RW].sort());
    expect(single['G2-item']).toBeNull();
    expect(single.G1c).toBeNull();
    const skew = classify(graph(2, [[0, 1, RW], [1, 0, RW]]));
    expect(skew['G-single']).toBeNull();
    expect(skew['G2-item']).not.toBeNull();
    expect(skew['G-nonadjacent']).toBeNull();
  });

  it('G-nonadjacent counts the wrap-around: rw wr rw on a triangle is adjacent', () => {
    const triangle = classify(graph(3, [[0, 1, RW], [1, 2, WR], [2, 0, RW]]));
    expect(triangle['G-nonadjacent']).toBeNull();
    expect(triangle['G2-item']).not.toBeNull();
    const square = classify(graph(4, [[0, 1, RW], [1, 2, WR], [2, 3, RW], [3, 0, WW]]));
    expect((square['G-nonadjacent'] as FoundCycle).nodes.length).toBe(4);
  });

  it('a -realtime class needs a realtime edge', () => {
    const g = graph(3, [[0, 1, WW], [1, 0, WW], [1, 2, WW], [2, 1, REALTIME]]);
    const found = classify(g);
    expect((found.G0 as FoundCycle).nodes.length).toBe(2);
    const rt = found['G0-realtime'] as FoundCycle;
    expect(rt.bits).toContain(REALTIME);
    expect(rt.nodes.sort()).toEqual([1, 2]);
  });

  it('returns unknown when the step budget runs out', () => {
    const g = graph(2, [[0, 1, RW], [1, 0, RW]]);
    const scc = new SccWorkspace(g);
    const comps = scc.components(Int32Array.from([0, 1]), 0xff, null, 0);
    const search = new CycleSearch(g, scc, budget(0));
    expect(search.find(comps[0], cycleClass('G2-item', 0, ''))).toBe('unknown');
  });
});

describe('closed walks are split into simple cycles', () => {
  it('splitSimple cuts out the stretch between two visits of a txn', () => {
    // 1 -a-> 2 -b-> 1 -c-> 3 -d-> 1 (a walk through 1 twice): cycles [1,2] and [1,3].
    const cycles = splitSimple({ nodes: [1, 2, 1, 3], bits: [1, 2, 4, 8] });
    expect(cycles.map((c) => c.nodes).sort()).toEqual([[1, 2], [1, 3]]);
    const byNodes = new Map(cycles.map((c) => [c.nodes.join(','), c.bits]));
    expect(byNodes.get('1,2')).toEqual([1, 2]);
    expect(byNodes.get('1,3')).toEqual([4, 8]);
  });

  it('a walk with two rw edges through a repeated txn is two G-single cycles, not G-nonadjacent', () => {
    const walk = { nodes: [1, 2, 1, 3], bits: [RW, WW, RW, WW] };
    expect(acceptsCycle(cycleClass('G-nonadjacent', 0, ''), walk)).toBe(true);
    const simple = splitSimple(walk);
    expect(simple.every((c) => acceptsCycle(cycleClass('G-single', 0, ''), c))).toBe(true);
    expect(simple.some((c) => acceptsCycle(cycleClass('G-nonadjacent', 0, ''), c))).toBe(false);
  });

  it('G2-item needs two rw edges in a row (Elle\'s cycle-explainer), counting the wrap-around', () => {
    const g2 = cycleClass('G2-item', 0, '');
    expect(acceptsCycle(g2, { nodes: [1, 2, 3], bits: [RW, RW, WW] })).toBe(true);
    expect(acceptsCycle(g2, { nodes: [1, 2, 3], bits: [RW, WW, RW] })).toBe(true);
    expect(acceptsCycle(g2, { nodes: [1, 2, 3, 4], bits: [RW, WW, RW, WR] })).toBe(false);
  });
});
