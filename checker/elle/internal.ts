// checker/elle/internal.ts — internal consistency: a txn's reads must agree with its own earlier reads and writes.
import type { OpKey } from '../../history/op.ts';
import { AnomalySink, name, sameValue } from './inference.ts';
import { showValue, type Mop } from './txns.ts';

/** KeyState: what the txn knows of one key: the last read (base, null if none) plus its appends/writes since. */
interface KeyState {
  key: OpKey;
  base: unknown[] | null;
  since: unknown[];
  /** Every read of the key so far in this txn (list-append: for future reads). */
  reads: unknown[][];
}

function expectedText(state: KeyState, workload: 'list-append' | 'rw-register'): string {
  if (workload === 'rw-register') return `${showValue(state.since.length > 0 ? state.since[state.since.length - 1] : (state.base as unknown[])[0])}`;
  if (state.base !== null) return showValue([...state.base, ...state.since]);
  return `a list ending in ${showValue(state.since)}`;
}

function agrees(state: KeyState, value: unknown, workload: 'list-append' | 'rw-register'): boolean {
  if (workload === 'rw-register') {
    const known = state.since.length > 0 ? state.since[state.since.length - 1] : (state.base as unknown[])[0];
    return sameValue(known, value);
  }
  const list = (value ?? []) as unknown[];
  const { base, since } = state;
  // Element by element: this runs for every txn that touches a key twice.
  if (base !== null) {
    if (list.length !== base.length + since.length) return false;
    for (let i = 0; i < base.length; i++) if (!same(list[i], base[i])) return false;
  }
  const offset = list.length - since.length;
  if (offset < 0) return false;
  for (let i = 0; i < since.length; i++) if (!same(list[offset + i], since[i])) return false;
  return true;
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
  const states: KeyState[] = [];
  for (const [f, k, v] of mops) {
    let state = states.find((x) => x.key === k);
    if (f !== 'r') {
      if (state === undefined) { state = { key: k, base: null, since: [], reads: [] }; states.push(state); }
      const early = state.reads.find((list) => list.some((e) => same(e, v)));
      if (early !== undefined) {
        sink.add('future-read', () => ({ txns: [t], key: k, value: v,
          explanation: `${name(t)} read key ${showValue(k)} = ${showValue(early)}, which holds ${showValue(v)}, before it appended ${showValue(v)} itself (future read)` }));
      }
      state.since.push(v);
      continue;
    }
    if (state !== undefined && (state.base !== null || state.since.length > 0) && !agrees(state, v, workload)) {
      const expected = expectedText(state, workload);
      sink.add('internal', () => ({ txns: [t], key: k, value: v,
        explanation: `${name(t)} read key ${showValue(k)} = ${showValue(v)}, but its own earlier micro-ops imply ${expected} (internal inconsistency)` }));
    }
    if (state === undefined) { state = { key: k, base: null, since: [], reads: [] }; states.push(state); }
    // Reads are never mutated, so the list itself can stand as the base.
    state.base = workload === 'rw-register' ? [v] : ((v ?? []) as unknown[]);
    if (workload === 'list-append') state.reads.push(state.base);
    state.since = [];
  }
}
