// checker/elle/inference.ts — what a workload's inference hands the cycle search: edges, point anomalies, justifications.
import type { OpKey } from '../../history/op.ts';
import type { PointAnomalyType } from './types.ts';

/** PointAnomaly: an anomaly seen without a cycle; txns are dense txn ids. */
export interface PointAnomaly {
  type: PointAnomalyType;
  txns: number[];
  key?: OpKey;
  value?: unknown;
  explanation: string;
}

/** Justification: the key/value behind one edge and a sentence saying why it exists. */
export interface Justification {
  key?: OpKey;
  value?: unknown;
  text: string;
}

/** Inference: a workload's view of the history after edges were added to the shared builder. */
export interface Inference {
  anomalies: AnomalySink;
  /** justify explains from → to for one data edge bit (ww, wr, rw), or null if it cannot. */
  justify(from: number, to: number, bit: number): Justification | null;
}

/** AnomalySink counts every anomaly but builds and keeps only the first few of each type. */
export class AnomalySink {
  readonly kept: PointAnomaly[] = [];
  readonly counts = new Map<PointAnomalyType, number>();

  constructor(private readonly perTypeMax: number) {}

  /** add counts one anomaly of `type`; `build` runs only while fewer than perTypeMax are kept. */
  add(type: PointAnomalyType, build: () => Omit<PointAnomaly, 'type'>): void {
    const count = (this.counts.get(type) ?? 0) + 1;
    this.counts.set(type, count);
    if (count <= this.perTypeMax) this.kept.push({ type, ...build() });
  }
}

/** name labels txn `id` in explanations. */
export function name(id: number): string {
  return `T${id}`;
}

/** sameValue compares JSON values: primitives by ===, others structurally. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** valueKey maps a JSON value to something a Map can key on. */
export function valueKey(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
}

/** DENSE_VALUE_MAX: small non-negative integer values are indexed by an array instead of a Map. */
const DENSE_VALUE_MAX = 4096;

/**
 * ValueIndex maps the values written to one key to ids. Workloads write small per-key integers,
 * so those go to a dense array (no hashing, no Map per key); anything else falls back to a Map.
 */
export class ValueIndex {
  private readonly dense: number[] = [];
  private map: Map<unknown, number> | null = null;

  get(v: unknown): number | undefined {
    if (typeof v === 'number' && v >= 0 && v < DENSE_VALUE_MAX && (v | 0) === v) {
      const id = this.dense[v];
      return id === undefined || id === 0 ? undefined : id - 1;
    }
    return this.map === null ? undefined : this.map.get(valueKey(v));
  }

  has(v: unknown): boolean {
    return this.get(v) !== undefined;
  }

  set(v: unknown, id: number): void {
    if (typeof v === 'number' && v >= 0 && v < DENSE_VALUE_MAX && (v | 0) === v) {
      while (this.dense.length < v) this.dense.push(0);
      this.dense[v] = id + 1;
      return;
    }
    if (this.map === null) this.map = new Map();
    this.map.set(valueKey(v), id);
  }
}

/** KeyIndex interns keys to dense ids; small non-negative integer keys skip the Map. */
export class KeyIndex {
  private small = new Int32Array(1024).fill(-1);
  private readonly map = new Map<unknown, number>();
  readonly keys: (string | number)[] = [];

  /** get returns k's id or -1. */
  get(k: string | number): number {
    if (typeof k === 'number' && k >= 0 && k < this.small.length && (k | 0) === k) return this.small[k];
    return this.map.get(k) ?? -1;
  }

  /** intern returns k's id, assigning the next one on first sight. */
  intern(k: string | number): number {
    const found = this.get(k);
    if (found >= 0) return found;
    const id = this.keys.length;
    this.keys.push(k);
    if (typeof k === 'number' && k >= 0 && k < 1 << 22 && (k | 0) === k) {
      if (k >= this.small.length) {
        let size = this.small.length;
        while (size <= k) size *= 2;
        const grown = new Int32Array(size).fill(-1);
        grown.set(this.small);
        this.small = grown;
      }
      this.small[k] = id;
    } else {
      this.map.set(k, id);
    }
    return id;
  }
}
