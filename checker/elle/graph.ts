// checker/elle/graph.ts — the dependency graph: edges collected in typed arrays, compiled to CSR.
import { assert } from '../../lib/assert.ts';
import type { EdgeType } from './types.ts';

/** Edge type bits: one (from, to) pair carries the union of the reasons it exists. */
export const WW = 1;
export const WR = 2;
export const RW = 4;
export const PROCESS = 8;
export const REALTIME = 16;
export const DATA = WW | WR | RW;

/** edgeName maps one bit to its name. */
export function edgeName(bit: number): EdgeType {
  switch (bit) {
    case WW: return 'ww';
    case WR: return 'wr';
    case RW: return 'rw';
    case PROCESS: return 'process';
    case REALTIME: return 'realtime';
    default: throw new Error(`edgeName: ${bit} is not one edge bit`);
  }
}

/** EdgeSink receives edges (an EdgeBuilder, or a test's collector). */
export interface EdgeSink {
  add(from: number, to: number, bit: number): void;
}

/**
 * RealtimeRanges holds real-time order implicitly, as Elle's transitive reduction: txn v
 * precedes every txn u with lo[v] <= u < hi[v] and skip[u] === 0. Txn ids run in invoke order,
 * so the txns invoked while v was on the frontier (order-edges.ts) are one id range; two ints a
 * txn replace the millions of stored edges (two thirds of all under strict-serializable).
 */
export interface RealtimeRanges {
  lo: Int32Array;
  hi: Int32Array;
  /** 1 for txns that take no realtime edge (failed ones). */
  skip: Uint8Array;
}

/** Realtime: the ranges plus what build() derived: per txn, realtime pairs not also stored edges. */
export interface Realtime extends RealtimeRanges {
  /** Realtime successors of v that are no stored edge's target (those carry REALTIME in kinds). */
  only: Int32Array;
  /** 1 when some stored edge of v also carries REALTIME: its range must skip that target. */
  shared: Uint8Array;
}

/** CHUNK_EDGES: edges per storage chunk; chunks never move, so growing copies nothing. */
const CHUNK_EDGES = 1 << 20;

/** EdgeBuilder collects edges without per-edge objects: parallel typed-array chunks. */
export class EdgeBuilder implements EdgeSink {
  private readonly srcChunks: Int32Array[] = [];
  private readonly dstChunks: Int32Array[] = [];
  private readonly kindChunks: Uint8Array[] = [];
  private src = new Int32Array(0);
  private dst = new Int32Array(0);
  private kind = new Uint8Array(0);
  private fill = 0;
  size = 0;

  constructor(readonly nodeCount: number) {}

  /** add records from → to for reason `bit`; self-edges carry no ordering and are dropped. */
  add(from: number, to: number, bit: number): void {
    if (from === to) return;
    if (this.fill === this.src.length) this.nextChunk();
    this.src[this.fill] = from;
    this.dst[this.fill] = to;
    this.kind[this.fill] = bit;
    this.fill++;
    this.size++;
  }

  private nextChunk(): void {
    // Small graphs get small chunks; big ones settle at CHUNK_EDGES.
    const cap = Math.min(CHUNK_EDGES, Math.max(1024, this.size));
    this.src = new Int32Array(cap); this.srcChunks.push(this.src);
    this.dst = new Int32Array(cap); this.dstChunks.push(this.dst);
    this.kind = new Uint8Array(cap); this.kindChunks.push(this.kind);
    this.fill = 0;
  }

  /** forEachChunk visits the stored edges chunk by chunk with each chunk's used length. */
  private forEachChunk(visit: (src: Int32Array, dst: Int32Array, kind: Uint8Array, length: number) => void): void {
    const last = this.srcChunks.length - 1;
    for (let c = 0; c <= last; c++) {
      visit(this.srcChunks[c], this.dstChunks[c], this.kindChunks[c], c === last ? this.fill : this.srcChunks[c].length);
    }
  }

  /**
   * build sorts the stored edges by source (counting sort) and merges duplicates into one pair
   * with OR-ed bits. With `realtime`, a stored edge inside its source's range also carries
   * REALTIME, and the graph counts each realtime pair once.
   */
  build(realtime: RealtimeRanges | null = null): Graph {
    const n = this.nodeCount;
    const start = new Int32Array(n + 1);
    this.forEachChunk((src, _dst, _kind, length) => {
      for (let i = 0; i < length; i++) start[src[i] + 1]++;
    });
    const total = this.size;
    for (let v = 0; v < n; v++) start[v + 1] += start[v];
    const fill = start.slice(0, n);
    const targets = new Int32Array(total);
    const kinds = new Uint8Array(total);
    this.forEachChunk((src, dst, kind, length) => {
      for (let i = 0; i < length; i++) {
        const at = fill[src[i]]++;
        targets[at] = dst[i];
        kinds[at] = kind[i];
      }
    });
    // Merge duplicate targets per source, compacting in place; seenAt[t] is t's slot for the
    // current source (fill is reused for it: its counting-sort job is done).
    const seenAt = fill.fill(-1);
    assert(seenAt.length === n, 'build: seenAt covers every node');
    const offsets = new Int32Array(n + 1);
    let out = 0;
    for (let v = 0; v < n; v++) {
      offsets[v] = out;
      const first = out;
      for (let i = start[v]; i < start[v + 1]; i++) {
        const t = targets[i];
        const at = seenAt[t];
        if (at >= first && targets[at] === t) {
          kinds[at] |= kinds[i];
        } else {
          seenAt[t] = out;
          targets[out] = t;
          kinds[out] = kinds[i];
          out++;
        }
      }
    }
    offsets[n] = out;
    assert(out <= total, 'build: merging never adds edges');
    const g: Graph = { nodeCount: n, offsets, targets: targets.subarray(0, out), kinds: kinds.subarray(0, out), realtime: null, edgeCount: out };
    if (realtime !== null) attachRealtime(g, realtime);
    return g;
  }
}

/** attachRealtime marks stored edges that are also realtime pairs and counts the realtime-only ones. */
function attachRealtime(g: Graph, r: RealtimeRanges): void {
  const n = g.nodeCount;
  const { offsets, targets, kinds } = g;
  // unskipped[u] = txns below u that take realtime edges, so a range's size is one subtraction.
  const unskipped = new Int32Array(n + 1);
  for (let u = 0; u < n; u++) unskipped[u + 1] = unskipped[u] + (r.skip[u] === 0 ? 1 : 0);
  const only = new Int32Array(n);
  const shared = new Uint8Array(n);
  let pairs = 0;
  for (let v = 0; v < n; v++) {
    const lo = r.lo[v], hi = r.hi[v];
    if (lo >= hi) continue;
    let count = unskipped[hi] - unskipped[lo];
    for (let i = offsets[v]; i < offsets[v + 1]; i++) {
      const t = targets[i];
      if (t >= lo && t < hi && r.skip[t] === 0) { kinds[i] |= REALTIME; shared[v] = 1; count--; }
    }
    only[v] = count;
    pairs += count;
  }
  g.realtime = { ...r, only, shared };
  g.edgeCount += pairs;
}

/** isStoredRealtime says whether v → w is a stored edge that also carries REALTIME (so v's range skips w). */
export function isStoredRealtime(g: Graph, v: number, w: number): boolean {
  for (let i = g.offsets[v]; i < g.offsets[v + 1]; i++) if (g.targets[i] === w) return (g.kinds[i] & REALTIME) !== 0;
  return false;
}

/**
 * forEachOut visits v's out-edges in the graph's one order (the search and SCC loops inline the
 * same): stored edges with their bits, then realtime-only successors in id order.
 */
export function forEachOut(g: Graph, v: number, visit: (w: number, bits: number) => void): void {
  for (let i = g.offsets[v]; i < g.offsets[v + 1]; i++) visit(g.targets[i], g.kinds[i]);
  const r = g.realtime;
  if (r === null || r.only[v] === 0) return;
  for (let w = r.lo[v]; w < r.hi[v]; w++) {
    if (r.skip[w] === 0 && (r.shared[v] === 0 || !isStoredRealtime(g, v, w))) visit(w, REALTIME);
  }
}

/** outDegree is v's number of distinct successors, realtime-only ones included. */
export function outDegree(g: Graph, v: number): number {
  return g.offsets[v + 1] - g.offsets[v] + (g.realtime === null ? 0 : g.realtime.only[v]);
}

/**
 * Graph in compressed sparse rows: the stored out-edges of v are targets[offsets[v] ..
 * offsets[v+1]); realtime order, when present, is implicit in `realtime` (see forEachOut).
 */
export interface Graph {
  nodeCount: number;
  offsets: Int32Array;
  targets: Int32Array;
  kinds: Uint8Array;
  realtime: Realtime | null;
  /** Distinct (from, to) pairs, realtime ones included. */
  edgeCount: number;
}

/** edgeKinds returns the bits on from → to, 0 when there is no edge. */
export function edgeKinds(g: Graph, from: number, to: number): number {
  for (let i = g.offsets[from]; i < g.offsets[from + 1]; i++) if (g.targets[i] === to) return g.kinds[i];
  const r = g.realtime;
  return r !== null && to >= r.lo[from] && to < r.hi[from] && r.skip[to] === 0 ? REALTIME : 0;
}
