// checker/elements.ts — the result shape of element checkers (set, counter, bank): tables of the elements they complain about.
import type { OpKey } from '../history/op.ts';
import type { Verdict } from './types.ts';

/**
 * ElementRow is one element a checker complains about: the element itself, the key it
 * belongs to, and the history indexes of the ops that prove it (the report links them into
 * the timeline).
 */
export interface ElementRow {
  element: unknown;
  key?: OpKey;
  opIndexes?: number[];
  detail?: string;
}

/** ElementTable is one kind of anomaly ("lost", "unexpected", "stale", ...). */
export interface ElementTable {
  name: string;
  description?: string;
  rows: ElementRow[];
  /** How many there were when `rows` was capped by the checker. */
  total?: number;
}

/**
 * ElementsResult: a checker result shaped for the report. Either give `elementTables`
 * directly, or Jepsen-style arrays (`lost`, `unexpected`, `stale`, `duplicated`,
 * `recovered`) whose items are elements or ElementRows; both are shown as tables.
 */
export interface ElementsResult {
  valid: Verdict;
  elementTables?: ElementTable[];
  lost?: unknown[];
  unexpected?: unknown[];
  stale?: unknown[];
  duplicated?: unknown[];
  recovered?: unknown[];
}
