// checker/elle/rw-register.ts — rw-register inference: unique writes, version order from what reads, writes and orders allow.
//
// Follows Elle (jepsen-io/elle src/elle/rw_register.clj). A txn's external read of a key is its
// first micro-op on it when that is a read; its external write is its last write to the key.
// The version order of each key is a graph built from sources, in Elle's order:
//   initial-state  null, the initial version, precedes every version (always);
//   wfr-keys       a txn that reads v and then writes w installs w after v (on by default);
//   sequential-keys  per process, the last version one txn left precedes the first the next
//                  txn on that key met (opt-in: assumes each key is sequentially consistent);
//   linearizable-keys  the same along real-time order (opt-in: each key linearizable).
// A source that would make some key's version graph cyclic is dropped and the cycle reported
// (cyclic-versions). Every version edge v1 → v2 of k gives ww from v1's external writer to
// v2's, and rw from v1's external readers to v2's writer; wr edges join each external read to
// its writer. Failed txns get no edges.
import type { OpKey, Process } from '../../history/op.ts';
import { EdgeBuilder, RW, WR, WW } from './graph.ts';
import { AnomalySink, KeyIndex, ValueIndex, name, type Inference, type Justification } from './inference.ts';
import { checkInternal } from './internal.ts';
import { SccWorkspace } from './scc.ts';
import { FAIL, INFO, OK, showValue, type TxnTable } from './txns.ts';

/** VersionSource: where a version edge came from (index into SOURCE_NAMES). */
const INITIAL = 0;
const WFR = 1;
const SEQUENTIAL = 2;
const LINEARIZABLE = 3;
const SOURCE_NAMES = ['initial-state', 'wfr-keys', 'sequential-keys', 'linearizable-keys'] as const;

/** RwRegisterOptions: which assumptions may order versions (Elle's :wfr-keys?, :sequential-keys?, :linearizable-keys?). */
export interface RwRegisterOptions {
  wfrKeys: boolean;
  sequentialKeys: boolean;
  linearizableKeys: boolean;
}

/** NONE marks "no version": a txn that did not touch the key that way. NIL(k) is key k's initial version. */
const NONE = -1;

interface State {
  table: TxnTable;
  keyIds: KeyIndex;
  keys: OpKey[];
  /** Per key: written value → write id. */
  writeOf: ValueIndex[];
  /** Per key: every write id, for reads of the initial null. */
  writesOfKey: number[][];
  wWriter: number[];
  wFinal: number[];
  wValue: unknown[];
  wKey: number[];
  /** Per txn: [kid, first version, last version] triples (versions: write id, or -2 - kid for null). */
  ext: number[][];
  /** Write id → [next write id, source] pairs, flattened. */
  successors: Map<number, number[]>;
  /** Version ids read externally by some ok txn → those txns. */
  extReaders: Map<number, number[]>;
}

function nilOf(kid: number): number {
  return -2 - kid;
}

function internKey(s: State, k: OpKey): number {
  const id = s.keyIds.intern(k);
  if (id === s.writeOf.length) { s.writeOf.push(new ValueIndex()); s.writesOfKey.push([]); }
  return id;
}

/** registerWrites records every txn's writes (all statuses), so reads can find their writers. */
function registerWrites(s: State, t: number): void {
  const mops = s.table.mops[t];
  const lastKey: number[] = [];
  const lastId: number[] = [];
  for (const [f, k, v] of mops) {
    const kid = internKey(s, k);
    if (f === 'r') continue;
    if (f !== 'w') throw new Error(`rw-register: micro-op ${f} is not w or r`);
    if (v === null) throw new Error(`rw-register: a write of null to key ${showValue(k)} (null is the initial version)`);
    if (s.writeOf[kid].has(v)) throw new Error(`rw-register: value ${showValue(v)} written twice to key ${showValue(k)} (writes must be unique per key)`);
    const id = s.wWriter.length;
    s.writeOf[kid].set(v, id);
    s.writesOfKey[kid].push(id);
    s.wWriter.push(t); s.wFinal.push(0); s.wValue.push(v); s.wKey.push(kid);
    const slot = lastKey.indexOf(kid);
    if (slot < 0) { lastKey.push(kid); lastId.push(id); } else lastId[slot] = id;
  }
  for (const id of lastId) s.wFinal[id] = 1;
}

/**
 * scanExternal records txn t's external versions per key: the first (its external read when
 * ok, else its external write) and the last (its external write, else its external read).
 * Failed txns and garbage reads contribute nothing.
 */
function scanExternal(s: State, t: number): void {
  const status = s.table.status[t];
  const out: number[] = [];
  if (status !== FAIL) {
    for (const [f, k, v] of s.table.mops[t]) {
      const kid = s.keyIds.get(k);
      let slot = -1;
      for (let i = 0; i < out.length; i += 3) if (out[i] === kid) { slot = i; break; }
      if (f === 'w') {
        const id = s.writeOf[kid].get(v) as number;
        // With no external read, the first version is the external (last) write too.
        if (slot < 0) out.push(kid, id, id);
        else { if (out[slot + 1] === out[slot + 2] && out[slot + 1] >= 0 && s.wWriter[out[slot + 1]] === t) out[slot + 1] = id; out[slot + 2] = id; }
      } else if (slot < 0 && status === OK) {
        const id = v === null ? nilOf(kid) : (s.writeOf[kid].get(v) ?? NONE);
        out.push(kid, id, id);
        if (id !== NONE) {
          const readers = s.extReaders.get(id);
          if (readers === undefined) s.extReaders.set(id, [t]); else readers.push(t);
        }
      }
    }
  }
  s.ext.push(out);
}

/** lastWrite is t's external write to kid (NONE if it wrote none). */
function extWrite(s: State, t: number, kid: number): number {
  for (const [f, k, v] of s.table.mops[t]) if (f === 'w' && s.keyIds.get(k) === kid) return s.writeOf[kid].get(v) as number;
  return NONE;
}

type Pair = [from: number, to: number];

/** wfrPairs: each ok txn's external read of a key, then its external write of it (Elle's wfr-version-graphs). */
function wfrPairs(s: State): Pair[] {
  const pairs: Pair[] = [];
  for (let t = 0; t < s.table.count; t++) {
    if (s.table.status[t] !== OK) continue;
    const ext = s.ext[t];
    for (let i = 0; i < ext.length; i += 3) {
      const first = ext[i + 1];
      // A first version that is a write of t's own is no read; null is handled by initial-state.
      if (first < 0 || s.wWriter[first] === t) continue;
      const w = extWrite(s, t, ext[i]);
      if (w !== NONE && w !== first) pairs.push([first, w]);
    }
  }
  return pairs;
}

/** link adds last → first for one key when both are versions and differ. */
function link(pairs: Pair[], last: number, first: number): void {
  if (last !== NONE && first !== NONE && last !== first) pairs.push([last, first]);
}

/** sequentialPairs: along each process's ok txns, per key (Elle's sequential-keys over process-graph). */
function sequentialPairs(s: State): Pair[] {
  const pairs: Pair[] = [];
  const lastOf = new Map<Process, Map<number, number>>();
  for (let t = 0; t < s.table.count; t++) {
    if (s.table.status[t] !== OK) continue;
    const p = s.table.process[t];
    let last = lastOf.get(p);
    if (last === undefined) { last = new Map(); lastOf.set(p, last); }
    const ext = s.ext[t];
    for (let i = 0; i < ext.length; i += 3) {
      link(pairs, last.get(ext[i]) ?? NONE, ext[i + 1]);
      last.set(ext[i], ext[i + 2]);
    }
  }
  return pairs;
}

/**
 * linearizablePairs: per key, the real-time order of the txns that touched it, as a transitive
 * reduction (Elle's linearizable-keys over realtime-graph): at an invoke, every ok txn on the
 * key's frontier precedes it; an ok completion joins the frontier and evicts what it follows.
 */
function linearizablePairs(s: State): Pair[] {
  const { table } = s;
  const events: number[] = [];
  for (let t = 0; t < table.count; t++) {
    if (table.status[t] === FAIL || s.ext[t].length === 0) continue;
    events.push(table.invokePosition[t] * 2, t);
    if (table.status[t] === OK) events.push(table.completePosition[t] * 2 + 1, t);
  }
  const order = Array.from({ length: events.length / 2 }, (_, i) => i).sort((a, b) => events[2 * a] - events[2 * b]);
  const frontier = new Map<number, number[]>();
  const pairs: Pair[] = [];
  for (const e of order) {
    const t = events[2 * e + 1];
    const completes = (events[2 * e] & 1) === 1;
    const ext = s.ext[t];
    for (let i = 0; i < ext.length; i += 3) {
      const kid = ext[i];
      const list = frontier.get(kid) ?? [];
      if (!completes) {
        // Info txns only wrote for sure: their reads carry nothing.
        const first = table.status[t] === INFO ? extWrite(s, t, kid) : ext[i + 1];
        for (const a of list) link(pairs, lastVersion(s, a, kid), first);
        continue;
      }
      const invoked = table.invokePosition[t];
      const kept = list.filter((a) => table.completePosition[a] > invoked);
      kept.push(t);
      frontier.set(kid, kept);
    }
  }
  return pairs;
}

function lastVersion(s: State, t: number, kid: number): number {
  const ext = s.ext[t];
  for (let i = 0; i < ext.length; i += 3) if (ext[i] === kid) return ext[i + 2];
  return NONE;
}

/**
 * acceptSource adds a source's version pairs unless they make a key's version graph cyclic;
 * then it reports each cycle as cyclic-versions and drops the whole source, as Elle does.
 */
function acceptSource(s: State, pairs: Pair[], source: number, accepted: [number, number, number][], sink: AnomalySink): void {
  if (pairs.length === 0) return;
  const cycles: number[][] = [];
  // A pair into null closes a cycle at once: null precedes every version.
  for (const [from, to] of pairs) if (to < NONE) cycles.push([to, from]);
  const n = s.wWriter.length;
  const b = new EdgeBuilder(n);
  for (const [from, to] of accepted) if (from >= 0) b.add(from, to, WW);
  for (const [from, to] of pairs) if (from >= 0 && to >= 0) b.add(from, to, WW);
  const graph = b.build();
  const all = Int32Array.from({ length: n }, (_, i) => i);
  if (cycles.length === 0 && graph.edgeCount > 0) for (const c of new SccWorkspace(graph).components(all, WW, null, 0)) cycles.push(Array.from(c));
  if (cycles.length === 0) {
    for (const [from, to] of pairs) accepted.push([from, to, source]);
    return;
  }
  for (const cycle of cycles) {
    const known = cycle.find((v) => v >= 0) as number;
    const kid = s.wKey[known];
    const k = s.keys[kid];
    const values = cycle.map((v) => (v < NONE ? null : s.wValue[v]));
    sink.add('cyclic-versions', () => ({ txns: cycle.filter((v) => v >= 0).map((v) => s.wWriter[v]), key: k, value: values,
      explanation: `with ${SOURCE_NAMES[source]}, the versions ${showValue(values)} of key ${showValue(k)} would each precede the next, in a cycle: ` +
        `that source is not used (cyclic versions)` }));
  }
}

function addSuccessor(s: State, from: number, to: number, source: number): void {
  const list = s.successors.get(from);
  if (list === undefined) { s.successors.set(from, [to, source]); return; }
  for (let i = 0; i < list.length; i += 2) if (list[i] === to) return;
  list.push(to, source);
}

/** scanReads checks external reads for G1a, G1b, garbage and lost updates, and adds wr edges. */
function scanReads(s: State, t: number, edges: EdgeBuilder, sink: AnomalySink, lost: Map<string, number>): void {
  const mops = s.table.mops[t];
  const status = s.table.status;
  const seen: number[] = [];
  for (let i = 0; i < mops.length; i++) {
    const [f, k, v] = mops[i];
    const kid = s.keyIds.get(k);
    if (seen.includes(kid)) continue;
    seen.push(kid);
    if (f !== 'r') continue;
    const writesAfter = mops.slice(i + 1).some((m) => m[0] === 'w' && m[1] === k);
    if (writesAfter) {
      const slot = `${kid}:${JSON.stringify(v)}`;
      const other = lost.get(slot);
      if (other === undefined) lost.set(slot, t);
      else sink.add('lost-update', () => ({ txns: [other, t], key: k, value: v,
        explanation: `${name(other)} and ${name(t)} both read key ${showValue(k)} = ${showValue(v)} and both wrote it: each overwrote the same version, so one update is lost (lost update)` }));
    }
    if (v === null) continue;
    const w = s.writeOf[kid].get(v);
    if (w === undefined) {
      sink.add('garbage-read', () => ({ txns: [t], key: k, value: v, explanation: `${name(t)} read key ${showValue(k)} = ${showValue(v)}, but no txn ever wrote ${showValue(v)} to it` }));
      continue;
    }
    const writer = s.wWriter[w];
    if (status[writer] === FAIL) {
      sink.add('G1a', () => ({ txns: [t, writer], key: k, value: v,
        explanation: `${name(t)} read key ${showValue(k)} = ${showValue(v)}, written by ${name(writer)}, which failed (aborted read)` }));
      continue;
    }
    edges.add(writer, t, WR);
    if (s.wFinal[w] === 0) {
      sink.add('G1b', () => ({ txns: [t, writer], key: k, value: v,
        explanation: `${name(t)} read key ${showValue(k)} = ${showValue(v)}, an intermediate write of ${name(writer)}, which wrote key ${showValue(k)} again later in the same txn (intermediate read)` }));
    }
  }
}

/** addVersionEdges turns version edges into ww (external writer to writer) and rw (external readers to writer) edges. */
function addVersionEdges(s: State, edges: EdgeBuilder): void {
  const status = s.table.status;
  const live = (id: number): boolean => status[s.wWriter[id]] !== FAIL && s.wFinal[id] === 1;
  // initial-state: null precedes every version, so its readers precede every writer of the key.
  for (let kid = 0; kid < s.keys.length; kid++) {
    const readers = s.extReaders.get(nilOf(kid));
    if (readers === undefined) continue;
    for (const r of readers) for (const w of s.writesOfKey[kid]) if (live(w)) edges.add(r, s.wWriter[w], RW);
  }
  for (const [from, list] of s.successors) {
    for (let i = 0; i < list.length; i += 2) {
      const to = list[i];
      if (!live(to)) continue;
      const b = s.wWriter[to];
      if (live(from)) edges.add(s.wWriter[from], b, WW);
      for (const r of s.extReaders.get(from) ?? []) edges.add(r, b, RW);
    }
  }
}

/** inferRwRegister adds rw-register edges for `table` to `edges` and returns anomalies and justifications. */
export function inferRwRegister(table: TxnTable, edges: EdgeBuilder, sink: AnomalySink, opts: RwRegisterOptions): Inference {
  const keyIds = new KeyIndex();
  const s: State = {
    table, keyIds, keys: keyIds.keys, writeOf: [], writesOfKey: [], wWriter: [], wFinal: [], wValue: [], wKey: [],
    ext: [], successors: new Map(), extReaders: new Map(),
  };
  for (let t = 0; t < table.count; t++) registerWrites(s, t);
  for (let t = 0; t < table.count; t++) scanExternal(s, t);
  const accepted: [number, number, number][] = [];
  if (opts.wfrKeys) acceptSource(s, wfrPairs(s), WFR, accepted, sink);
  if (opts.sequentialKeys) acceptSource(s, sequentialPairs(s), SEQUENTIAL, accepted, sink);
  if (opts.linearizableKeys) acceptSource(s, linearizablePairs(s), LINEARIZABLE, accepted, sink);
  // Pairs from null add nothing beyond initial-state.
  for (const [from, to, source] of accepted) if (from >= 0) addSuccessor(s, from, to, source);
  const lost = new Map<string, number>();
  for (let t = 0; t < table.count; t++) {
    if (table.status[t] !== OK) continue;
    scanReads(s, t, edges, sink, lost);
    checkInternal(t, table.mops[t], 'rw-register', sink);
  }
  addVersionEdges(s, edges);
  return { anomalies: sink, justify: (from, to, bit) => justify(s, from, to, bit) };
}

const SOURCE_TEXT: Record<number, string> = {
  [INITIAL]: '',
  [WFR]: 'it read it first',
  [SEQUENTIAL]: 'the same process met it first (sequential keys)',
  [LINEARIZABLE]: 'it completed before the other began (linearizable keys)',
};

function justify(s: State, from: number, to: number, bit: number): Justification | null {
  if (bit === WR) {
    for (const [f, k, v] of s.table.mops[to]) {
      const w = f === 'r' && v !== null ? s.writeOf[s.keyIds.get(k)].get(v) : undefined;
      if (w !== undefined && s.wWriter[w] === from) return { key: k, value: v, text: `${name(to)} read key ${showValue(k)} = ${showValue(v)}, written by ${name(from)}` };
    }
    return null;
  }
  const ext = s.ext[from];
  for (let i = 0; i < ext.length; i += 3) {
    const kid = ext[i];
    const k = s.keys[kid];
    // rw starts at from's external read (its first version), ww at its external write (its last).
    const v1 = bit === RW ? ext[i + 1] : ext[i + 2];
    if (v1 === NONE || (bit === RW && v1 >= 0 && s.wWriter[v1] === from) || (bit === WW && (v1 < 0 || s.wWriter[v1] !== from))) continue;
    if (v1 < NONE) {
      const next = s.writesOfKey[kid].find((x) => s.wWriter[x] === to && s.wFinal[x] === 1);
      if (next !== undefined) {
        return { key: k, value: s.wValue[next], text: `${name(to)} wrote ${showValue(s.wValue[next])} to key ${showValue(k)}, a later version than ${name(from)}'s read of key ${showValue(k)} = null (the initial version)` };
      }
      continue;
    }
    const list = s.successors.get(v1) ?? [];
    for (let j = 0; j < list.length; j += 2) {
      const next = list[j];
      if (s.wWriter[next] !== to) continue;
      const why = list[j + 1] === WFR ? `${name(to)} read ${showValue(s.wValue[v1])} first` : SOURCE_TEXT[list[j + 1]];
      const text = bit === WW
        ? `${name(to)} wrote ${showValue(s.wValue[next])} to key ${showValue(k)} over ${showValue(s.wValue[v1])}, written by ${name(from)} (${why})`
        : `${name(to)} wrote ${showValue(s.wValue[next])} to key ${showValue(k)}, a later version than ${name(from)}'s read of key ${showValue(k)} = ${showValue(s.wValue[v1])} (${why})`;
      return { key: k, value: s.wValue[next], text };
    }
  }
  return null;
}
