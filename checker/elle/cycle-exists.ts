// checker/elle/cycle-exists.ts — when the cycle search runs out of budget: prove that some cycle exists, and show one.
//
// Elle (jepsen-io/elle src/elle/txn.clj, cycle-exists-specs, cycle-exists-cases and
// cycle-cases-in-scc-fallback): a model holds only if a certain subgraph is acyclic, and a
// subgraph is cyclic exactly when it has a strongly connected component of two or more txns.
// That is linear to decide even where finding the shortest cycle of each class is not. So a
// component whose search ran out of budget still yields "a cycle violating M exists among these
// txns" for each such subgraph, and a subgraph without a component rules out the classes that
// would need one. One plain BFS cycle, classified by its edges, gives the reader an example.
import { type BaseClass, type FoundCycle } from './cycles.ts';
import { EdgeBuilder, edgeKinds, forEachOut, PROCESS, REALTIME, RW, WR, WW, type Graph } from './graph.ts';
import { SccWorkspace } from './scc.ts';
import type { CycleAnomalyType, CycleExistsType } from './types.ts';

/** CycleExistsSpec: a subgraph that must be acyclic for `model` (ours) to hold. */
interface CycleExistsSpec {
  type: CycleExistsType;
  model: string;
  /** Edge bits of the subgraph; with `then`, the sequential extension A ∪ (A;B) of A = mask and B = then. */
  mask: number;
  then?: number;
  text: string;
  /** The cycle classes whose cycles lie in this subgraph: no component here rules them out. */
  classes: CycleAnomalyType[];
}

const DATA_WW_WR = WW | WR;

/** CYCLE_EXISTS_SPECS: Elle's specs (PL-3 equals PL-2.99 without predicates, so it is left out). */
export const CYCLE_EXISTS_SPECS: readonly CycleExistsSpec[] = [
  { type: 'PL-1-cycle-exists', model: 'read-uncommitted', mask: WW, text: 'ww edges', classes: ['G0'] },
  { type: 'PL-2-cycle-exists', model: 'read-committed', mask: DATA_WW_WR, text: 'ww and wr edges', classes: ['G0', 'G1c'] },
  { type: 'PL-SI-cycle-exists', model: 'snapshot-isolation', mask: DATA_WW_WR, then: RW, text: 'ww and wr edges with rw edges, no two rw edges adjacent',
    classes: ['G0', 'G1c', 'G-single', 'G-nonadjacent'] },
  { type: 'PL-2.99-cycle-exists', model: 'repeatable-read', mask: WW | WR | RW, text: 'ww, wr and rw edges',
    classes: ['G0', 'G1c', 'G-single', 'G-nonadjacent', 'G2-item'] },
  { type: 'strong-session-PL-1-cycle-exists', model: 'strong-session-snapshot-isolation', mask: WW | PROCESS, text: 'ww and process edges',
    classes: ['G0', 'G0-process'] },
  { type: 'strong-session-PL-2-cycle-exists', model: 'strong-session-snapshot-isolation', mask: DATA_WW_WR | PROCESS, text: 'ww, wr and process edges',
    classes: ['G0', 'G1c', 'G0-process', 'G1c-process'] },
  { type: 'strong-session-snapshot-isolation-cycle-exists', model: 'strong-session-snapshot-isolation', mask: DATA_WW_WR | PROCESS, then: RW,
    text: 'ww, wr and process edges with rw edges, no two rw edges adjacent',
    classes: ['G0', 'G1c', 'G-single', 'G-nonadjacent', 'G0-process', 'G1c-process', 'G-single-process', 'G-nonadjacent-process'] },
  { type: 'strong-session-serializable-cycle-exists', model: 'strong-session-serializable', mask: WW | WR | RW | PROCESS, text: 'ww, wr, rw and process edges',
    classes: ['G0', 'G1c', 'G-single', 'G-nonadjacent', 'G2-item', 'G0-process', 'G1c-process', 'G-single-process', 'G-nonadjacent-process', 'G2-item-process'] },
  { type: 'strong-PL-1-cycle-exists', model: 'strong-snapshot-isolation', mask: WW | REALTIME, text: 'ww and real-time edges', classes: ['G0', 'G0-realtime'] },
  { type: 'strong-PL-2-cycle-exists', model: 'strong-snapshot-isolation', mask: DATA_WW_WR | REALTIME, text: 'ww, wr and real-time edges',
    classes: ['G0', 'G1c', 'G0-realtime', 'G1c-realtime'] },
  { type: 'strong-snapshot-isolation-cycle-exists', model: 'strong-snapshot-isolation', mask: DATA_WW_WR | REALTIME, then: RW,
    text: 'ww, wr and real-time edges with rw edges, no two rw edges adjacent',
    classes: ['G0', 'G1c', 'G-single', 'G-nonadjacent', 'G0-realtime', 'G1c-realtime', 'G-single-realtime', 'G-nonadjacent-realtime'] },
  { type: 'PL-SS-cycle-exists', model: 'strict-serializable', mask: WW | WR | RW | REALTIME, text: 'ww, wr, rw and real-time edges',
    classes: ['G0', 'G1c', 'G-single', 'G-nonadjacent', 'G2-item', 'G0-realtime', 'G1c-realtime', 'G-single-realtime', 'G-nonadjacent-realtime', 'G2-item-realtime'] },
];

/** CYCLE_EXISTS_TYPES lists every cycle-exists anomaly name. */
export const CYCLE_EXISTS_TYPES: readonly CycleExistsType[] = CYCLE_EXISTS_SPECS.map((s) => s.type);

/** FALLBACK_MASKS: Elle's fallback order, weakest edges first, so the example cycle is as plain as the graph allows. */
const FALLBACK_MASKS = [WW, WW | REALTIME | PROCESS, WW | WR, WW | WR | REALTIME | PROCESS, WW | WR | RW, WW | WR | RW | REALTIME | PROCESS];

/** CycleExists: one spec's finding in one component: the smallest component of its subgraph. */
export interface CycleExists {
  spec: CycleExistsSpec;
  /** Txns of the smallest strongly connected component of the spec's subgraph. */
  txns: Int32Array;
}

/** Examination: what the linear checks proved about a component whose search did not finish. */
export interface Examination {
  found: CycleExists[];
  /** Classes no cycle of which can exist here (their subgraph has no component). */
  impossible: Set<CycleAnomalyType>;
  /** An example cycle, shortest through its first txn, in the weakest subgraph that has one. */
  example: FoundCycle | null;
}

/** CycleExistence examines components with linear-time SCC checks; `edgeBits` are the order edges present. */
export class CycleExistence {
  private readonly label: Int32Array;
  private labelNext = 1;

  constructor(private readonly g: Graph, private readonly scc: SccWorkspace, private readonly edgeBits: number) {
    this.label = new Int32Array(g.nodeCount);
  }

  /** examine runs every spec whose edges the graph has on `component`. */
  examine(component: Int32Array): Examination {
    const found: CycleExists[] = [];
    const impossible = new Set<CycleAnomalyType>();
    for (const spec of CYCLE_EXISTS_SPECS) {
      const order = spec.mask & (PROCESS | REALTIME);
      if (order !== 0 && (order & this.edgeBits) === 0) continue;
      const smallest = this.smallest(component, spec);
      if (smallest === null) { for (const c of spec.classes) impossible.add(c); continue; }
      found.push({ spec, txns: smallest });
    }
    return { found, impossible, example: this.example(component) };
  }

  private mark(component: Int32Array): number {
    const lab = this.labelNext++;
    for (let i = 0; i < component.length; i++) this.label[component[i]] = lab;
    return lab;
  }

  private smallest(component: Int32Array, spec: CycleExistsSpec): Int32Array | null {
    const subs = spec.then === undefined
      ? this.scc.components(component, spec.mask, this.label, this.mark(component))
      : this.extensionComponents(component, spec.mask, spec.then);
    let best: Int32Array | null = null;
    for (const s of subs) if (best === null || s.length < best.length) best = s;
    return best;
  }

  /**
   * extensionComponents finds the components of A ∪ (A;B) without building A;B: each txn y
   * gets a twin y' entered by A edges and left by y's B edges, so x →A y' →B z stands for
   * x → z. A component with two or more nodes there is a cycle of A ∪ (A;B) (a lone x →A y' →B x
   * is the self-loop Elle counts too); it is reported as its original txns.
   */
  private extensionComponents(component: Int32Array, a: number, b: number): Int32Array[] {
    const m = component.length;
    const lab = this.mark(component);
    const local = new Map<number, number>();
    for (let i = 0; i < m; i++) local.set(component[i], i);
    const builder = new EdgeBuilder(2 * m);
    for (let i = 0; i < m; i++) {
      forEachOut(this.g, component[i], (w, bits) => {
        if (this.label[w] !== lab) return;
        const j = local.get(w) as number;
        if ((bits & a) !== 0) { builder.add(i, j, WW); builder.add(i, j + m, WW); }
        if ((bits & b) !== 0) builder.add(i + m, j, WW);
      });
    }
    const twin = builder.build();
    const all = Int32Array.from({ length: 2 * m }, (_, i) => i);
    return new SccWorkspace(twin).components(all, WW, null, 0).map((c) => {
      const txns = new Set<number>();
      for (const x of c) txns.add(component[x % m]);
      return Int32Array.from(txns);
    });
  }

  /** example: a BFS cycle through the first txn of the smallest component of the weakest cyclic subgraph. */
  private example(component: Int32Array): FoundCycle | null {
    for (const mask of FALLBACK_MASKS) {
      const subs = this.scc.components(component, mask, this.label, this.mark(component));
      if (subs.length === 0) continue;
      let sub = subs[0];
      for (const s of subs) if (s.length < sub.length) sub = s;
      return this.bfsCycle(sub, mask);
    }
    return null;
  }

  private bfsCycle(sub: Int32Array, mask: number): FoundCycle {
    const lab = this.mark(sub);
    const root = sub[0];
    const parent = new Map<number, number>([[root, -1]]);
    const queue = [root];
    let closing = -1;
    for (let head = 0; head < queue.length && closing < 0; head++) {
      const v = queue[head];
      forEachOut(this.g, v, (w, bits) => {
        if (closing >= 0 || (bits & mask) === 0 || this.label[w] !== lab) return;
        if (w === root) { closing = v; return; }
        if (parent.has(w)) return;
        parent.set(w, v);
        queue.push(w);
      });
    }
    if (closing >= 0) return this.path(parent, closing, mask);
    throw new Error('elle: assertion failed: a strongly connected component has a cycle through each of its txns');
  }

  private path(parent: Map<number, number>, last: number, mask: number): FoundCycle {
    const nodes: number[] = [];
    for (let v = last; v !== -1; v = parent.get(v) as number) nodes.push(v);
    nodes.reverse();
    const bits = nodes.map((v, i) => plainestBit(edgeKinds(this.g, v, nodes[(i + 1) % nodes.length]) & mask));
    return { nodes, bits };
  }
}

/** plainestBit picks the edge reason that makes the weakest claim: data before order, ww before wr before rw. */
function plainestBit(bits: number): number {
  for (const bit of [WW, WR, RW, PROCESS, REALTIME]) if ((bits & bit) !== 0) return bit;
  throw new Error('elle: assertion failed: a cycle step has an edge');
}

/** classifyCycle names a cycle by its edges, as Elle's cycle-explainer does: rw count and adjacency, then -realtime / -process. */
export function classifyCycle(cycle: FoundCycle): { base: BaseClass; type: CycleAnomalyType } {
  const n = cycle.bits.length;
  let rw = 0, wr = 0, adjacent = false, realtime = false, process = false;
  for (let i = 0; i < n; i++) {
    const bit = cycle.bits[i];
    if (bit === RW) { rw++; if (cycle.bits[(i + 1) % n] === RW) adjacent = true; }
    if (bit === WR) wr++;
    if (bit === REALTIME) realtime = true;
    if (bit === PROCESS) process = true;
  }
  const base: BaseClass = rw === 1 ? 'G-single' : rw > 1 ? (adjacent ? 'G2-item' : 'G-nonadjacent') : wr > 0 ? 'G1c' : 'G0';
  const suffix = realtime ? '-realtime' : process ? '-process' : '';
  return { base, type: `${base}${suffix}` as CycleAnomalyType };
}
