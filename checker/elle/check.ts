// checker/elle/check.ts — checkElle: infer the dependency graph, find the cycles, judge against a consistency model.
import type { Op } from '../../history/op.ts';
import type { Verdict } from '../types.ts';
import { CYCLE_EXISTS_SPECS, CYCLE_EXISTS_TYPES, CycleExistence, classifyCycle, type Examination } from './cycle-exists.ts';
import { BASE_CLASSES, CycleSearch, cycleClass, type Budget, type CycleClass, type OrderFacts } from './cycles.ts';
import { explainCycle } from './explain.ts';
import { EdgeBuilder, PROCESS, REALTIME } from './graph.ts';
import { AnomalySink, type Inference } from './inference.ts';
import { inferListAppend } from './list-append.ts';
import { canonicalModel, forbiddenBy, violatedModels } from './models.ts';
import { addProcessEdges, realtimeRanges } from './order-edges.ts';
import { inferRwRegister } from './rw-register.ts';
import { SccWorkspace } from './scc.ts';
import { collectTxns, FAIL, INFO, OK, txnView as txnViewOf, type TxnTable } from './txns.ts';
import type { AnomalyType, CycleAnomalyType, CycleExistsType, ElleAnomaly, ElleOptions, ElleResult, UnknownComponent } from './types.ts';

const TIMEOUT_MS_DEFAULT = 30_000;
const SEARCH_STEPS_MAX_DEFAULT = 200_000_000;
const EXAMPLES_PER_TYPE_MAX_DEFAULT = 8;
const MODEL_DEFAULT = 'strict-serializable';
/** EXISTS_TXNS_SHOWN_MAX: txns listed for a cycle-exists finding (its component may hold thousands). */
const EXISTS_TXNS_SHOWN_MAX = 16;

/** ANOMALY_TYPES: every anomaly name checkElle can report (for validating `anomalies`). */
export const ANOMALY_TYPES: readonly AnomalyType[] = [
  'G1a', 'G1b', 'internal', 'dirty-update', 'lost-update', 'duplicate-elements', 'incompatible-order', 'garbage-read', 'future-read', 'cyclic-versions',
  ...BASE_CLASSES, ...BASE_CLASSES.map((b) => `${b}-process` as CycleAnomalyType), ...BASE_CLASSES.map((b) => `${b}-realtime` as CycleAnomalyType),
  ...CYCLE_EXISTS_TYPES,
];

function classesFor(processEdges: boolean, realtimeEdges: boolean): CycleClass[] {
  const classes = BASE_CLASSES.map((b) => cycleClass(b, 0, ''));
  if (processEdges) classes.push(...BASE_CLASSES.map((b) => cycleClass(b, PROCESS, '-process')));
  if (realtimeEdges) classes.push(...BASE_CLASSES.map((b) => cycleClass(b, REALTIME, '-realtime')));
  return classes;
}

/**
 * checkElle checks a history of `txn` ops (Elle's list-append or rw-register workload) against
 * `consistencyModel`: valid is false when it finds an anomaly the model (or `anomalies`) forbids,
 * 'unknown' when a component's search ran out of budget before deciding a forbidden class, else
 * true. Throws an Error on malformed input or an unknown model/anomaly name.
 */
export function checkElle(history: readonly Op[], opts: ElleOptions): ElleResult {
  const startMs = performance.now();
  const model = canonicalModel(opts.consistencyModel ?? MODEL_DEFAULT);
  const forbidden = new Set<AnomalyType>(forbiddenBy(model));
  for (const a of opts.anomalies ?? []) {
    if (!(ANOMALY_TYPES as readonly string[]).includes(a)) throw new Error(`anomaly '${a}' is unknown; expected one of ${ANOMALY_TYPES.join(', ')}`);
    forbidden.add(a as AnomalyType);
  }
  const perTypeMax = opts.examplesPerTypeMax ?? EXAMPLES_PER_TYPE_MAX_DEFAULT;
  const table = collectTxns(history);
  const sink = new AnomalySink(perTypeMax);
  const edges = new EdgeBuilder(table.count);
  const inference = opts.workload === 'list-append'
    ? inferListAppend(table, edges, sink)
    : inferRwRegister(table, edges, sink, {
      wfrKeys: opts.wfrKeys ?? true, sequentialKeys: opts.sequentialKeys ?? false, linearizableKeys: opts.linearizableKeys ?? false,
    });
  const forbidsAny = (suffix: string): boolean => [...forbidden].some((a) => a.endsWith(suffix));
  const processEdges = forbidsAny('-process');
  const realtimeEdges = forbidsAny('-realtime');
  if (processEdges) addProcessEdges(table, edges);
  const graph = edges.build(realtimeEdges ? realtimeRanges(table) : null);

  const timeoutMs = opts.timeoutMs ?? TIMEOUT_MS_DEFAULT;
  const budget: Budget = {
    steps: 0, stepsMax: opts.searchStepsMax ?? SEARCH_STEPS_MAX_DEFAULT,
    deadlineMs: startMs + timeoutMs, now: () => performance.now(), exhausted: false,
  };
  const scc = new SccWorkspace(graph);
  const all = new Int32Array(table.count);
  for (let i = 0; i < all.length; i++) all[i] = i;
  const components = scc.components(all, 0xff, null, 0);
  const search = new CycleSearch(graph, scc, budget, orderFacts(table));
  const existence = new CycleExistence(graph, scc, (processEdges ? PROCESS : 0) | (realtimeEdges ? REALTIME : 0));
  const classes = classesFor(processEdges, realtimeEdges);
  const found: Found = { anomalies: [], counts: new Map(), perTypeMax, table, inference };
  const unknownComponents: UnknownComponent[] = [];
  for (const component of components) {
    const foundBases = new Set<string>();
    const undecided: CycleAnomalyType[] = [];
    for (const c of classes) {
      if (c.extra !== 0 && foundBases.has(c.base)) continue;
      const cycle = budget.exhausted ? 'unknown' : search.find(component, c);
      if (cycle === 'unknown') { undecided.push(c.type); continue; }
      if (cycle === null) continue;
      if (c.extra === 0) foundBases.add(c.base);
      record(found, c.type, () => explainCycle(table, inference, c, cycle));
    }
    if (undecided.length === 0) continue;
    const left = fallBack(found, existence.examine(component), undecided);
    if (left.length > 0) unknownComponents.push({ size: component.length, classes: left });
  }
  dropRedundantCycleExists(found);
  return assemble({
    opts, model, forbidden, table, sink, cycleAnomalies: found.anomalies, cycleCounts: found.counts, unknownComponents,
    edgeCount: graph.edgeCount, componentCount: components.length, budget, startMs,
  });
}

/** orderFacts: a completed ok before b was invoked (and, for process order, on b's process). */
function orderFacts(table: TxnTable): OrderFacts {
  return {
    precedes: (a, b, bit) => table.status[a] === OK && table.completePosition[a] < table.invokePosition[b] &&
      (bit !== PROCESS || table.process[a] === table.process[b]),
  };
}

/** Found: cycle anomalies (and cycle-exists findings) kept as examples, and every type's count. */
interface Found {
  anomalies: ElleAnomaly[];
  counts: Map<AnomalyType, number>;
  perTypeMax: number;
  table: TxnTable;
  inference: Inference;
}

function record(found: Found, type: AnomalyType, build: () => ElleAnomaly): void {
  const count = (found.counts.get(type) ?? 0) + 1;
  found.counts.set(type, count);
  if (count <= found.perTypeMax) found.anomalies.push(build());
}

/**
 * fallBack records what the linear checks proved about a component whose search ran out of
 * budget (Elle's cycle-exists cases plus one example cycle) and returns the classes still
 * undecided: those whose subgraph was not shown acyclic.
 */
function fallBack(found: Found, exam: Examination, undecided: CycleAnomalyType[]): CycleAnomalyType[] {
  for (const { spec, txns } of exam.found) {
    record(found, spec.type, () => ({
      type: spec.type,
      txns: Array.from(txns.subarray(0, EXISTS_TXNS_SHOWN_MAX), (id) => txnViewOf(found.table, id)),
      explanation: `The ${spec.text} among these ${txns.length} txns form a strongly connected component, so they hold a cycle ` +
        `that ${spec.model} forbids; the search for the exact cycle ran out of budget (${spec.type}).`,
    }));
  }
  let shown: string | null = null;
  if (exam.example !== null) {
    const cycle = exam.example;
    const { base, type } = classifyCycle(cycle);
    shown = type;
    const extra = type.endsWith('-realtime') ? REALTIME : type.endsWith('-process') ? PROCESS : 0;
    const c = cycleClass(base, extra, extra === REALTIME ? '-realtime' : extra === PROCESS ? '-process' : '');
    record(found, type, () => {
      const a = explainCycle(found.table, found.inference, c, cycle);
      return { ...a, explanation: `${a.explanation}\n(Found by the fallback search after the budget ran out: a cycle, not necessarily the shortest.)` };
    });
  }
  return undecided.filter((c) => !exam.impossible.has(c) && c !== shown);
}

/** dropRedundantCycleExists drops cycle-exists findings for models other anomalies already rule out (Elle's remove-redundant-cycle-exists). */
function dropRedundantCycleExists(found: Found): void {
  const exists = new Set<string>(CYCLE_EXISTS_TYPES);
  const others = [...found.counts.keys()].filter((t) => !exists.has(t));
  const ruledOut = new Set(CYCLE_EXISTS_SPECS.filter((s) => others.some((t) => forbiddenBy(s.model).has(t))).map((s) => s.type));
  for (const t of ruledOut) found.counts.delete(t);
  found.anomalies = found.anomalies.filter((a) => !ruledOut.has(a.type as CycleExistsType));
}

interface Parts {
  opts: ElleOptions;
  model: string;
  forbidden: Set<AnomalyType>;
  table: TxnTable;
  sink: AnomalySink;
  cycleAnomalies: ElleAnomaly[];
  cycleCounts: Map<AnomalyType, number>;
  unknownComponents: UnknownComponent[];
  edgeCount: number;
  componentCount: number;
  budget: Budget;
  startMs: number;
}

function assemble(p: Parts): ElleResult {
  const counts: Partial<Record<AnomalyType, number>> = {};
  for (const [t, n] of p.sink.counts) counts[t] = n;
  for (const [t, n] of p.cycleCounts) counts[t] = n;
  const anomalyTypes = (Object.keys(counts) as AnomalyType[]).sort();
  const forbiddenTypes = anomalyTypes.filter((t) => p.forbidden.has(t));
  const undecidedForbidden = p.unknownComponents.some((u) => u.classes.some((c) => p.forbidden.has(c)));
  const valid: Verdict = forbiddenTypes.length > 0 ? false : undecidedForbidden ? 'unknown' : true;
  const { not, alsoNot } = violatedModels(anomalyTypes);
  const { table } = p;
  let okCount = 0, infoCount = 0, failCount = 0;
  for (let t = 0; t < table.count; t++) {
    if (table.status[t] === OK) okCount++;
    else if (table.status[t] === INFO) infoCount++;
    else if (table.status[t] === FAIL) failCount++;
  }
  const anomalies: ElleAnomaly[] = [
    ...p.sink.kept.map((a): ElleAnomaly => {
      const out: ElleAnomaly = { type: a.type, txns: a.txns.map((id) => txnViewOf(table, id)), explanation: a.explanation };
      if (a.key !== undefined) out.key = a.key;
      if (a.value !== undefined) out.value = a.value;
      return out;
    }),
    ...p.cycleAnomalies,
  ];
  const result: ElleResult = {
    kind: 'elle', valid, workload: p.opts.workload, consistencyModel: p.model, anomalyTypes, forbiddenTypes,
    notModels: not, alsoNotModels: alsoNot, anomalies, anomalyCounts: counts,
    txnCount: table.count, okCount, infoCount, failCount, edgeCount: p.edgeCount, componentCount: p.componentCount,
    unknownComponents: p.unknownComponents, searchSteps: p.budget.steps, elapsedMs: performance.now() - p.startMs,
  };
  if (p.unknownComponents.length > 0) {
    result.unknownReason = p.budget.steps > p.budget.stepsMax
      ? `search step budget (${p.budget.stepsMax}) exhausted in ${p.unknownComponents.length} component(s)`
      : `timeout: ${p.unknownComponents.length} component(s) not fully searched`;
  }
  return result;
}
