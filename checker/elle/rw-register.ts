// checker/elle/rw-register.ts — rw-register inference: unique writes, version order from what reads and writes allow.
//
// Version order (sound under Elle's assumptions): the initial version is null and precedes
// every write; a txn that reads v of k and then writes w to k installs w after v ("writes
// follow reads", Elle's wfr); a txn's consecutive writes to one key are ordered. ww and rw edges
// exist only where this order is known; wr edges come from every external read.
import type { OpKey } from '../../history/op.ts';
import { EdgeBuilder, RW, WR, WW } from './graph.ts';
import { AnomalySink, KeyIndex, ValueIndex, name, type Inference, type Justification } from './inference.ts';
import { checkInternal } from './internal.ts';
import { FAIL, OK, showValue, type TxnTable } from './txns.ts';

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
  /** Write id → write ids known to come right after it. */
  successors: Map<number, number[]>;
}

function internKey(s: State, k: OpKey): number {
  const id = s.keyIds.intern(k);
  if (id === s.writeOf.length) { s.writeOf.push(new ValueIndex()); s.writesOfKey.push([]); }
  return id;
}

function addSuccessor(s: State, from: number, to: number): void {
  const list = s.successors.get(from);
  if (list === undefined) s.successors.set(from, [to]);
  else if (!list.includes(to)) list.push(to);
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
    s.wWriter.push(t); s.wFinal.push(0); s.wValue.push(v);
    const slot = lastKey.indexOf(kid);
    if (slot < 0) { lastKey.push(kid); lastId.push(id); } else lastId[slot] = id;
  }
  for (const id of lastId) s.wFinal[id] = 1;
}

/** scanVersions adds the version pairs one txn's own micro-ops imply: read-then-write, write-then-write. */
function scanVersions(s: State, t: number): void {
  const mops = s.table.mops[t];
  const ok = s.table.status[t] === OK;
  const touched: number[] = [];
  // Per touched key: the last write id (-1 none) and the external read's write id (-2 none, -1 null, -3 garbage).
  const lastWrite: number[] = [];
  const readWrite: number[] = [];
  for (const [f, k, v] of mops) {
    const kid = s.keyIds.get(k);
    let slot = touched.indexOf(kid);
    if (slot < 0) { slot = touched.length; touched.push(kid); lastWrite.push(-1); readWrite.push(-2); }
    if (f === 'w') {
      const id = s.writeOf[kid].get(v) as number;
      if (lastWrite[slot] >= 0) addSuccessor(s, lastWrite[slot], id);
      else if (ok && readWrite[slot] >= 0) addSuccessor(s, readWrite[slot], id);
      lastWrite[slot] = id;
    } else if (ok && lastWrite[slot] < 0 && readWrite[slot] === -2) {
      readWrite[slot] = v === null ? -1 : (s.writeOf[kid].get(v) ?? -3);
    }
  }
}

/** scanReads checks external reads and adds wr/rw edges; then ww edges from the version pairs. */
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
    if (v === null) {
      for (const w of s.writesOfKey[kid]) if (s.wWriter[w] !== t && status[s.wWriter[w]] !== FAIL) edges.add(t, s.wWriter[w], RW);
      continue;
    }
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
    for (const next of s.successors.get(w) ?? []) {
      if (s.wWriter[next] !== t && status[s.wWriter[next]] !== FAIL) edges.add(t, s.wWriter[next], RW);
    }
  }
}

/** inferRwRegister adds rw-register edges for `table` to `edges` and returns anomalies and justifications. */
export function inferRwRegister(table: TxnTable, edges: EdgeBuilder, sink: AnomalySink): Inference {
  const keyIds = new KeyIndex();
  const s: State = {
    table, keyIds, keys: keyIds.keys, writeOf: [], writesOfKey: [], wWriter: [], wFinal: [], wValue: [], successors: new Map(),
  };
  for (let t = 0; t < table.count; t++) registerWrites(s, t);
  for (let t = 0; t < table.count; t++) scanVersions(s, t);
  const lost = new Map<string, number>();
  for (let t = 0; t < table.count; t++) {
    if (table.status[t] !== OK) continue;
    scanReads(s, t, edges, sink, lost);
    checkInternal(t, table.mops[t], 'rw-register', sink);
  }
  for (const [from, list] of s.successors) {
    const a = s.wWriter[from];
    for (const to of list) {
      const b = s.wWriter[to];
      if (table.status[a] !== FAIL && table.status[b] !== FAIL) edges.add(a, b, WW);
    }
  }
  return { anomalies: sink, justify: (from, to, bit) => justify(s, from, to, bit) };
}

function justify(s: State, from: number, to: number, bit: number): Justification | null {
  const isReader = bit === WR ? to : bit === RW ? from : to;
  for (const [f, k, v] of s.table.mops[isReader]) {
    const kid = s.keyIds.get(k);
    if (f !== 'r') continue;
    const w = v === null ? -1 : s.writeOf[kid].get(v);
    if (w === undefined) continue;
    if (bit === WR && w >= 0 && s.wWriter[w] === from) {
      return { key: k, value: v, text: `${name(to)} read key ${showValue(k)} = ${showValue(v)}, written by ${name(from)}` };
    }
    if (bit === RW) {
      const nexts = w < 0 ? s.writesOfKey[kid] : (s.successors.get(w) ?? []);
      const next = nexts.find((x) => s.wWriter[x] === to);
      if (next !== undefined) {
        const what = w < 0 ? 'null (the initial version)' : showValue(v);
        return { key: k, value: s.wValue[next], text: `${name(to)} wrote ${showValue(s.wValue[next])} to key ${showValue(k)}, a later version than ${name(from)}'s read of key ${showValue(k)} = ${what}` };
      }
    }
  }
  if (bit === WW) return justifyWw(s, from, to);
  return null;
}

function justifyWw(s: State, from: number, to: number): Justification | null {
  for (const [f, k, v] of s.table.mops[from]) {
    if (f !== 'w') continue;
    const kid = s.keyIds.get(k);
    const w = s.writeOf[kid].get(v) as number;
    const next = (s.successors.get(w) ?? []).find((x) => s.wWriter[x] === to);
    if (next !== undefined) {
      return { key: k, value: s.wValue[next], text: `${name(to)} wrote ${showValue(s.wValue[next])} to key ${showValue(k)} over ${showValue(v)}, written by ${name(from)} (it read ${showValue(v)} first)` };
    }
  }
  return null;
}
