// checker/elle/sim-store.ts — a simulated transactional store that writes txn histories, for tests and the bench.
//
// Threads run transactions with random invoke / start / commit / complete instants. The
// `serializable` engine executes each txn atomically at its commit instant (between invoke and
// completion, so the history is strict-serializable by construction). The `snapshot` engine
// reads from a snapshot taken at the start instant and commits with first-committer-wins on
// write-write conflicts (snapshot isolation: write skew is possible, lost updates are not).
// The `no-conflict-check` engine is snapshot isolation without first-committer-wins: a broken
// store, for showing that the checker finds lost updates in random histories.
import type { Op } from '../../history/op.ts';

export interface SimOptions {
  workload: 'list-append' | 'rw-register';
  engine: 'serializable' | 'snapshot' | 'no-conflict-check';
  txnCount: number;
  concurrency: number;
  /** Keys in use at once. */
  keyCount: number;
  /** Writes after which a key is retired for a fresh one (Elle's max-writes-per-key). 0 = never. */
  writesPerKeyMax: number;
  /** Micro-ops per txn, 1..mopsMax. */
  mopsMax: number;
  failRate: number;
  /** Fraction of txns completing info; half of those commit anyway. */
  infoRate: number;
  seed: number;
  /** Add two concurrent txns that each read keys "skew-x" and "skew-y" and write one of them, then a reader. */
  plantWriteSkew?: boolean;
}

type Mop = [string, number | string, unknown];

/** mulberry32: a small seeded PRNG (the simulator must replay from its seed). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Txn {
  process: number;
  mops: Mop[];
  /** Event instants: invoke < start <= commit < complete. */
  times: [number, number, number, number];
  outcome: 'ok' | 'fail' | 'info';
  commits: boolean;
  snapshotSeq: number;
  result: Mop[];
}

/** Store keeps every committed version per key with its commit sequence number. */
class Store {
  seq = 0;
  /** keepAll: snapshots need old versions; a serializable store only ever reads the newest. */
  constructor(private readonly keepAll: boolean) {}

  private readonly versions = new Map<number | string, { seq: number; value: unknown }[]>();

  read(key: number | string, seqMax: number): unknown {
    const list = this.versions.get(key);
    if (list === undefined) return null;
    for (let i = list.length - 1; i >= 0; i--) if (list[i].seq <= seqMax) return list[i].value;
    return null;
  }

  lastWriteSeq(key: number | string): number {
    const list = this.versions.get(key);
    return list === undefined ? 0 : list[list.length - 1].seq;
  }

  install(key: number | string, value: unknown): void {
    let list = this.versions.get(key);
    if (list === undefined) { list = []; this.versions.set(key, list); }
    if (!this.keepAll) list.length = 0;
    list.push({ seq: this.seq, value });
  }
}

/** execute runs t's micro-ops against `store` at snapshot seqMax, returning results and writes. */
function execute(t: Txn, store: Store, seqMax: number, workload: SimOptions['workload']): Map<number | string, unknown> {
  const local = new Map<number | string, unknown>();
  t.result = t.mops.map(([f, k, v]): Mop => {
    const current = local.has(k) ? local.get(k) : store.read(k, seqMax);
    if (f === 'r') return [f, k, workload === 'list-append' && current !== null ? [...(current as unknown[])] : current];
    local.set(k, workload === 'list-append' ? [...((current ?? []) as unknown[]), v] : v);
    return [f, k, v];
  });
  return local;
}

/** commit applies t at the current instant; the snapshot engine aborts on a write-write conflict. */
function commit(t: Txn, store: Store, opts: SimOptions): boolean {
  const seqMax = opts.engine === 'serializable' ? store.seq : t.snapshotSeq;
  const writes = execute(t, store, seqMax, opts.workload);
  if (opts.engine === 'snapshot') {
    for (const k of writes.keys()) if (store.lastWriteSeq(k) > t.snapshotSeq) return false;
  }
  if (!t.commits) return false;
  store.seq++;
  for (const [k, v] of writes) store.install(k, v);
  return true;
}

class Generator {
  private readonly nextValue = new Map<number | string, number>();
  private readonly active: number[] = [];
  private keyNext = 0;

  constructor(private readonly opts: SimOptions, private readonly rand: () => number) {
    for (let i = 0; i < opts.keyCount; i++) this.active.push(this.keyNext++);
  }

  mops(): Mop[] {
    const count = 1 + Math.floor(this.rand() * this.opts.mopsMax);
    const out: Mop[] = [];
    for (let i = 0; i < count; i++) {
      const slot = Math.floor(this.rand() * this.active.length);
      const k = this.active[slot];
      if (this.rand() < 0.5) { out.push(['r', k, null]); continue; }
      out.push([this.opts.workload === 'list-append' ? 'append' : 'w', k, this.value(k)]);
      if (this.opts.writesPerKeyMax > 0 && (this.nextValue.get(k) ?? 0) > this.opts.writesPerKeyMax) this.active[slot] = this.keyNext++;
    }
    return out;
  }

  value(k: number | string): number {
    const v = (this.nextValue.get(k) ?? 0) + 1;
    this.nextValue.set(k, v);
    return v;
  }
}

interface Thread {
  process: number;
  txn: Txn | null;
  /** Next event of txn: 0 invoke, 1 start, 2 commit, 3 complete. */
  phase: number;
  timeNext: number;
  scripted: boolean;
}

function newTxn(process: number, mops: Mop[], times: Txn['times'], outcome: Txn['outcome'], commits: boolean): Txn {
  return { process, mops, times, outcome, commits, snapshotSeq: 0, result: [] };
}

function plantedThreads(workload: SimOptions['workload']): Thread[] {
  const base = 1_000_000;
  const w = workload === 'list-append' ? 'append' : 'w';
  const a = newTxn(base, [['r', 'skew-x', null], ['r', 'skew-y', null], [w, 'skew-x', 1]], [0, 0.1, 0.5, 0.6], 'ok', true);
  const b = newTxn(base + 1, [['r', 'skew-x', null], ['r', 'skew-y', null], [w, 'skew-y', 1]], [0, 0.2, 0.7, 0.8], 'ok', true);
  const c = newTxn(base + 2, [['r', 'skew-x', null], ['r', 'skew-y', null]], [1, 1, 1.1, 1.2], 'ok', true);
  return [a, b, c].map((txn) => ({ process: txn.process, txn, phase: 0, timeNext: txn.times[0], scripted: true }));
}

/** invokeValue is what a client sends: reads carry null. */
function invokeValue(t: Txn): Mop[] {
  return t.mops.map(([f, k, v]) => [f, k, f === 'r' ? null : v]);
}

/** simulate runs the store and returns its history (Op records with index and time). */
export function simulate(opts: SimOptions): Op[] {
  const history: Op[] = [];
  simulateTo(opts, (op) => history.push(op));
  return history;
}

/** simulateTo runs the store and hands each history record to `emit`; returns the record count. */
export function simulateTo(opts: SimOptions, emit: (op: Op) => void): number {
  const rand = prng(opts.seed);
  const gen = new Generator(opts, rand);
  const store = new Store(opts.engine !== 'serializable');
  let index = 0;
  const threads: Thread[] = [];
  for (let p = 0; p < opts.concurrency; p++) threads.push({ process: p, txn: null, phase: 0, timeNext: rand(), scripted: false });
  if (opts.plantWriteSkew === true) threads.push(...plantedThreads(opts.workload));
  let started = 0;
  const record = (t: Thread, type: Op['type'], value: unknown, time: number): void => {
    emit({ index: index++, time: Math.floor(time * 1e6), type, process: t.process, f: 'txn', value });
  };
  for (let guard = 0; guard < 8 * (opts.txnCount + threads.length) + 16; guard++) {
    let next: Thread | null = null;
    for (const t of threads) if (t.timeNext < Infinity && (next === null || t.timeNext < next.timeNext)) next = t;
    if (next === null) break;
    const now = next.timeNext;
    if (next.phase === 0) {
      if (next.txn === null) {
        if (started >= opts.txnCount) { next.timeNext = Infinity; continue; }
        const r = rand();
        const outcome = r < opts.failRate ? 'fail' : r < opts.failRate + opts.infoRate ? 'info' : 'ok';
        const start = now + rand();
        const commitAt = start + rand();
        next.txn = newTxn(next.process, gen.mops(), [now, start, commitAt, commitAt + rand() + 0.001], outcome, outcome === 'ok' || (outcome === 'info' && rand() < 0.5));
      }
      if (!next.scripted) started++;
      record(next, 'invoke', invokeValue(next.txn), now);
    } else if (next.phase === 1) {
      (next.txn as Txn).snapshotSeq = store.seq;
    } else if (next.phase === 2) {
      const txn = next.txn as Txn;
      if (!commit(txn, store, opts) && txn.outcome === 'ok') txn.outcome = 'fail';
    } else {
      const txn = next.txn as Txn;
      record(next, txn.outcome, txn.outcome === 'ok' ? txn.result : invokeValue(txn), now);
      if (txn.outcome === 'info') next.process += opts.concurrency;
      next.txn = null;
      next.phase = 0;
      next.timeNext = next.scripted ? Infinity : now + rand() * 0.1;
      continue;
    }
    next.phase++;
    next.timeNext = (next.txn as Txn).times[next.phase];
  }
  return index;
}
