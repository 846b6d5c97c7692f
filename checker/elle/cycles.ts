// checker/elle/cycles.ts — shortest cycle of each anomaly class inside one component, by BFS over (txn, class state).
//
// A class is a small automaton over edge types (Adya's definitions as Elle uses them): G0 uses
// ww only; G1c ww+wr with at least one wr; G-single exactly one rw; G-nonadjacent two or more
// rw, no two adjacent (the cycle wraps around); G2-item two or more rw, two of them adjacent (as Elle names them). The -process and
// -realtime variants also allow that order edge and need at least one of it. BFS from a start
// finds the shortest accepted cycle through it; starts are the sources of the class's rarest
// required edge type, inside the components of the subgraph of allowed types.
import { DATA, outDegree, PROCESS, REALTIME, RW, WR, WW, type Graph } from './graph.ts';
import type { SccWorkspace } from './scc.ts';
import type { CycleAnomalyType } from './types.ts';

const CNT = 3;
const FIRST_RW = 4;
const LAST_RW = 8;
const HAS_WR = 16;
const HAS_EXTRA = 32;
/** Two rw edges in a row somewhere (Elle names a cycle G2-item only then; else G-nonadjacent). */
const ADJ_RW = 64;
const STATE_BITS = 128;

export type BaseClass = 'G0' | 'G1c' | 'G-single' | 'G-nonadjacent' | 'G2-item';
export const BASE_CLASSES: readonly BaseClass[] = ['G0', 'G1c', 'G-single', 'G-nonadjacent', 'G2-item'];

/** CycleClass: one anomaly class as an automaton over edge types. */
export interface CycleClass {
  type: CycleAnomalyType;
  base: BaseClass;
  allowed: number;
  /** PROCESS or REALTIME for variants, else 0. */
  extra: number;
  required: number;
  relevant: number;
  /** compact[state] is the dense index of a relevant state; stateCount of them. */
  compact: Int8Array;
  stateCount: number;
}

/** cycleClass builds the automaton for `base`, optionally as its -process/-realtime variant. */
export function cycleClass(base: BaseClass, extra: number, suffix: '' | '-process' | '-realtime'): CycleClass {
  const rwClass = base !== 'G0' && base !== 'G1c';
  const allowed = (base === 'G0' ? WW : base === 'G1c' ? WW | WR : DATA) | extra;
  const relevant = HAS_EXTRA | (base === 'G1c' ? HAS_WR : 0) | (rwClass ? CNT : 0) |
    (base === 'G-nonadjacent' ? FIRST_RW | LAST_RW : 0) | (base === 'G2-item' ? FIRST_RW | LAST_RW | ADJ_RW : 0);
  const compact = new Int8Array(STATE_BITS).fill(-1);
  let stateCount = 0;
  for (let s = 0; s < STATE_BITS; s++) if ((s & ~relevant) === 0 && (s & CNT) !== CNT) compact[s] = stateCount++;
  const required = extra !== 0 ? extra : rwClass ? RW : base === 'G1c' ? WR : WW;
  return { type: `${base}${suffix}` as CycleAnomalyType, base, allowed, extra, required, relevant, compact, stateCount };
}

/** step moves class state s along an edge of one type bit; -1 when the class forbids it. */
function step(c: CycleClass, s: number, bit: number, first: boolean): number {
  const rw = bit === RW;
  if (c.base === 'G-nonadjacent' && rw && !first && (s & LAST_RW) !== 0) return -1;
  const cnt = Math.min(2, (s & CNT) + (rw ? 1 : 0));
  if (c.base === 'G-single' && cnt > 1) return -1;
  let next = cnt | (first ? (rw ? FIRST_RW : 0) : s & FIRST_RW) | (rw ? LAST_RW : 0) | (s & (HAS_WR | HAS_EXTRA | ADJ_RW));
  if (rw && !first && (s & LAST_RW) !== 0) next |= ADJ_RW;
  if (bit === WR) next |= HAS_WR;
  if ((bit & c.extra) !== 0) next |= HAS_EXTRA;
  return next & c.relevant;
}

function accepts(c: CycleClass, s: number): boolean {
  if (c.extra !== 0 && (s & HAS_EXTRA) === 0) return false;
  const cnt = s & CNT;
  switch (c.base) {
    case 'G0': return true;
    case 'G1c': return (s & HAS_WR) !== 0;
    case 'G-single': return cnt === 1;
    case 'G-nonadjacent': return cnt === 2 && !((s & FIRST_RW) !== 0 && (s & LAST_RW) !== 0);
    case 'G2-item': return cnt === 2 && ((s & ADJ_RW) !== 0 || ((s & FIRST_RW) !== 0 && (s & LAST_RW) !== 0));
  }
}

/** Budget bounds the whole cycle search: BFS edge relaxations and a wall-clock deadline. */
export interface Budget {
  steps: number;
  stepsMax: number;
  deadlineMs: number;
  now: () => number;
  exhausted: boolean;
}

function spend(b: Budget, n: number): boolean {
  b.steps += n;
  if (b.steps > b.stepsMax || ((b.steps & 0xfff) < n && b.now() > b.deadlineMs)) b.exhausted = true;
  return !b.exhausted;
}

/** FoundCycle: txn ids in cycle order (nodes[i] → nodes[i+1 mod n]) and the edge bit each step used. */
export interface FoundCycle {
  nodes: number[];
  bits: number[];
}

/**
 * OrderFacts answers "did a certainly precede b" without a graph path: a completed ok before b
 * was invoked (real time), or also ran on b's process (process order). Realtime edges are kept
 * as a transitive reduction, so one such fact can stand for a long path of edges.
 */
export interface OrderFacts {
  precedes(a: number, b: number, bit: number): boolean;
}

/**
 * collapseOrderRuns shortens a cycle for its reader: a run of two or more order edges (process
 * or real time) is one fact, "the first completed before the last began", so the txns inside
 * the run drop out. The run keeps the process bit only when every edge in it is a process edge.
 */
export function collapseOrderRuns(cycle: FoundCycle): FoundCycle {
  const n = cycle.bits.length;
  const isOrder = (i: number): boolean => (cycle.bits[i % n] & (PROCESS | REALTIME)) !== 0;
  let start = 0;
  while (start < n && isOrder(start)) start++;
  if (start === n) return cycle;
  // Rotate so the walk starts after a data edge: runs never wrap around the end.
  const nodes: number[] = [];
  const bits: number[] = [];
  for (let j = 1; j <= n; j++) {
    const i = (start + j) % n;
    const node = cycle.nodes[i];
    const bit = cycle.bits[i];
    const previous = bits.length > 0 ? bits[bits.length - 1] : 0;
    if ((previous & (PROCESS | REALTIME)) !== 0 && (bit & (PROCESS | REALTIME)) !== 0) {
      bits[bits.length - 1] = previous === PROCESS && bit === PROCESS ? PROCESS : REALTIME;
      continue;
    }
    nodes.push(node);
    bits.push(bit);
  }
  // Rotate back so the cycle starts where it did when its first txn stays.
  const first = nodes.indexOf(cycle.nodes[0]);
  if (first <= 0) return { nodes, bits };
  return { nodes: [...nodes.slice(first), ...nodes.slice(0, first)], bits: [...bits.slice(first), ...bits.slice(0, first)] };
}

/** CycleSearch keeps per-graph scratch arrays; labels mark which nodes a search may visit. */
export class CycleSearch {
  private readonly label: Int32Array;
  private readonly local: Int32Array;
  private labelNext = 1;
  private seen = new Int32Array(0);
  private parent = new Int32Array(0);
  private parentBit = new Uint8Array(0);
  private queue = new Int32Array(0);
  private stamp = 0;
  /** The BFS queue's end (a field so relax can append). */
  private tail = 0;
  private cachedComponent: Int32Array | null = null;
  private presentBits = 0;
  private readonly subsByMask = new Map<number, Int32Array[]>();

  constructor(private readonly g: Graph, private readonly scc: SccWorkspace, private readonly budget: Budget, private readonly facts: OrderFacts | null = null) {
    this.label = new Int32Array(g.nodeCount);
    this.local = new Int32Array(g.nodeCount);
    for (let i = 0; i < g.kinds.length; i++) this.presentBits |= g.kinds[i];
    const rt = g.realtime;
    if (rt !== null) for (let v = 0; v < g.nodeCount && (this.presentBits & REALTIME) === 0; v++) if (rt.only[v] > 0) this.presentBits |= REALTIME;
  }

  /** find returns the shortest cycle of class c found in `component`, null if none, 'unknown' if out of budget. */
  find(component: Int32Array, c: CycleClass): FoundCycle | null | 'unknown' {
    // Classes share edge masks (three base classes use all data edges): compute each mask's
    // components once per component; on a giant component that pass is most of the cost.
    if (component !== this.cachedComponent) { this.cachedComponent = component; this.subsByMask.clear(); }
    let subs = this.subsByMask.get(c.allowed);
    // A mask covering every edge kind the graph has leaves the component whole.
    if (subs === undefined && (this.presentBits & ~c.allowed) === 0) subs = [component];
    if (subs === undefined) {
      const top = this.labelNext++;
      for (let i = 0; i < component.length; i++) this.label[component[i]] = top;
      subs = this.scc.components(component, c.allowed, this.label, top);
      this.subsByMask.set(c.allowed, subs);
    }
    for (const sub of subs) {
      const lab = this.labelNext++;
      for (let i = 0; i < sub.length; i++) { this.label[sub[i]] = lab; this.local[sub[i]] = i; }
      const found = this.searchSub(sub, lab, c);
      if (found !== null) return found;
    }
    return null;
  }

  private searchSub(sub: Int32Array, lab: number, c: CycleClass): FoundCycle | null | 'unknown' {
    const size = sub.length * c.stateCount;
    if (this.seen.length < size) {
      this.seen = new Int32Array(size); this.parent = new Int32Array(size);
      this.parentBit = new Uint8Array(size); this.queue = new Int32Array(size);
      this.stamp = 0;
    }
    if (c.extra !== 0) {
      const pair = this.orderPair(sub, lab, c);
      if (pair !== null) return pair;
    }
    const refineMax = 16;
    let best: FoundCycle | null = null;
    let triedAfterBest = 0;
    for (let i = 0; i < sub.length; i++) {
      const s = sub[i];
      if (!this.hasRequired(s, lab, c)) continue;
      const found = this.bfs(s, sub, lab, c, best === null ? Infinity : best.nodes.length - 1);
      if (found === 'unknown') return best ?? 'unknown';
      // Compare by what the reader holds in mind: order runs count as one fact.
      if (found !== null) {
        const shown = collapseOrderRuns(found);
        if (best === null || shown.nodes.length < best.nodes.length) best = shown;
      }
      if (best !== null && ++triedAfterBest > refineMax) break;
    }
    return best;
  }

  /**
   * orderPair looks for the smallest cycle an order class can have: one data edge a → b where b
   * certainly preceded a (e.g. a read that missed an append completed long before it began).
   * One pass over the component's edges; the reduced realtime path from b back to a may be long.
   */
  private orderPair(sub: Int32Array, lab: number, c: CycleClass): FoundCycle | null {
    if (this.facts === null) return null;
    const { offsets, targets, kinds } = this.g;
    for (let j = 0; j < sub.length; j++) {
      const a = sub[j];
      if (!spend(this.budget, outDegree(this.g, a) + 1)) return null;
      for (let i = offsets[a]; i < offsets[a + 1]; i++) {
        const b = targets[i];
        let bits = kinds[i] & c.allowed & DATA;
        if (bits === 0 || this.label[b] !== lab || !this.facts.precedes(b, a, c.extra)) continue;
        while (bits !== 0) {
          const bit = bits & -bits;
          bits ^= bit;
          const cycle: FoundCycle = { nodes: [a, b], bits: [bit, c.extra] };
          if (acceptsCycle(c, cycle)) return cycle;
        }
      }
    }
    return null;
  }

  private hasRequired(v: number, lab: number, c: CycleClass): boolean {
    const { offsets, targets, kinds, realtime: rt } = this.g;
    for (let i = offsets[v]; i < offsets[v + 1]; i++) if ((kinds[i] & c.required) !== 0 && this.label[targets[i]] === lab) return true;
    // Stored edges carrying REALTIME were seen above, so the range needs no such check here.
    if (rt === null || (c.required & REALTIME) === 0) return false;
    for (let w = rt.lo[v]; w < rt.hi[v]; w++) if (rt.skip[w] === 0 && this.label[w] === lab) return true;
    return false;
  }

  /** bfs from s over (node, state) pairs; cycles longer than lengthMax are not wanted. */
  private bfs(s: number, sub: Int32Array, lab: number, c: CycleClass, lengthMax: number): FoundCycle | null | 'unknown' {
    const g = this.g;
    const { offsets, targets, kinds } = g;
    const rt = (c.allowed & REALTIME) !== 0 ? g.realtime : null;
    const S = c.stateCount;
    const stamp = ++this.stamp;
    const root = this.local[s] * S + c.compact[0];
    const states = new Int8Array(S);
    for (let st = 0; st < STATE_BITS; st++) if (c.compact[st] >= 0) states[c.compact[st]] = st;
    this.seen[root] = stamp;
    this.queue[0] = root;
    let head = 0;
    this.tail = 1;
    for (let depth = 1; depth <= lengthMax && head < this.tail; depth++) {
      const levelEnd = this.tail;
      for (; head < levelEnd; head++) {
        const prod = this.queue[head];
        const v = sub[(prod / S) | 0];
        const st = states[prod % S];
        if (!spend(this.budget, outDegree(g, v) + 1)) return 'unknown';
        for (let i = offsets[v]; i < offsets[v + 1]; i++) {
          const w = targets[i];
          if (this.label[w] !== lab) continue;
          const found = this.relax(s, root, sub, c, prod, st, w, kinds[i] & c.allowed);
          if (found !== null) return found;
        }
        // Realtime successors, after the stored edges (the order forEachOut gives). One that is
        // also a stored edge's target was relaxed there with REALTIME among its bits, so relaxing
        // it again finds every product state seen and every closing walk already tried.
        if (rt === null || rt.only[v] === 0) continue;
        for (let w = rt.lo[v]; w < rt.hi[v]; w++) {
          if (rt.skip[w] === 1 || this.label[w] !== lab) continue;
          const found = this.relax(s, root, sub, c, prod, st, w, REALTIME);
          if (found !== null) return found;
        }
      }
    }
    return null;
  }

  /** relax follows the edge from product node prod (class state st) to w along each of `bits`; a cycle of c closing at s ends the search. */
  private relax(s: number, root: number, sub: Int32Array, c: CycleClass, prod: number, st: number, w: number, bits: number): FoundCycle | null {
    const S = c.stateCount;
    while (bits !== 0) {
      const bit = bits & -bits;
      bits ^= bit;
      const next = step(c, st, bit, prod === root);
      if (next < 0) continue;
      if (w === s) {
        if (!accepts(c, next)) continue;
        // The product BFS finds closed walks; a walk that revisits a txn is only evidence
        // of this class if one of the simple cycles it splits into is of the class.
        const simple = simpleCycleOfClass(c, this.path(prod, root, S, sub, bit));
        if (simple !== null) return simple;
        continue;
      }
      const p = this.local[w] * S + c.compact[next];
      if (this.seen[p] === this.stamp) continue;
      this.seen[p] = this.stamp;
      this.parent[p] = prod;
      this.parentBit[p] = bit;
      this.queue[this.tail++] = p;
    }
    return null;
  }

  private path(last: number, root: number, S: number, sub: Int32Array, closing: number): FoundCycle {
    const nodes: number[] = [];
    const bits: number[] = [closing];
    let p = last;
    for (let guard = 0; guard <= sub.length * S; guard++) {
      nodes.push(sub[(p / S) | 0]);
      if (p === root) break;
      bits.push(this.parentBit[p]);
      p = this.parent[p];
    }
    nodes.reverse();
    bits.reverse();
    return { nodes, bits };
  }
}

/** acceptsCycle runs the class automaton along a whole cycle, from its first edge. */
export function acceptsCycle(c: CycleClass, cycle: FoundCycle): boolean {
  let state = 0;
  for (let i = 0; i < cycle.bits.length; i++) {
    state = step(c, state, cycle.bits[i], i === 0);
    if (state < 0) return false;
  }
  return accepts(c, state);
}

/**
 * splitSimple splits a closed walk into simple cycles: whenever a txn repeats, the stretch
 * between its two visits is cut out as a cycle of its own. Iterative, bounded by the walk.
 */
export function splitSimple(walk: FoundCycle): FoundCycle[] {
  const cycles: FoundCycle[] = [];
  const nodes: number[] = [];
  const bits: number[] = [];
  const at = new Map<number, number>();
  for (let i = 0; i <= walk.nodes.length; i++) {
    const v = walk.nodes[i % walk.nodes.length];
    const seen = at.get(v);
    if (seen !== undefined) {
      cycles.push({ nodes: nodes.slice(seen), bits: bits.slice(seen) });
      for (let j = seen; j < nodes.length; j++) at.delete(nodes[j]);
      nodes.length = seen;
      bits.length = seen;
    }
    if (i === walk.nodes.length) break;
    at.set(v, nodes.length);
    nodes.push(v);
    bits.push(walk.bits[i]);
  }
  return cycles;
}

/** simpleCycleOfClass returns the walk itself when simple, else a simple cycle of class c inside it. */
function simpleCycleOfClass(c: CycleClass, walk: FoundCycle): FoundCycle | null {
  if (new Set(walk.nodes).size === walk.nodes.length) return walk;
  for (const cycle of splitSimple(walk)) if (acceptsCycle(c, cycle)) return cycle;
  return null;
}
