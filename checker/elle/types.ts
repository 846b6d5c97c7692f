// checker/elle/types.ts — options and the JSON-serialisable result of the Elle-style transactional checker.
import type { OpKey, Process } from '../../history/op.ts';
import type { Verdict } from '../types.ts';

/** ElleWorkload: the shape of the transactions (Elle's list-append and rw-register). */
export type ElleWorkload = 'list-append' | 'rw-register';

/** CycleAnomalyType: anomalies proven by a cycle in the dependency graph (Adya; Elle's variants). */
export type CycleAnomalyType =
  | 'G0' | 'G1c' | 'G-single' | 'G-nonadjacent' | 'G2-item'
  | 'G0-process' | 'G1c-process' | 'G-single-process' | 'G-nonadjacent-process' | 'G2-item-process'
  | 'G0-realtime' | 'G1c-realtime' | 'G-single-realtime' | 'G-nonadjacent-realtime' | 'G2-item-realtime';

/** PointAnomalyType: anomalies seen in single reads or transactions, without a cycle. */
export type PointAnomalyType =
  | 'G1a' | 'G1b' | 'internal' | 'dirty-update' | 'lost-update'
  | 'duplicate-elements' | 'incompatible-order' | 'garbage-read' | 'future-read' | 'cyclic-versions';

/** CycleExistsType: a subgraph that some model needs acyclic has a cycle (Elle's fallback when a search runs out of budget). */
export type CycleExistsType =
  | 'PL-1-cycle-exists' | 'PL-2-cycle-exists' | 'PL-SI-cycle-exists' | 'PL-2.99-cycle-exists'
  | 'strong-session-PL-1-cycle-exists' | 'strong-session-PL-2-cycle-exists'
  | 'strong-session-snapshot-isolation-cycle-exists' | 'strong-session-serializable-cycle-exists'
  | 'strong-PL-1-cycle-exists' | 'strong-PL-2-cycle-exists' | 'strong-snapshot-isolation-cycle-exists' | 'PL-SS-cycle-exists';

export type AnomalyType = CycleAnomalyType | PointAnomalyType | CycleExistsType;

/** EdgeType: why one transaction must precede another. */
export type EdgeType = 'ww' | 'wr' | 'rw' | 'process' | 'realtime';

/** ElleOptions: what to infer and how long the cycle search may run. */
export interface ElleOptions {
  workload: ElleWorkload;
  /** The model the history must satisfy (Elle's names or Adya's PL-*). Default strict-serializable. */
  consistencyModel?: string;
  /** Wall-clock limit for the cycle search; components left unsearched make the verdict unknown. Default 30 000. */
  timeoutMs?: number;
  /** Extra anomaly types that make the history invalid even when the model allows them. */
  anomalies?: string[];
  /** Cap on BFS edge relaxations over the whole cycle search. Default 200 000 000. */
  searchStepsMax?: number;
  /**
   * rw-register version-order assumptions (Elle's :wfr-keys?, :sequential-keys?,
   * :linearizable-keys?): a txn's write follows its read of the same key (default true;
   * Elle's default is false), each key is sequentially consistent (process order orders its
   * versions; default false), each key is linearizable (real-time order does; default false).
   */
  wfrKeys?: boolean;
  sequentialKeys?: boolean;
  linearizableKeys?: boolean;
  /** Anomalies kept per type in the result (the rest are only counted). Default 8. */
  examplesPerTypeMax?: number;
}

/** ElleTxnView: one transaction as a person or report reads it. */
export interface ElleTxnView {
  /** Dense id, 0.. in invoke order. */
  id: number;
  process: Process;
  type: 'ok' | 'info' | 'fail';
  invokeIndex: number;
  /** History index of the completion; null when it never completed. */
  completeIndex: number | null;
  /** The completion's micro-ops for ok txns (reads filled in), else the invoke's. */
  value: unknown;
}

/** CycleStep: one edge of a cycle, with the key and value that justify it. */
export interface CycleStep {
  from: number;
  to: number;
  edge: EdgeType;
  key?: OpKey;
  value?: unknown;
  /** One sentence: "T2 appended 3 to key 4 after T1 read key 4 without it". */
  text: string;
}

/** ElleAnomaly: one anomaly, its transactions, its cycle (cycle anomalies) and an explanation. */
export interface ElleAnomaly {
  type: AnomalyType;
  txns: ElleTxnView[];
  cycle?: CycleStep[];
  key?: OpKey;
  value?: unknown;
  explanation: string;
}

/** UnknownComponent: a strongly connected component whose search ran out of budget. */
export interface UnknownComponent {
  size: number;
  /** The anomaly classes not decided in it. */
  classes: CycleAnomalyType[];
}

/** ElleResult: what checkElle returns. JSON-serialisable (no Infinity, no Maps). */
export interface ElleResult {
  kind: 'elle';
  valid: Verdict;
  workload: ElleWorkload;
  consistencyModel: string;
  /** Every anomaly type found, sorted. */
  anomalyTypes: AnomalyType[];
  /** Anomaly types found that the requested model (or `anomalies`) forbids: they make valid false. */
  forbiddenTypes: AnomalyType[];
  /** The weakest models the history violates (Elle's "not"). */
  notModels: string[];
  /** Stronger models also violated (Elle's "also-not"). */
  alsoNotModels: string[];
  anomalies: ElleAnomaly[];
  /** Count per type, including anomalies not kept as examples. */
  anomalyCounts: Partial<Record<AnomalyType, number>>;
  txnCount: number;
  okCount: number;
  infoCount: number;
  failCount: number;
  /** Distinct (from, to) pairs in the dependency graph. */
  edgeCount: number;
  /** Strongly connected components with more than one transaction. */
  componentCount: number;
  unknownComponents: UnknownComponent[];
  unknownReason?: string;
  searchSteps: number;
  elapsedMs: number;
}
