// workloads/set-check.ts — Jepsen's set-full checker in time near-linear in the history's size, within a budget.
import type { Op } from '../history/op.ts';
import type { Verdict } from '../checker/types.ts';
import type { ElementRow, ElementTable } from '../checker/elements.ts';
import { opIndexesOf, pairOps, type Pair } from '../history/pair.ts';
import { decodeSetRead } from './set-read.ts';
import type { WorkloadResult } from './types.ts';

/** ELEMENTS_NAMED_MAX bounds the elements named in an anomaly line. */
const ELEMENTS_NAMED_MAX = 20;

/** UNEXPECTED_ROWS_MAX bounds the unexpected rows listed (a read range can hold millions never added); the count stays exact. */
const UNEXPECTED_ROWS_MAX = 1000;

/** DEADLINE_CHECK_EVERY: reads between two looks at the clock. */
const DEADLINE_CHECK_EVERY = 256;

/** SetOutcome: set-full's classification of one element. */
export type SetOutcome = 'stable' | 'lost' | 'never-read';

/** SetResult: set-full's counts, the elements themselves and the report tables. */
export interface SetResult extends WorkloadResult {
  kind: 'set';
  valid: Verdict;
  /** unknownReason: why there is no verdict (budget exhausted, nothing stable). */
  unknownReason?: string;
  attemptCount: number;
  acknowledgedCount: number;
  stableCount: number;
  lostCount: number;
  neverReadCount: number;
  staleCount: number;
  unexpectedCount: number;
  duplicatedCount: number;
  /** lostElements: the lost elements themselves, ascending. */
  lostElements: unknown[];
  /** lostVisibleMs: per lost element, ms between the first and the last read that saw it (0: never seen). */
  lostVisibleMs: Array<{ element: unknown; visibleMs: number }>;
  /**
   * lostAcknowledged: per lost element whose add was acknowledged (ok), when (ms on the
   * history's clock, null when the history has no times) and by which node.
   */
  lostAcknowledged: LostAck[];
  lost: ElementRow[];
  stale: ElementRow[];
  unexpected: ElementRow[];
  duplicated: ElementRow[];
  elementTables: ElementTable[];
}

/** LostAck: when and where the add of a lost element was acknowledged. */
export interface LostAck {
  element: unknown;
  ackedMs: number | null;
  node?: string;
}

/** SetCheckOptions: the budget; past it the verdict is unknown. `now` is injectable for tests. */
export interface SetCheckOptions {
  timeoutMs?: number;
  now?: () => number;
}

const keyOf = (element: unknown): string => JSON.stringify(element);

/**
 * Segments: the element universe cut at every point where membership can change. Integer
 * segment i is [starts[i], starts[i+1]); every added integer e is a segment {e} of its own
 * (e and e+1 are cut points), so a segment holding several integers holds none that was
 * added. Each non-integer element is one segment after the integer ones.
 */
class Segments {
  readonly starts: number[];
  readonly others = new Map<string, number>();
  readonly otherElements: unknown[] = [];
  constructor(cuts: number[], otherKeys: Iterable<[string, unknown]>) {
    cuts.sort((a, b) => a - b);
    this.starts = cuts.filter((c, i) => i === 0 || c !== cuts[i - 1]);
    for (const [key, element] of otherKeys) {
      if (this.others.has(key)) continue;
      this.others.set(key, this.integerCount + this.otherElements.length);
      this.otherElements.push(element);
    }
  }
  get integerCount(): number {
    return Math.max(0, this.starts.length - 1);
  }
  get count(): number {
    return this.integerCount + this.otherElements.length;
  }
  /** ofInteger: the segment starting at cut point x (x is a cut point). */
  ofInteger(x: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  ofElement(element: unknown): number {
    return Number.isSafeInteger(element) ? this.ofInteger(element as number) : (this.others.get(keyOf(element)) ?? -1);
  }
  /** size: how many elements segment s holds. */
  size(s: number): number {
    return s < this.integerCount ? this.starts[s + 1] - this.starts[s] : 1;
  }
}

/** ReadView: an ok read as ascending, disjoint segment intervals [a, b], and its duplicates. */
interface ReadView {
  pair: Pair;
  intervals: Int32Array;
  duplicates: Array<{ element: unknown; copies: number }>;
}

/**
 * Membership: per segment, the first and last read (by start) holding it, how many reads hold
 * it, and the last read lacking it; -1 for none. Filled with a "next unassigned" union-find so
 * every segment is assigned once per pass: O((segments + intervals) α).
 */
interface Membership {
  first: Int32Array;
  last: Int32Array;
  lastAbsent: Int32Array;
  count: Int32Array;
}

class BudgetExhausted extends Error {}

/** assignPass walks reads in `order`, giving each unassigned segment of `intervalsOf(j)` the read j. */
function assignPass(target: Int32Array, readCount: number, reverse: boolean, intervalsOf: (j: number) => Int32Array, tick: (j: number) => void): void {
  const size = target.length;
  const next = new Int32Array(size + 1);
  for (let i = 0; i <= size; i += 1) next[i] = i;
  const find = (x: number): number => {
    let root = x;
    while (next[root] !== root) root = next[root];
    while (next[x] !== root) {
      const parent = next[x];
      next[x] = root;
      x = parent;
    }
    return root;
  };
  for (let step = 0; step < readCount; step += 1) {
    const j = reverse ? readCount - 1 - step : step;
    tick(step);
    const intervals = intervalsOf(j);
    for (let k = 0; k < intervals.length; k += 2) {
      for (let s = find(intervals[k]); s <= intervals[k + 1]; s = find(s + 1)) {
        target[s] = j;
        next[s] = s + 1;
      }
    }
  }
}

/** complement: the segment intervals of [0, size) a read does not hold. */
function complement(intervals: Int32Array, size: number): Int32Array {
  const out: number[] = [];
  let from = 0;
  for (let k = 0; k < intervals.length; k += 2) {
    if (intervals[k] > from) out.push(from, intervals[k] - 1);
    from = intervals[k + 1] + 1;
  }
  if (from < size) out.push(from, size - 1);
  return Int32Array.from(out);
}

function membership(views: readonly ReadView[], segmentCount: number, tick: (j: number) => void): Membership {
  const make = (): Int32Array => new Int32Array(segmentCount).fill(-1);
  const m: Membership = { first: make(), last: make(), lastAbsent: make(), count: new Int32Array(segmentCount) };
  assignPass(m.first, views.length, false, (j) => views[j].intervals, tick);
  assignPass(m.last, views.length, true, (j) => views[j].intervals, tick);
  assignPass(m.lastAbsent, views.length, true, (j) => complement(views[j].intervals, segmentCount), tick);
  const delta = new Int32Array(segmentCount + 1);
  for (const view of views) {
    for (let k = 0; k < view.intervals.length; k += 2) {
      delta[view.intervals[k]] += 1;
      delta[view.intervals[k + 1] + 1] -= 1;
    }
  }
  for (let s = 0, running = 0; s < segmentCount; s += 1) m.count[s] = running += delta[s];
  return m;
}

/** buildViews decodes the ok reads (sorted by start) and cuts the element universe into segments. */
function buildViews(
  pairs: readonly Pair[],
  adds: ReadonlyMap<string, Pair>,
  tick: (step: number) => void,
): { views: ReadView[]; segments: Segments } {
  const reads = pairs.filter((p) => p.invoke.f === 'read' && p.type === 'ok').sort((a, b) => a.start - b.start);
  const decoded = reads.map((pair, j) => {
    tick(j);
    return decodeSetRead(pair.completion?.value, `history index ${pair.completion?.index ?? pair.invoke.index}`);
  });
  const cuts: number[] = [];
  const otherKeys: Array<[string, unknown]> = [];
  for (const add of adds.values()) {
    const e = add.invoke.value;
    if (Number.isSafeInteger(e)) cuts.push(e as number, (e as number) + 1);
    else otherKeys.push([keyOf(e), e]);
  }
  for (const d of decoded) {
    for (const [lo, hi] of d.ranges) cuts.push(lo, hi + 1);
    otherKeys.push(...d.others);
  }
  const segments = new Segments(cuts, otherKeys);
  const views = decoded.map((d, j): ReadView => {
    tick(j);
    const flat: number[] = [];
    for (const [lo, hi] of d.ranges) flat.push(segments.ofInteger(lo), segments.ofInteger(hi + 1) - 1);
    const otherSegments = [...d.others.keys()].map((key) => segments.others.get(key) ?? -1).sort((a, b) => a - b);
    for (const s of otherSegments) {
      if (flat.length > 0 && flat[flat.length - 1] + 1 === s) flat[flat.length - 1] = s;
      else flat.push(s, s);
    }
    return { pair: reads[j], intervals: Int32Array.from(flat), duplicates: d.duplicates };
  });
  return { views, segments };
}

/** ElementFate: one element's classification and the reads that decided it. */
interface ElementFate {
  outcome: SetOutcome;
  stale: boolean;
  row: ElementRow;
  /** visibleMs: between the completions of the first and the last read that saw it. */
  visibleMs: number;
}

const readIndexOf = (view: ReadView): number => view.pair.completion?.index ?? view.pair.invoke.index;

/** firstStartAfter: the first read (by start) that began after at; views.length if none. */
function firstStartAfter(views: readonly ReadView[], at: number): number {
  let lo = 0;
  let hi = views.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (views[mid].pair.start > at) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * classify follows set-full: the element is known from the completion of its ok add or of the
 * first read that saw it; reads that began after that must see it. Stable: the last such read
 * lacking it (if any) began before the last read that saw it (stale when there was one). Lost:
 * a read lacking it began after every read that saw it. Never-read: no read began after known.
 * The last read lacking it overall is the last one after `known` when it began after `known`.
 */
function classify(element: unknown, add: Pair, s: number, views: readonly ReadView[], m: Membership): ElementFate | undefined {
  // Every added element was made a segment in buildViews: a miss is a bug here, not bad input.
  if (s < 0 || s >= m.first.length) throw new Error(`set checker: element ${keyOf(element)} has no segment`);
  const firstPresent = m.first[s] < 0 ? undefined : views[m.first[s]];
  const lastPresent = m.last[s] < 0 ? undefined : views[m.last[s]];
  const knownAt = Math.min(add.type === 'ok' ? add.end : Infinity, firstPresent?.pair.end ?? Infinity);
  if (knownAt === Infinity) return undefined;
  const afterFirst = firstStartAfter(views, knownAt);
  const absentIndex = m.lastAbsent[s];
  const lastAbsent = absentIndex >= afterFirst && absentIndex >= 0 ? views[absentIndex] : undefined;
  const visibleMs = firstPresent === undefined || lastPresent === undefined ? 0 : (lastPresent.pair.end - firstPresent.pair.end) / 1e6;
  const proof = [...opIndexesOf(add), ...(firstPresent === undefined ? [] : [readIndexOf(firstPresent)])];
  if (lastPresent !== undefined && lastPresent !== firstPresent) proof.push(readIndexOf(lastPresent));
  if (afterFirst === views.length) return { outcome: 'never-read', stale: false, visibleMs, row: { element, opIndexes: opIndexesOf(add), detail: `add ${add.type}; no read began after it was known` } };
  if (lastAbsent === undefined) return { outcome: 'stable', stale: false, visibleMs, row: { element } };
  const absentRead = readIndexOf(lastAbsent);
  if (lastPresent !== undefined && lastPresent.pair.start > lastAbsent.pair.start) {
    return { outcome: 'stable', stale: true, visibleMs, row: { element, opIndexes: [...proof, absentRead], detail: `missing from read ${absentRead} after it was known, seen again later` } };
  }
  const presentCount = m.count[s];
  const seen = presentCount === 0 || firstPresent === undefined || lastPresent === undefined
    ? 'never seen by any read'
    : `seen by ${presentCount} read(s), visible for ${visibleMs.toFixed(0)} ms (reads ${readIndexOf(firstPresent)} to ${readIndexOf(lastPresent)})`;
  return { outcome: 'lost', stale: false, visibleMs, row: { element, opIndexes: [...proof, absentRead], detail: `${addText(add)}; ${seen}; absent from read ${absentRead} and every later one` } };
}

/** ackOf: when (ms, null untimed) and by which node an ok add was acknowledged; undefined for an add that was not ok. */
function ackOf(element: unknown, add: Pair): LostAck | undefined {
  if (add.type !== 'ok' || add.completion === undefined) return undefined;
  const time = add.completion.time;
  const node = add.completion.node ?? add.invoke.node;
  return { element, ackedMs: typeof time === 'number' ? time / 1e6 : null, ...(node === undefined ? {} : { node }) };
}

/** addText: "add ok, acknowledged at 2.310 s by n1" (what is known of it), or "add info". */
function addText(add: Pair): string {
  const ack = ackOf(undefined, add);
  if (ack === undefined) return `add ${add.type}`;
  const at = ack.ackedMs === null ? '' : ` at ${(ack.ackedMs / 1000).toFixed(3)} s`;
  return `add ok, acknowledged${at}${ack.node === undefined ? '' : ` by ${ack.node}`}`;
}

/**
 * ackSummary: " (12 acknowledged between 2.31 s and 9.87 s, by n1)" for the anomaly line, ''
 * when none was acknowledged. It goes before the elements, so a verdict line cut to the
 * terminal's width still says when.
 */
function ackSummary(acks: readonly LostAck[]): string {
  if (acks.length === 0) return '';
  const times = acks.map((a) => a.ackedMs).filter((t): t is number => t !== null);
  const nodes = [...new Set(acks.map((a) => a.node).filter((n): n is string => n !== undefined))].sort();
  const when = times.length === 0 ? '' : ` between ${(Math.min(...times) / 1000).toFixed(2)} s and ${(Math.max(...times) / 1000).toFixed(2)} s`;
  return ` (${acks.length} acknowledged${when}${nodes.length === 0 ? '' : `, by ${nodes.join(', ')}`})`;
}

function sample(elements: readonly unknown[]): string {
  const named = elements.slice(0, ELEMENTS_NAMED_MAX).map((e) => JSON.stringify(e)).join(', ');
  return elements.length > ELEMENTS_NAMED_MAX ? `${named}, ...` : named;
}

/** unexpectedRows: elements read but never added, or whose add certainly failed; the count is exact, rows bounded. */
function unexpectedRows(segments: Segments, views: readonly ReadView[], m: Membership, adds: ReadonlyMap<string, Pair>): { rows: ElementRow[]; count: number } {
  const rows: ElementRow[] = [];
  let count = 0;
  for (let s = 0; s < segments.count; s += 1) {
    if (m.count[s] === 0) continue;
    const readIndex = readIndexOf(views[m.first[s]]);
    const first = s < segments.integerCount ? segments.starts[s] : segments.otherElements[s - segments.integerCount];
    const add = adds.get(keyOf(first));
    if (add !== undefined && add.type !== 'fail') continue;
    const size = segments.size(s);
    count += size;
    for (let k = 0; k < size && rows.length < UNEXPECTED_ROWS_MAX; k += 1) {
      const element = k === 0 ? first : (first as number) + k;
      rows.push({ element, opIndexes: [...(add === undefined ? [] : opIndexesOf(add)), readIndex], detail: add === undefined ? 'never added' : 'its add failed' });
    }
  }
  return { rows, count };
}

/** duplicatedRows: elements held more than once by one read, each named once (first read). */
function duplicatedRows(views: readonly ReadView[]): ElementRow[] {
  const rows: ElementRow[] = [];
  const reported = new Set<string>();
  for (const view of views) {
    for (const { element, copies } of view.duplicates) {
      if (reported.has(keyOf(element))) continue;
      reported.add(keyOf(element));
      rows.push({ element, opIndexes: [readIndexOf(view)], detail: `${copies} copies in one read` });
    }
  }
  return rows;
}

/**
 * checkSet is Jepsen's set-full checker. Invalid: lost elements, unexpected elements (read
 * but never added, or whose add certainly failed) or duplicated ones. Stale elements (missing
 * from a read after they were known, then seen again) are reported but, as in set-full
 * without :linearizable?, do not invalidate. Unknown: adds were attempted and none is stable,
 * or the budget ran out. Cost O(n log n) in the history's length plus its reads' ranges,
 * however many elements each read holds.
 */
export function checkSet(history: readonly Op[], opts: SetCheckOptions = {}): SetResult {
  const now = opts.now ?? (() => performance.now());
  const deadlineMs = opts.timeoutMs === undefined ? Infinity : now() + opts.timeoutMs;
  const tick = (step: number): void => {
    if (step % DEADLINE_CHECK_EVERY === 0 && now() > deadlineMs) throw new BudgetExhausted();
  };
  const pairs = pairOps(history);
  const adds = new Map<string, Pair>();
  try {
    // The clock is read every DEADLINE_CHECK_EVERY adds or reads, from the first pass on.
    pairs.forEach((pair, i) => {
      tick(i);
      if (pair.invoke.f === 'add') adds.set(keyOf(pair.invoke.value), pair);
    });
    tick(0);
    const { views, segments } = buildViews(pairs, adds, tick);
    const m = membership(views, segments.count, tick);
    return verdictOf(adds, views, segments, m);
  } catch (error) {
    if (!(error instanceof BudgetExhausted)) throw error;
    return budgetExhausted(pairs, opts.timeoutMs ?? 0);
  }
}

function verdictOf(adds: ReadonlyMap<string, Pair>, views: readonly ReadView[], segments: Segments, m: Membership): SetResult {
  const fates = { stable: 0, lost: [] as ElementRow[], neverRead: [] as ElementRow[], stale: [] as ElementRow[] };
  const visible: Array<{ element: unknown; visibleMs: number }> = [];
  const acks: LostAck[] = [];
  for (const add of adds.values()) {
    if (add.type === 'fail') continue;
    const fate = classify(add.invoke.value, add, segments.ofElement(add.invoke.value), views, m);
    if (fate === undefined) continue;
    if (fate.outcome === 'stable') fates.stable += 1;
    else if (fate.outcome === 'lost') {
      fates.lost.push(fate.row);
      visible.push({ element: fate.row.element, visibleMs: fate.visibleMs });
      const ack = ackOf(fate.row.element, add);
      if (ack !== undefined) acks.push(ack);
    } else fates.neverRead.push(fate.row);
    if (fate.stale) fates.stale.push(fate.row);
  }
  const unexpected = unexpectedRows(segments, views, m, adds);
  const duplicated = duplicatedRows(views);
  fates.lost.sort((a, b) => Number(a.element) - Number(b.element));
  const lostElements = fates.lost.map((row) => row.element);
  visible.sort((a, b) => Number(a.element) - Number(b.element));
  acks.sort((a, b) => Number(a.element) - Number(b.element));
  const anomalies: string[] = [];
  if (lostElements.length > 0) anomalies.push(`lost ${lostElements.length} element(s)${ackSummary(acks)}: ${sample(lostElements)}`);
  if (unexpected.count > 0) anomalies.push(`unexpected ${unexpected.count} element(s): ${sample(unexpected.rows.map((r) => r.element))}`);
  if (duplicated.length > 0) anomalies.push(`duplicated ${duplicated.length} element(s): ${sample(duplicated.map((r) => r.element))}`);
  const attemptCount = adds.size;
  const valid: Verdict = anomalies.length > 0 ? false : attemptCount > 0 && fates.stable === 0 ? 'unknown' : true;
  return {
    kind: 'set',
    valid,
    ...(valid === 'unknown' ? { unknownReason: 'adds were attempted and none is stable' } : {}),
    anomalies,
    attemptCount,
    acknowledgedCount: [...adds.values()].filter((a) => a.type === 'ok').length,
    stableCount: fates.stable,
    lostCount: fates.lost.length,
    neverReadCount: fates.neverRead.length,
    staleCount: fates.stale.length,
    unexpectedCount: unexpected.count,
    duplicatedCount: duplicated.length,
    lostElements,
    lostVisibleMs: visible,
    lostAcknowledged: acks,
    lost: fates.lost,
    stale: fates.stale,
    unexpected: unexpected.rows,
    duplicated,
    elementTables: [{ name: 'never-read', description: 'known elements no read began after', rows: fates.neverRead }],
  };
}

/** budgetExhausted: no verdict, only what is known without the reads (add ops, counted without keying them). */
function budgetExhausted(pairs: readonly Pair[], timeoutMs: number): SetResult {
  const adds = pairs.filter((pair) => pair.invoke.f === 'add');
  return {
    kind: 'set',
    valid: 'unknown',
    unknownReason: `set checker: check budget of ${timeoutMs} ms exhausted`,
    anomalies: [],
    attemptCount: adds.length,
    acknowledgedCount: adds.filter((a) => a.type === 'ok').length,
    stableCount: 0, lostCount: 0, neverReadCount: 0, staleCount: 0, unexpectedCount: 0, duplicatedCount: 0,
    lostElements: [], lostVisibleMs: [], lostAcknowledged: [], lost: [], stale: [], unexpected: [], duplicated: [], elementTables: [],
  };
}
