// checker/elle/list-append.ts — list-append inference: version orders from read prefixes, point anomalies, ww/wr/rw edges.
//
// The rules follow Elle (jepsen-io/elle src/elle/list_append.clj). Each key's version order is
// its longest read, duplicates dropped (`append-index`); every other read must be a prefix of
// it (`incompatible-orders`). A read's state is named by its last element (`read-index`): the
// append of that element precedes the reader (wr, `wr-mop-dep`), and the reader precedes the
// next append in the version order (rw, `rw-mop-deps`). An append that no read ever shows still
// came after every element a read shows (`previously-appended-element`): it follows the last
// element of the longest read (ww) and every read of that state (rw); with no read at all, it
// follows the initial empty state and every read of it. Failed txns get no edges.
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
  appKey: Int32Array;
  appFinal: Uint8Array;
  /** Position of the append in its key's version order, -1 when no longest read holds it. */
  appPos: Int32Array;
  readCount: number;
  readTxn: Int32Array;
  readKey: Int32Array;
  readList: unknown[][];
  /** 1 when this is the txn's first micro-op on the key and the txn appends to it later. */
  readThenAppend: Uint8Array;
  /** Per key: the longest read's list, as read (duplicates and garbage included). */
  longest: unknown[][];
  /** Per key: the longest read's append ids, position by position (-1 for garbage). */
  longestIds: number[][];
  /** Per key: the version order, distinct append ids (plain arrays: tens of thousands of small typed arrays strain the GC). */
  orderIds: number[][];
  /** Per key: the first position of the longest read holding a garbage, duplicate or aborted element; its length if none. */
  firstBad: Int32Array;
  /** Per key: appends outside the version order (no longest read holds them), as a CSR over append ids. */
  unseenStart: Int32Array;
  unseenIds: Int32Array;
}

function internKey(s: State, k: OpKey): number {
  const id = s.keyIds.intern(k);
  if (id === s.appendOf.length) s.appendOf.push(new ValueIndex());
  return id;
}

/**
 * Scratch columns reused by scanTxn: per key touched by the current txn. Typed arrays with a
 * separate count, because `array.length = 0` frees a plain array's backing store, and
 * re-growing it for every txn was a third of the checker's allocation.
 */
class Scratch {
  touched: Int32Array = new Int32Array(16);
  lastAppend: Int32Array = new Int32Array(16);
  firstRead: Int32Array = new Int32Array(16);
  count = 0;

  /** slotOf returns kid's slot in the current txn, -1 if the txn has not touched it yet. */
  slotOf(kid: number): number {
    for (let i = 0; i < this.count; i++) if (this.touched[i] === kid) return i;
    return -1;
  }

  /** push adds a slot for kid (no append, no read yet) and returns it. */
  push(kid: number): number {
    if (this.count === this.touched.length) this.grow();
    const slot = this.count++;
    this.touched[slot] = kid; this.lastAppend[slot] = -1; this.firstRead[slot] = -1;
    return slot;
  }

  private grow(): void {
    const size = this.touched.length * 2;
    const grown = (a: Int32Array): Int32Array => { const b = new Int32Array(size); b.set(a); return b; };
    this.touched = grown(this.touched); this.lastAppend = grown(this.lastAppend); this.firstRead = grown(this.firstRead);
  }
}

/** scanTxn registers one txn's appends (every status) and its reads (ok only). */
function scanTxn(s: State, t: number, sink: AnomalySink, scratch: Scratch): void {
  const mops = s.table.mops[t];
  const ok = s.table.status[t] === OK;
  // Txns are short: linear scans over the keys touched so far beat a Map per txn.
  scratch.count = 0;
  for (let i = 0; i < mops.length; i++) {
    const mop = mops[i];
    const f = mop[0];
    const k = mop[1];
    const v = mop[2];
    const kid = internKey(s, k);
    let slot = scratch.slotOf(kid);
    const first = slot < 0;
    if (first) slot = scratch.push(kid);
    const { lastAppend, firstRead } = scratch;
    if (f === 'append') {
      const map = s.appendOf[kid];
      if (map.has(v)) {
        throw new Error(`list-append: value ${showValue(v)} appended twice to key ${showValue(k)} (values must be unique per key)`);
      }
      const id = s.appendCount++;
      map.set(v, id);
      s.appWriter[id] = t;
      s.appKey[id] = kid;
      lastAppend[slot] = id;
      if (firstRead[slot] >= 0) s.readThenAppend[firstRead[slot]] = 1;
    } else if (f === 'r') {
      if (!ok) continue;
      if (v !== null && !Array.isArray(v)) throw new Error(`list-append: read of key ${showValue(k)} returned ${showValue(v)}, not a list`);
      const id = s.readCount++;
      s.readTxn[id] = t; s.readKey[id] = kid; s.readList[id] = (v ?? []) as unknown[];
      if (first) firstRead[slot] = id;
    } else {
      throw new Error(`list-append: micro-op ${f} is not append or r`);
    }
  }
  for (let i = 0; i < scratch.count; i++) if (scratch.lastAppend[i] >= 0) s.appFinal[scratch.lastAppend[i]] = 1;
  if (ok && mops.length > 1 && scratch.count < mops.length) checkInternal(t, mops, 'list-append', sink);
}

/**
 * checkElements flags garbage, aborted (G1a) and duplicate elements in the first `length`
 * elements of read r (Elle's g1a-cases and duplicates, one read at a time) and returns the
 * first position holding one (`length` when none).
 */
function checkElements(s: State, r: number, length: number, sink: AnomalySink): number {
  const list = s.readList[r];
  const kid = s.readKey[r];
  const k = s.keys[kid];
  const t = s.readTxn[r];
  const seen = new Set<number>();
  let firstBad = length;
  for (let p = 0; p < length; p++) {
    const id = s.appendOf[kid].get(list[p]);
    if (id === undefined) {
      firstBad = Math.min(firstBad, p);
      sink.add('garbage-read', () => ({ txns: [t], key: k, value: list[p],
        explanation: `${name(t)} read key ${showValue(k)} = ${showValue(list)}, but no txn ever appended ${showValue(list[p])} to it` }));
      continue;
    }
    if (seen.has(id)) {
      firstBad = Math.min(firstBad, p);
      sink.add('duplicate-elements', () => ({ txns: [t], key: k, value: list[p],
        explanation: `${name(t)} read key ${showValue(k)} = ${showValue(list)}, which holds ${showValue(list[p])} more than once` }));
    }
    seen.add(id);
    const w = s.appWriter[id];
    if (s.table.status[w] === FAIL) {
      firstBad = Math.min(firstBad, p);
      sink.add('G1a', () => ({ txns: [t, w], key: k, value: list[p],
        explanation: `${name(t)} read key ${showValue(k)} = ${showValue(list)}, observing ${showValue(list[p])}, appended by ${name(w)}, which failed (aborted read)` }));
    }
  }
  return firstBad;
}

/** orderKey makes key kid's version order from its longest read r (-1: no read): distinct append ids. */
function orderKey(s: State, kid: number, r: number, sink: AnomalySink): void {
  const list = r < 0 ? [] : s.readList[r];
  const ids: number[] = [];
  const order: number[] = [];
  for (let p = 0; p < list.length; p++) {
    const id = s.appendOf[kid].get(list[p]) ?? -1;
    ids.push(id);
    if (id >= 0 && s.appPos[id] < 0) { s.appPos[id] = order.length; order.push(id); }
  }
  s.longest.push(list);
  s.longestIds.push(ids);
  s.orderIds.push(order);
  s.firstBad[kid] = r < 0 ? 0 : checkElements(s, r, list.length, sink);
  checkDirtyUpdates(s, kid, sink);
}

/**
 * checkDirtyUpdates walks key kid's version order (Elle's dirty-update-cases): a committed
 * append that follows a failed one, with only info appends between, is a dirty update.
 */
function checkDirtyUpdates(s: State, kid: number, sink: AnomalySink): void {
  const order = s.orderIds[kid];
  const status = s.table.status;
  let failed = -1;
  for (const id of order) {
    const st = status[s.appWriter[id]];
    if (st === FAIL) { if (failed < 0) failed = id; continue; }
    if (st !== OK) continue;
    if (failed >= 0) {
      const fw = s.appWriter[failed];
      const w = s.appWriter[id];
      const k = s.keys[kid];
      const fv = s.longest[kid][s.longestIds[kid].indexOf(failed)];
      const v = s.longest[kid][s.longestIds[kid].indexOf(id)];
      sink.add('dirty-update', () => ({ txns: [fw, w], key: k, value: v,
        explanation: `${name(w)} appended ${showValue(v)} to key ${showValue(k)} on top of ${showValue(fv)}, written by ${name(fw)}, which failed (dirty update)` }));
    }
    failed = -1;
  }
}

/** indexUnseen lists, per key, the non-failed appends outside its version order. */
function indexUnseen(s: State): void {
  const start = new Int32Array(s.keys.length + 1);
  for (let a = 0; a < s.appendCount; a++) if (s.appPos[a] < 0 && s.table.status[s.appWriter[a]] !== FAIL) start[s.appKey[a] + 1]++;
  for (let k = 0; k < s.keys.length; k++) start[k + 1] += start[k];
  const fill = start.slice(0, s.keys.length);
  const ids = new Int32Array(start[s.keys.length]);
  for (let a = 0; a < s.appendCount; a++) if (s.appPos[a] < 0 && s.table.status[s.appWriter[a]] !== FAIL) ids[fill[s.appKey[a]]++] = a;
  s.unseenStart = start;
  s.unseenIds = ids;
}

/** buildOrders picks each key's longest read as its version order and checks every read against it. */
function buildOrders(s: State, sink: AnomalySink): Uint8Array {
  const longest = new Int32Array(s.keys.length).fill(-1);
  for (let r = 0; r < s.readCount; r++) {
    const kid = s.readKey[r];
    if (longest[kid] < 0 || s.readList[r].length > s.readList[longest[kid]].length) longest[kid] = r;
  }
  s.firstBad = new Int32Array(s.keys.length);
  for (let kid = 0; kid < s.keys.length; kid++) orderKey(s, kid, longest[kid], sink);
  indexUnseen(s);
  const compatible = new Uint8Array(s.readCount);
  for (let r = 0; r < s.readCount; r++) {
    const kid = s.readKey[r];
    const order = s.longest[kid];
    const list = s.readList[r];
    let same = list.length <= order.length;
    for (let p = 0; same && p < list.length; p++) same = list[p] === order[p] || sameValue(list[p], order[p]);
    if (same) {
      compatible[r] = 1;
      // A prefix of the longest read holds exactly the bad elements of that prefix.
      if (r !== longest[kid] && s.firstBad[kid] < list.length) checkElements(s, r, list.length, sink);
      continue;
    }
    const k = s.keys[kid];
    const t = s.readTxn[r];
    sink.add('incompatible-order', () => ({ txns: [t], key: k, value: list,
      explanation: `${name(t)} read key ${showValue(k)} = ${showValue(list)}, which is not a prefix of the longest read ${showValue(order)}: no single order of appends explains both` }));
    checkElements(s, r, list.length, sink);
  }
  return compatible;
}

/** addWwEdges links consecutive appends of each version order, and the last one to every append outside it. */
function addWwEdges(s: State, edges: EdgeBuilder): void {
  const status = s.table.status;
  for (let kid = 0; kid < s.keys.length; kid++) {
    const ids = s.orderIds[kid];
    for (let p = 0; p + 1 < ids.length; p++) {
      const a = s.appWriter[ids[p]];
      const b = s.appWriter[ids[p + 1]];
      if (status[a] !== FAIL && status[b] !== FAIL) edges.add(a, b, WW);
    }
    if (ids.length === 0) continue;
    const last = s.appWriter[ids[ids.length - 1]];
    if (status[last] === FAIL) continue;
    for (let u = s.unseenStart[kid]; u < s.unseenStart[kid + 1]; u++) edges.add(last, s.appWriter[s.unseenIds[u]], WW);
  }
}

/** addReadEdges adds, for every ok read, wr from the append of its last element and rw to the appends after its state. */
function addReadEdges(s: State, compatible: Uint8Array, edges: EdgeBuilder, sink: AnomalySink): void {
  const status = s.table.status;
  // Lost-update slots: for a read on the version order, (key id, read length) indexes a typed
  // array (slot base of the key + length; a Map keyed by packed doubles allocated a heap number
  // per read and was most of this pass); for the rest, the list itself keys a Map.
  const slotBase = new Int32Array(s.keys.length + 1);
  for (let k = 0; k < s.keys.length; k++) slotBase[k + 1] = slotBase[k] + s.longest[k].length + 1;
  const lostAt = new Int32Array(slotBase[s.keys.length]).fill(-1);
  const lost = new Map<string, number>();
  for (let r = 0; r < s.readCount; r++) {
    const t = s.readTxn[r];
    const kid = s.readKey[r];
    const list = s.readList[r];
    const m = list.length;
    let pos = -1;
    if (m > 0) {
      const a = compatible[r] === 1 ? s.longestIds[kid][m - 1] : (s.appendOf[kid].get(list[m - 1]) ?? -1);
      if (a < 0) continue;
      const w = s.appWriter[a];
      if (w !== t && status[w] !== FAIL) {
        edges.add(w, t, WR);
        if (s.appFinal[a] === 0) reportIntermediate(s, r, a, sink);
      }
      pos = s.appPos[a];
      if (pos < 0) continue;
    }
    const ids = s.orderIds[kid];
    if (pos + 1 < ids.length) {
      const w = s.appWriter[ids[pos + 1]];
      if (status[w] !== FAIL) edges.add(t, w, RW);
    } else {
      for (let u = s.unseenStart[kid]; u < s.unseenStart[kid + 1]; u++) edges.add(t, s.appWriter[s.unseenIds[u]], RW);
    }
    if (s.readThenAppend[r] === 1) {
      if (compatible[r] === 1) {
        const slot = slotBase[kid] + m;
        if (lostAt[slot] < 0) lostAt[slot] = r; else reportLost(s, lostAt[slot], r, sink);
      } else {
        const slot = `${kid}:${JSON.stringify(list)}`;
        const other = lost.get(slot);
        if (other === undefined) lost.set(slot, r); else reportLost(s, other, r, sink);
      }
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
    appendCount: 0, appWriter: new Int32Array(appends), appKey: new Int32Array(appends), appFinal: new Uint8Array(appends),
    appPos: new Int32Array(appends).fill(-1),
    readCount: 0, readTxn: new Int32Array(reads), readKey: new Int32Array(reads), readList: new Array<unknown[]>(reads),
    readThenAppend: new Uint8Array(reads), longest: [], longestIds: [], orderIds: [],
    firstBad: new Int32Array(0), unseenStart: new Int32Array(1), unseenIds: new Int32Array(0),
  };
  const scratch = new Scratch();
  for (let t = 0; t < table.count; t++) scanTxn(s, t, sink, scratch);
  const compatible = buildOrders(s, sink);
  addWwEdges(s, edges);
  addReadEdges(s, compatible, edges, sink);
  return { anomalies: sink, justify: (from, to, bit) => justify(s, from, to, bit) };
}

/** valueAt is the value of key kid's version order at position p. */
function valueAt(s: State, kid: number, p: number): unknown {
  const id = s.orderIds[kid][p];
  return s.longest[kid][s.longestIds[kid].indexOf(id)];
}

/** stateAfter names the state a read of key kid = list shows: its position in the version order, -1 for empty, -2 if off it. */
function stateOf(s: State, kid: number, list: readonly unknown[]): number {
  if (list.length === 0) return -1;
  const a = s.appendOf[kid].get(list[list.length - 1]);
  return a === undefined || s.appPos[a] < 0 ? -2 : s.appPos[a];
}

function isUnseen(s: State, kid: number, v: unknown): boolean {
  const a = s.appendOf[kid].get(v);
  return a !== undefined && s.appPos[a] < 0;
}

function justify(s: State, from: number, to: number, bit: number): Justification | null {
  if (bit === WW) return justifyWw(s, from, to);
  const reader = bit === WR ? to : from;
  for (const [f, k, v] of s.table.mops[reader]) {
    if (f !== 'r' || (v !== null && !Array.isArray(v))) continue;
    const kid = s.keyIds.get(k);
    const list = (v ?? []) as unknown[];
    const m = list.length;
    if (bit === WR) {
      const a = m > 0 ? s.appendOf[kid].get(list[m - 1]) : undefined;
      if (a !== undefined && s.appWriter[a] === from) {
        return { key: k, value: list[m - 1], text: `${name(to)} read key ${showValue(k)} = ${showValue(list)}, observing ${name(from)}'s append of ${showValue(list[m - 1])}` };
      }
      continue;
    }
    const pos = stateOf(s, kid, list);
    if (pos === -2) continue;
    const ids = s.orderIds[kid];
    if (pos + 1 < ids.length) {
      if (s.appWriter[ids[pos + 1]] !== to) continue;
      const next = valueAt(s, kid, pos + 1);
      return { key: k, value: next, text: `${name(to)} appended ${showValue(next)} to key ${showValue(k)} after ${name(from)} read key ${showValue(k)} = ${showValue(list)} without it` };
    }
    for (const [g, k2, v2] of s.table.mops[to]) {
      if (g !== 'append' || k2 !== k || !isUnseen(s, kid, v2)) continue;
      return { key: k, value: v2, text: `${name(to)} appended ${showValue(v2)} to key ${showValue(k)}, which no read shows, so after every element a read shows; ` +
        `${name(from)} read key ${showValue(k)} = ${showValue(list)} without it` };
    }
  }
  return null;
}

function justifyWw(s: State, from: number, to: number): Justification | null {
  for (const [f, k, v] of s.table.mops[to]) {
    if (f !== 'append') continue;
    const kid = s.keyIds.get(k);
    const a = s.appendOf[kid].get(v) as number;
    const ids = s.orderIds[kid];
    const pos = s.appPos[a];
    const prev = pos > 0 ? pos - 1 : pos < 0 && ids.length > 0 ? ids.length - 1 : -1;
    if (prev < 0 || s.appWriter[ids[prev]] !== from) continue;
    const before = valueAt(s, kid, prev);
    const text = pos > 0
      ? `${name(to)} appended ${showValue(v)} to key ${showValue(k)} right after ${name(from)} appended ${showValue(before)}`
      : `${name(to)} appended ${showValue(v)} to key ${showValue(k)}, which no read shows, so after ${showValue(before)}, ` +
        `the last element any read shows, appended by ${name(from)}`;
    return { key: k, value: v, text };
  }
  return null;
}
