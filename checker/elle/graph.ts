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

/** EdgeSink receives edges: an EdgeBuilder, or build()'s counting and placing passes. */
export interface EdgeSink {
  add(from: number, to: number, bit: number): void;
}

/**
 * EdgeSource regenerates a family of edges into a sink, the same edges on every call. build()
 * calls it twice (count, place) so large derived families (real-time order) are never stored
 * as an edge list.
 */
export type EdgeSource = (sink: EdgeSink) => void;

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
   * build sorts the stored edges and those of `sources` by source (counting sort) and merges
   * duplicates into one pair with OR-ed bits.
   */
  build(sources: readonly EdgeSource[] = []): Graph {
    const n = this.nodeCount;
    const start = new Int32Array(n + 1);
    this.forEachChunk((src, _dst, _kind, length) => {
      for (let i = 0; i < length; i++) start[src[i] + 1]++;
    });
    let total = this.size;
    const counter: EdgeSink = { add: (from, to) => { if (from !== to) { start[from + 1]++; total++; } } };
    for (const source of sources) source(counter);
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
    let placed = this.size;
    const placer: EdgeSink = {
      add: (from, to, bit) => {
        if (from === to) return;
        const at = fill[from]++;
        targets[at] = to;
        kinds[at] = bit;
        placed++;
      },
    };
    for (const source of sources) source(placer);
    assert(placed === total, 'build: edge sources must give the same edges on every call');
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
    return { nodeCount: n, offsets, targets: targets.subarray(0, out), kinds: kinds.subarray(0, out) };
  }
}

/** Graph in compressed sparse rows: the out-edges of v are targets[offsets[v] .. offsets[v+1]). */
export interface Graph {
  nodeCount: number;
  offsets: Int32Array;
  targets: Int32Array;
  kinds: Uint8Array;
}

/** edgeKinds returns the bits on from → to, 0 when there is no edge. */
export function edgeKinds(g: Graph, from: number, to: number): number {
  for (let i = g.offsets[from]; i < g.offsets[from + 1]; i++) if (g.targets[i] === to) return g.kinds[i];
  return 0;
}
