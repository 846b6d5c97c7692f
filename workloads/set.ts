// workloads/set.ts — unique adds to one list-valued key and whole-set reads, checked as Jepsen's set-full.
import type { Op } from '../history/op.ts';
import type { Verdict } from '../checker/types.ts';
import type { ElementRow, ElementTable } from '../checker/elements.ts';
import type { Rng } from '../lib/rng.ts';
import { opIndexesOf, pairOps, type Pair } from '../history/pair.ts';
import type { Completion, KvClientLike, OpGenerator, OpSpec, Workload, WorkloadContext, WorkloadResult } from './types.ts';
import { listGenerator } from './types.ts';

/**
 * SET_KEY: the whole set lives in one key as a list, each add one atomic txn append. One key
 * makes a lost element observable: every read returns every element the replica holds, so an
 * acknowledged add missing from later reads is lost, not merely on some other key.
 */
export const SET_KEY = 'set';

/** READ_ODDS: one op in READ_ODDS is a read; the rest are adds. */
const READ_ODDS = 4;

/** ELEMENTS_NAMED_MAX bounds the elements named in an anomaly line. */
const ELEMENTS_NAMED_MAX = 20;

/** setElement: thread t's i-th add adds t + i × concurrency, so elements are unique across threads. */
export function setElement(thread: number, addNumber: number, concurrency: number): number {
  return thread + addNumber * concurrency;
}

function generator(thread: number, rng: Rng, ctx: WorkloadContext): OpGenerator {
  let adds = 0;
  return {
    next: () => {
      if (rng.int(READ_ODDS) === 0) return { f: 'read', value: null };
      return { f: 'add', value: setElement(thread, adds++, ctx.concurrency) };
    },
  };
}

/** finalGenerator: after healing every thread reads the set once, through its own node. */
function finalGenerator(): OpGenerator {
  return listGenerator([{ f: 'read', value: null }]);
}

async function invoke(client: KvClientLike, op: OpSpec): Promise<Completion> {
  switch (op.f) {
    case 'add': {
      const done = await client.txn([['append', SET_KEY, op.value]]);
      // The completion carries the element (the invoke's value), not the txn's micro-ops.
      return { type: done.type, error: done.error, node: done.node };
    }
    case 'read':
      return client.read(SET_KEY);
    default:
      throw new Error(`set: unknown f ${JSON.stringify(op.f)}`);
  }
}

/** ReadView: an ok read with its elements (as a count per element: duplicates show). */
interface ReadView {
  pair: Pair;
  counts: Map<string, number>;
}

/** SetOutcome: set-full's classification of one element. */
export type SetOutcome = 'stable' | 'lost' | 'never-read';

/** SetResult: set-full's counts, the elements themselves and the report tables. */
export interface SetResult extends WorkloadResult {
  kind: 'set';
  valid: Verdict;
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
  lost: ElementRow[];
  stale: ElementRow[];
  unexpected: ElementRow[];
  duplicated: ElementRow[];
  elementTables: ElementTable[];
}

const keyOf = (element: unknown): string => JSON.stringify(element);

function readViews(pairs: readonly Pair[]): ReadView[] {
  const views: ReadView[] = [];
  for (const pair of pairs) {
    if (pair.invoke.f !== 'read' || pair.type !== 'ok') continue;
    const value = pair.completion?.value;
    const counts = new Map<string, number>();
    if (Array.isArray(value)) for (const e of value) counts.set(keyOf(e), (counts.get(keyOf(e)) ?? 0) + 1);
    views.push({ pair, counts });
  }
  return views.sort((a, b) => a.pair.start - b.pair.start);
}

/** ElementFate: one element's classification and the reads that decided it. */
interface ElementFate {
  outcome: SetOutcome;
  stale: boolean;
  row: ElementRow;
  /** visibleMs: between the completions of the first and the last read that saw it. */
  visibleMs: number;
}

/**
 * classify follows set-full: the element is known from the completion of its ok add or of the
 * first read that saw it; reads that began after that must see it. Stable: the last such read
 * lacking it (if any) began before the last read that saw it (stale when there was one). Lost:
 * a read lacking it began after every read that saw it. Never-read: no read began after known.
 */
function classify(element: unknown, add: Pair, views: readonly ReadView[]): ElementFate | undefined {
  const key = keyOf(element);
  const present = views.filter((v) => v.counts.has(key));
  const knownAt = Math.min(add.type === 'ok' ? add.end : Infinity, present.length > 0 ? present[0].pair.end : Infinity);
  if (knownAt === Infinity) return undefined;
  const after = views.filter((v) => v.pair.start > knownAt);
  const lastAbsent = after.filter((v) => !v.counts.has(key)).at(-1);
  const firstPresent = present[0];
  const lastPresent = present.at(-1);
  const visibleMs = firstPresent === undefined || lastPresent === undefined ? 0 : (lastPresent.pair.end - firstPresent.pair.end) / 1e6;
  const proof = [...opIndexesOf(add), ...(firstPresent === undefined ? [] : [firstPresent.pair.completion?.index ?? 0])];
  if (lastPresent !== undefined && lastPresent !== firstPresent) proof.push(lastPresent.pair.completion?.index ?? 0);
  if (after.length === 0) return { outcome: 'never-read', stale: false, visibleMs, row: { element, opIndexes: opIndexesOf(add), detail: `add ${add.type}; no read began after it was known` } };
  if (lastAbsent === undefined) return { outcome: 'stable', stale: false, visibleMs, row: { element } };
  const absentIndex = lastAbsent.pair.completion?.index ?? 0;
  if (lastPresent !== undefined && lastPresent.pair.start > lastAbsent.pair.start) {
    return { outcome: 'stable', stale: true, visibleMs, row: { element, opIndexes: [...proof, absentIndex], detail: `missing from read ${absentIndex} after it was known, seen again later` } };
  }
  const seen = present.length === 0
    ? 'never seen by any read'
    : `seen by ${present.length} read(s), visible for ${visibleMs.toFixed(0)} ms (reads ${firstPresent?.pair.completion?.index} to ${lastPresent?.pair.completion?.index})`;
  return { outcome: 'lost', stale: false, visibleMs, row: { element, opIndexes: [...proof, absentIndex], detail: `add ${add.type}; ${seen}; absent from read ${absentIndex} and every later one` } };
}

function sample(elements: readonly unknown[]): string {
  const named = elements.slice(0, ELEMENTS_NAMED_MAX).map((e) => JSON.stringify(e)).join(', ');
  return elements.length > ELEMENTS_NAMED_MAX ? `${named}, ...` : named;
}

/**
 * checkSet is Jepsen's set-full checker. Invalid: lost elements, unexpected elements (read
 * but never added, or whose add certainly failed) or duplicated ones. Stale elements (missing
 * from a read after they were known, then seen again) are reported but, as in set-full
 * without :linearizable?, do not invalidate. Unknown: adds were attempted and none is stable.
 */
export function checkSet(history: readonly Op[]): SetResult {
  const pairs = pairOps(history);
  const views = readViews(pairs);
  const adds = new Map<string, Pair>();
  for (const pair of pairs) if (pair.invoke.f === 'add') adds.set(keyOf(pair.invoke.value), pair);
  const fates = { stable: 0, lost: [] as ElementRow[], neverRead: [] as ElementRow[], stale: [] as ElementRow[] };
  const visible: Array<{ element: unknown; visibleMs: number }> = [];
  for (const add of adds.values()) {
    if (add.type === 'fail') continue;
    const fate = classify(add.invoke.value, add, views);
    if (fate === undefined) continue;
    if (fate.outcome === 'stable') fates.stable += 1;
    else if (fate.outcome === 'lost') {
      fates.lost.push(fate.row);
      visible.push({ element: fate.row.element, visibleMs: fate.visibleMs });
    }
    else fates.neverRead.push(fate.row);
    if (fate.stale) fates.stale.push(fate.row);
  }
  const unexpected: ElementRow[] = [];
  const duplicated: ElementRow[] = [];
  const reported = new Set<string>();
  for (const view of views) {
    const readIndex = view.pair.completion?.index ?? view.pair.invoke.index;
    for (const [key, count] of view.counts) {
      const add = adds.get(key);
      if ((add === undefined || add.type === 'fail') && !reported.has(`u${key}`)) {
        reported.add(`u${key}`);
        unexpected.push({ element: JSON.parse(key) as unknown, opIndexes: [...(add === undefined ? [] : opIndexesOf(add)), readIndex], detail: add === undefined ? 'never added' : 'its add failed' });
      }
      if (count > 1 && !reported.has(`d${key}`)) {
        reported.add(`d${key}`);
        duplicated.push({ element: JSON.parse(key) as unknown, opIndexes: [readIndex], detail: `${count} copies in one read` });
      }
    }
  }
  fates.lost.sort((a, b) => Number(a.element) - Number(b.element));
  const lostElements = fates.lost.map((row) => row.element);
  visible.sort((a, b) => Number(a.element) - Number(b.element));
  const anomalies: string[] = [];
  if (lostElements.length > 0) anomalies.push(`lost ${lostElements.length} element(s): ${sample(lostElements)}`);
  if (unexpected.length > 0) anomalies.push(`unexpected ${unexpected.length} element(s): ${sample(unexpected.map((r) => r.element))}`);
  if (duplicated.length > 0) anomalies.push(`duplicated ${duplicated.length} element(s): ${sample(duplicated.map((r) => r.element))}`);
  const attemptCount = [...adds.values()].length;
  const invalid = anomalies.length > 0;
  const valid: Verdict = invalid ? false : attemptCount > 0 && fates.stable === 0 ? 'unknown' : true;
  return {
    kind: 'set',
    valid,
    anomalies,
    attemptCount,
    acknowledgedCount: [...adds.values()].filter((a) => a.type === 'ok').length,
    stableCount: fates.stable,
    lostCount: fates.lost.length,
    neverReadCount: fates.neverRead.length,
    staleCount: fates.stale.length,
    unexpectedCount: unexpected.length,
    duplicatedCount: duplicated.length,
    lostElements,
    lostVisibleMs: visible,
    lost: fates.lost,
    stale: fates.stale,
    unexpected,
    duplicated,
    elementTables: [{ name: 'never-read', description: 'known elements no read began after', rows: fates.neverRead }],
  };
}

async function check(history: readonly Op[]): Promise<WorkloadResult> {
  return checkSet(history);
}

/** setWorkload: Jepsen's set-full test over one list-valued key. */
export const setWorkload: Workload = {
  name: 'set',
  description: 'unique adds (txn append to one list key) and whole-set reads; lost, stale, unexpected, duplicated and never-read elements as Jepsen set-full',
  generator,
  finalGenerator,
  invoke,
  check,
};
