// reports/views.ts — the registry: one report view per checker result `kind`.
//
// A new checker with a view: its checker file sets `kind` on its result, one view file here in
// reports/ shapes it, and one line below registers the view under that kind.
import type { LinearizabilityResult } from '../checker/linearizable/result.ts';
import type { Verdict } from '../checker/types.ts';
import type { ElementTable } from '../checker/elements.ts';
import { isLinearizabilityResult, summariseLinearizable } from './counterexample-view.ts';
import { elementTablesOf, isElementsResult } from './elements.ts';
import { elleSummary, isElleResult } from './elle-view.ts';
import { convergenceSummary } from './convergence-view.ts';
import { oracleSummary } from './oracle-view.ts';

type Json = Record<string, unknown>;

/** CheckerSection: a result the report draws (linearizability, element tables, Elle cycles) or dumps as JSON. */
export type CheckerSection =
  | { kind: 'linearizable'; path: string; result: LinearizabilityResult }
  | { kind: 'elements'; path: string; valid: Verdict; tables: ElementTable[] }
  | { kind: 'elle'; path: string; valid: Verdict; json: Json }
  | { kind: 'other'; path: string; valid: Verdict; json: unknown };

/** ResultView: how the report shows one kind of result. */
export interface ResultView {
  /** section draws the result; undefined when it is malformed (results.json is untrusted): then it shows as JSON. */
  section?(result: Json, path: string, valid: Verdict): CheckerSection | undefined;
  /** summary: the one line of its verdict row. */
  summary?(result: Json): string;
  /** children: fields that hold nested checker results (a workload's result around its checker's). */
  children?: readonly string[];
}

const linearizableView: ResultView = {
  section: (result, path) => (isLinearizabilityResult(result) ? { kind: 'linearizable', path, result: result as unknown as LinearizabilityResult } : undefined),
  summary: (result) => (isLinearizabilityResult(result) ? summariseLinearizable(result as unknown as LinearizabilityResult) : ''),
};

const elementsView: ResultView = {
  section: (result, path, valid) => (isElementsResult(result) ? { kind: 'elements', path, valid, tables: elementTablesOf(result) } : undefined),
};

const elleResultView: ResultView = {
  section: (result, path, valid) => (isElleResult(result) ? { kind: 'elle', path, valid, json: result } : undefined),
  summary: (result) => (isElleResult(result) ? elleSummary(result) : ''),
};

/** RESULT_VIEWS: kind → view. Kinds written by this version's checkers and runner. */
export const RESULT_VIEWS: Readonly<Record<string, ResultView>> = {
  run: { children: ['checker', 'oracle'] },
  'safety-oracle': { summary: oracleSummary },
  register: { children: ['linearizable', 'convergence'] },
  convergence: { summary: convergenceSummary },
  txn: { children: ['elle'] },
  linearizable: linearizableView,
  elle: elleResultView,
  set: elementsView,
  counter: elementsView,
  bank: elementsView,
  elements: elementsView,
};

/**
 * inferKind: results.json written before results carried a `kind` (and Jepsen-style results)
 * are re-rendered by recognising the drawn kinds from their fields; anything else is shown as JSON.
 */
export function inferKind(result: Json): string | undefined {
  if (isLinearizabilityResult(result)) return 'linearizable';
  if (isElleResult(result)) return 'elle';
  if (isElementsResult(result)) return 'elements';
  return undefined;
}
