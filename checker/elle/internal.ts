// checker/elle/internal.ts — internal consistency: a txn's reads must agree with its own earlier reads and writes.
import type { OpKey } from '../../history/op.ts';
import { AnomalySink, name, sameValue } from './inference.ts';
import { showValue, type Mop } from './txns.ts';

/**
 * KeyView: what txn t knows of one key just before micro-op `at`, read off the earlier micro-ops
 * (no state is allocated: txns are a few micro-ops long). `base` is the last earlier read's
 * micro-op index (-1 if none); the key's appends/writes after it are what the txn added since.
 */
interface KeyView {
  mops: readonly Mop[];
  key: OpKey;
  at: number;
  base: number;
}

/** baseList is the value the view's last read showed, as the workload sees it. */
function baseList(view: KeyView, workload: 'list-append' | 'rw-register'): unknown[] {
  const v = view.mops[view.base][2];
  return workload === 'rw-register' ? [v] : ((v ?? []) as unknown[]);
}

/** sinceValues lists the values the txn appended/wrote to the key after its last read (or from its start). */
function sinceValues(view: KeyView): unknown[] {
  const out: unknown[] = [];
  for (let j = view.base + 1; j < view.at; j++) if (view.mops[j][1] === view.key && view.mops[j][0] !== 'r') out.push(view.mops[j][2]);
  return out;
}

function expectedText(view: KeyView, workload: 'list-append' | 'rw-register'): string {
  const since = sinceValues(view);
  if (workload === 'rw-register') return `${showValue(since.length > 0 ? since[since.length - 1] : baseList(view, workload)[0])}`;
  if (view.base >= 0) return showValue([...baseList(view, workload), ...since]);
  return `a list ending in ${showValue(since)}`;
}

function agrees(view: KeyView, value: unknown, workload: 'list-append' | 'rw-register'): boolean {
  const { mops, key, at, base } = view;
  if (workload === 'rw-register') {
    let known = base >= 0 ? mops[base][2] : undefined;
    for (let j = base + 1; j < at; j++) if (mops[j][1] === key && mops[j][0] !== 'r') known = mops[j][2];
    return sameValue(known, value);
  }
  const list = (value ?? []) as unknown[];
  let sinceCount = 0;
  for (let j = base + 1; j < at; j++) if (mops[j][1] === key && mops[j][0] !== 'r') sinceCount++;
  // Element by element: this runs for every txn that touches a key twice.
  if (base >= 0) {
    const baseValues = (mops[base][2] ?? []) as unknown[];
    if (list.length !== baseValues.length + sinceCount) return false;
    for (let i = 0; i < baseValues.length; i++) if (!same(list[i], baseValues[i])) return false;
  }
  let i = list.length - sinceCount;
  if (i < 0) return false;
  for (let j = base + 1; j < at; j++) if (mops[j][1] === key && mops[j][0] !== 'r' && !same(list[i++], mops[j][2])) return false;
  return true;
}

/** earlierRead returns the first read of `key` before micro-op `at` whose list holds v (list-append's future reads). */
function earlierRead(mops: readonly Mop[], key: OpKey, at: number, v: unknown): unknown[] | undefined {
  for (let j = 0; j < at; j++) {
    if (mops[j][1] !== key || mops[j][0] !== 'r') continue;
    const list = (mops[j][2] ?? []) as unknown[];
    for (let i = 0; i < list.length; i++) if (same(list[i], v)) return list;
  }
  return undefined;
}

function same(a: unknown, b: unknown): boolean {
  return a === b || sameValue(a, b);
}

/**
 * checkInternal reports `internal` when one of txn t's reads disagrees with what its earlier
 * micro-ops on that key imply (Elle's internal consistency, list_append.clj op-int-case and
 * rw_register.clj op-internal-case), and for list-append `future-read` when a read already
 * holds an element the txn appends later (list_append.clj op-future-read-case). Only ok txns
 * have reads to check.
 */
export function checkInternal(t: number, mops: readonly Mop[], workload: 'list-append' | 'rw-register', sink: AnomalySink): void {
  if (mops.length < 2) return;
  // Most txns touch each key once; then nothing can disagree and no state is needed.
  let repeated = false;
  for (let i = 1; i < mops.length && !repeated; i++) for (let j = 0; j < i; j++) if (mops[j][1] === mops[i][1]) { repeated = true; break; }
  if (!repeated) return;
  // No per-key state: each micro-op rescans the earlier ones (txns are a few micro-ops long), so
  // the many txns that touch a key twice allocate nothing.
  for (let i = 0; i < mops.length; i++) {
    const f = mops[i][0], k = mops[i][1], v = mops[i][2];
    let touchedBefore = false;
    let base = -1;
    for (let j = 0; j < i; j++) {
      if (mops[j][1] !== k) continue;
      touchedBefore = true;
      if (mops[j][0] === 'r') base = j;
    }
    if (f !== 'r') {
      const early = workload === 'list-append' ? earlierRead(mops, k, i, v) : undefined;
      if (early !== undefined) {
        sink.add('future-read', () => ({ txns: [t], key: k, value: v,
          explanation: `${name(t)} read key ${showValue(k)} = ${showValue(early)}, which holds ${showValue(v)}, before it appended ${showValue(v)} itself (future read)` }));
      }
      continue;
    }
    const view: KeyView = { mops, key: k, at: i, base };
    if (touchedBefore && !agrees(view, v, workload)) {
      const expected = expectedText(view, workload);
      sink.add('internal', () => ({ txns: [t], key: k, value: v,
        explanation: `${name(t)} read key ${showValue(k)} = ${showValue(v)}, but its own earlier micro-ops imply ${expected} (internal inconsistency)` }));
    }
  }
}
