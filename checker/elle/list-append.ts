// checker/elle/list-append.ts — list-append inference: version orders from read prefixes, point anomalies, ww/wr/rw edges.
import type { OpKey } from '../../history/op.ts';
import { EdgeBuilder, RW, WR, WW } from './graph.ts';
import { AnomalySink, KeyIndex, ValueIndex, name, sameValue, type Inference, type Justification } from './inference.ts';
import { checkInternal } from './internal.ts';
import { FAIL, OK, showValue, type TxnTable } from './txns.ts';

/** Appends and reads in parallel arrays: one entry per append / per ok read micro-op. */
interface State {
  table: TxnTable;
  keyIds: KeyIndex;
  keys: OpKey[];
  /** Per key: appended value → append id. */
  appendOf: ValueIndex[];
  appendCount: number;
  appWriter: Int32Array;
  appFinal: Uint8Array;
  /** Position of the append in its key's version order, -1 when never read. */
  appPos: Int32Array;
  readCount: number;
  readTxn: Int32Array;
  readKey: Int32Array;
  readList: unknown[][];
  readExternal: Uint8Array;
  /** 1 when the reading txn appends to the key after this (external) read. */
  readThenAppend: Uint8Array;
  /** Per key: the longest read's list and its append ids (-1 for garbage). */
  order: unknown[][];
  /** Per key: the append ids of the longest read (plain arrays: tens of thousands of small typed arrays strain the GC). */
  orderIds: number[][];
}

function internKey(s: State, k: OpKey): number {
  const id = s.keyIds.intern(k);
  if (id === s.appendOf.length) s.appendOf.push(new ValueIndex());
  return id;
}

/** Scratch arrays reused by scanTxn: per key touched by the current txn. */
interface Scratch {
  touched: number[];
  lastAppend: number[];
  externalRead: number[];
}

/** scanTxn registers one txn's appends (every status) and its reads (ok only). */
function scanTxn(s: State, t: number, sink: AnomalySink, scratch: Scratch): void {
  const mops = s.table.mops[t];
  const ok = s.table.status[t] === OK;
  // Txns are short: linear scans over the keys touched so far beat a Map per txn.
  const { touched, lastAppend, externalRead } = scratch;
  touched.length = 0; lastAppend.length = 0; externalRead.length = 0;
  for (let i = 0; i < mops.length; i++) {
    const mop = mops[i];
    const f = mop[0];
    const k = mop[1];
    const v = mop[2];
    const kid = internKey(s, k);
    let slot = touched.indexOf(kid);
    if (slot < 0) { slot = touched.length; touched.push(kid); lastAppend.push(-1); externalRead.push(-1); }
    if (f === 'append') {
      const map = s.appendOf[kid];
      if (map.has(v)) {
        throw new Error(`list-append: value ${showValue(v)} appended twice to key ${showValue(k)} (values must be unique per key)`);
      }
      const id = s.appendCount++;
      map.set(v, id);
      s.appWriter[id] = t;
      lastAppend[slot] = id;
      if (externalRead[slot] >= 0) s.readThenAppend[externalRead[slot]] = 1;
    } else if (f === 'r') {
      if (!ok) continue;
      if (v !== null && !Array.isArray(v)) throw new Error(`list-append: read of key ${showValue(k)} returned ${showValue(v)}, not a list`);
      const id = s.readCount++;
      const external = lastAppend[slot] < 0 && externalRead[slot] < 0;
      s.readTxn[id] = t; s.readKey[id] = kid; s.readList[id] = (v ?? []) as unknown[];
      s.readExternal[id] = external ? 1 : 0;
      if (external) externalRead[slot] = id;
    } else {
      throw new Error(`list-append: micro-op ${f} is not append or r`);
    }
  }
  for (let i = 0; i < lastAppend.length; i++) if (lastAppend[i] >= 0) s.appFinal[lastAppend[i]] = 1;
  if (ok && mops.length > 1 && touched.length < mops.length) checkInternal(t, mops, 'list-append', sink);
}

/**
 * checkElements flags garbage, aborted (G1a) and duplicate elements in one read and returns
 * their append ids. For a key's longest read (`longest`) it also records each append's position
 * in the version order, and finds duplicates through those positions rather than a Set per key.
 */
function checkElements(s: State, r: number, sink: AnomalySink, longest: boolean): number[] {
  const list = s.readList[r];
  const kid = s.readKey[r];
  const k = s.keys[kid];
  const t = s.readTxn[r];
  const ids: number[] = [];
  const seen = longest ? null : new Set<number>();
  let failedAt = -1;
  for (let p = 0; p < list.length; p++) {
    const id = s.appendOf[kid].get(list[p]);
    ids.push(id ?? -1);
    if (id === undefined) {
      sink.add('garbage-read', () => ({ txns: [t], key: k, value: list[p],
        explanation: `${name(t)} read key ${showValue(k)} = ${showValue(list)}, but no txn ever appended ${showValue(list[p])} to it` }));
      continue;
    }
    const duplicate = seen === null ? s.appPos[id] >= 0 : seen.has(id);
    if (duplicate) {
      sink.add('duplicate-elements', () => ({ txns: [t], key: k, value: list[p],
        explanation: `${name(t)} read key ${showValue(k)} = ${showValue(list)}, which holds ${showValue(list[p])} more than once` }));
    } else if (seen === null) {
      s.appPos[id] = p;
    } else {
      seen.add(id);
    }
    const w = s.appWriter[id];
    if (s.table.status[w] === FAIL) {
      failedAt = p;
      sink.add('G1a', () => ({ txns: [t, w], key: k, value: list[p],
        explanation: `${name(t)} read key ${showValue(k)} = ${showValue(list)}, observing ${showValue(list[p])}, appended by ${name(w)}, which failed (aborted read)` }));
    } else if (longest && failedAt >= 0) {
      const a = s.appendOf[kid].get(list[failedAt]) as number;
      const fw = s.appWriter[a];
      const fv = list[failedAt];
      failedAt = -1;
      sink.add('dirty-update', () => ({ txns: [fw, w], key: k, value: list[p],
        explanation: `${name(w)} appended ${showValue(list[p])} to key ${showValue(k)} on top of ${showValue(fv)}, written by ${name(fw)}, which failed (dirty update)` }));
    }
  }
  return ids;
}

/** buildOrders picks each key's longest read as its version order and checks every read against it. */
function buildOrders(s: State, sink: AnomalySink): Uint8Array {
  const longest = new Int32Array(s.keys.length).fill(-1);
  for (let r = 0; r < s.readCount; r++) {
    const kid = s.readKey[r];
    if (longest[kid] < 0 || s.readList[r].length > s.readList[longest[kid]].length) longest[kid] = r;
  }
  for (let kid = 0; kid < s.keys.length; kid++) {
    const r = longest[kid];
    s.order.push(r < 0 ? [] : s.readList[r]);
    s.orderIds.push(r < 0 ? [] : checkElements(s, r, sink, true));
  }
  const compatible = new Uint8Array(s.readCount);
  for (let r = 0; r < s.readCount; r++) {
    const order = s.order[s.readKey[r]];
    const list = s.readList[r];
    let same = list.length <= order.length;
    for (let p = 0; same && p < list.length; p++) same = list[p] === order[p] || sameValue(list[p], order[p]);
    if (same) { compatible[r] = 1; continue; }
    const k = s.keys[s.readKey[r]];
    const t = s.readTxn[r];
    sink.add('incompatible-order', () => ({ txns: [t], key: k, value: list,
      explanation: `${name(t)} read key ${showValue(k)} = ${showValue(list)}, which is not a prefix of the longest read ${showValue(order)}: no single order of appends explains both` }));
    checkElements(s, r, sink, false);
  }
  return compatible;
}

/** addEdges adds ww edges along each version order and wr/rw edges from compatible external reads. */
function addEdges(s: State, compatible: Uint8Array, edges: EdgeBuilder, sink: AnomalySink): void {
  const status = s.table.status;
  for (let kid = 0; kid < s.keys.length; kid++) {
    const ids = s.orderIds[kid];
    for (let p = 0; p + 1 < ids.length; p++) {
      if (ids[p] < 0 || ids[p + 1] < 0) continue;
      const a = s.appWriter[ids[p]];
      const b = s.appWriter[ids[p + 1]];
      if (status[a] !== FAIL && status[b] !== FAIL) edges.add(a, b, WW);
    }
  }
  // Lost-update slots keyed by (key id, read length) packed into one number.
  const lost = new Map<number, number>();
  if (s.keys.length >= 2 ** 21) throw new Error('list-append: more than 2^21 keys');
  for (let r = 0; r < s.readCount; r++) {
    if (compatible[r] === 0 || s.readExternal[r] === 0) continue;
    const t = s.readTxn[r];
    const kid = s.readKey[r];
    const ids = s.orderIds[kid];
    const m = s.readList[r].length;
    if (m > 0 && ids[m - 1] >= 0) {
      const a = ids[m - 1];
      const w = s.appWriter[a];
      if (w !== t && status[w] !== FAIL) {
        edges.add(w, t, WR);
        if (s.appFinal[a] === 0) reportIntermediate(s, r, a, sink);
      }
    }
    if (m < ids.length && ids[m] >= 0) {
      const w = s.appWriter[ids[m]];
      if (status[w] !== FAIL) edges.add(t, w, RW);
    }
    if (s.readThenAppend[r] === 1) {
      const slot = kid * 2 ** 32 + m;
      const other = lost.get(slot);
      if (other === undefined) lost.set(slot, r);
      else reportLost(s, other, r, sink);
    }
  }
}

function reportIntermediate(s: State, r: number, a: number, sink: AnomalySink): void {
  const t = s.readTxn[r];
  const w = s.appWriter[a];
  const k = s.keys[s.readKey[r]];
  const list = s.readList[r];
  sink.add('G1b', () => ({ txns: [t, w], key: k, value: list[list.length - 1],
    explanation: `${name(t)} read key ${showValue(k)} = ${showValue(list)}, ending in ${showValue(list[list.length - 1])}, ` +
      `an intermediate append of ${name(w)}, which appended to key ${showValue(k)} again later in the same txn (intermediate read)` }));
}

function reportLost(s: State, r1: number, r2: number, sink: AnomalySink): void {
  const t1 = s.readTxn[r1];
  const t2 = s.readTxn[r2];
  const k = s.keys[s.readKey[r1]];
  const list = s.readList[r1];
  sink.add('lost-update', () => ({ txns: [t1, t2], key: k, value: list,
    explanation: `${name(t1)} and ${name(t2)} both read key ${showValue(k)} = ${showValue(list)} and both appended to it: ` +
      `each updated the same version, so one update is lost (lost update)` }));
}

/** inferListAppend adds list-append edges for `table` to `edges` and returns anomalies and justifications. */
export function inferListAppend(table: TxnTable, edges: EdgeBuilder, sink: AnomalySink): Inference {
  // collectTxns counted the micro-ops, so the per-append and per-read columns are typed arrays allocated once.
  const appends = table.writeMopCount;
  const reads = table.okReadMopCount;
  const keyIds = new KeyIndex();
  const s: State = {
    table, keyIds, keys: keyIds.keys, appendOf: [],
    appendCount: 0, appWriter: new Int32Array(appends), appFinal: new Uint8Array(appends), appPos: new Int32Array(appends).fill(-1),
    readCount: 0, readTxn: new Int32Array(reads), readKey: new Int32Array(reads), readList: new Array<unknown[]>(reads),
    readExternal: new Uint8Array(reads), readThenAppend: new Uint8Array(reads), order: [], orderIds: [],
  };
  const scratch: Scratch = { touched: [], lastAppend: [], externalRead: [] };
  for (let t = 0; t < table.count; t++) scanTxn(s, t, sink, scratch);
  const compatible = buildOrders(s, sink);
  addEdges(s, compatible, edges, sink);
  return { anomalies: sink, justify: (from, to, bit) => justify(s, from, to, bit) };
}

function writerOf(s: State, kid: number, p: number): number {
  const ids = s.orderIds[kid];
  return p >= 0 && p < ids.length && ids[p] >= 0 ? s.appWriter[ids[p]] : -1;
}

function justify(s: State, from: number, to: number, bit: number): Justification | null {
  const isReader = bit === WW ? from : bit === WR ? to : from;
  for (const [f, k, v] of s.table.mops[isReader]) {
    const kid = s.keyIds.get(k);
    if (bit === WW && f === 'append') {
      const p = s.appPos[s.appendOf[kid].get(v) as number];
      if (p >= 0 && writerOf(s, kid, p + 1) === to) {
        const next = s.order[kid][p + 1];
        return { key: k, value: next, text: `${name(to)} appended ${showValue(next)} to key ${showValue(k)} right after ${name(from)} appended ${showValue(v)}` };
      }
    } else if (f === 'r' && (v === null || Array.isArray(v))) {
      const list = (v ?? []) as unknown[];
      const m = list.length;
      if (bit === WR && m > 0 && writerOf(s, kid, m - 1) === from) {
        return { key: k, value: list[m - 1], text: `${name(to)} read key ${showValue(k)} = ${showValue(list)}, observing ${name(from)}'s append of ${showValue(list[m - 1])}` };
      }
      if (bit === RW && writerOf(s, kid, m) === to && sameValue(s.order[kid].slice(0, m), list)) {
        const next = s.order[kid][m];
        return { key: k, value: next, text: `${name(to)} appended ${showValue(next)} to key ${showValue(k)} after ${name(from)} read key ${showValue(k)} = ${showValue(list)} without it` };
      }
    }
  }
  return null;
}
