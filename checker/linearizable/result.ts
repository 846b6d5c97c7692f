// checker/linearizable/result.ts — the JSON-serialisable verdict of a linearizability check.
import type { OpKey, Operation } from '../../history/op.ts';
import type { ModelSemantics, Verdict } from '../types.ts';

/**
 * OperationView is one op as a report draws it: the Operation with JSON-safe returnIndex
 * (null = never returned, an info op) and describeOperation's text, e.g. "read 3".
 */
export type OperationView = Omit<Operation, 'returnIndex'> & {
  returnIndex: number | null;
  text: string;
};

/** PrefixStep is one op of the longest linearizable prefix and the model state after it. */
export interface PrefixStep {
  id: number;
  /** describeState of the state after this op; '' for all but the last 2000 steps. */
  stateAfter: string;
}

/** PartitionFailure explains why one partition (one key) is not linearizable. */
export interface PartitionFailure {
  key?: OpKey;
  partitionOpCount: number;
  /** The longest linearizable prefix found, in linearization order. */
  prefix: PrefixStep[];
  /** The ok op with the smallest return that could not be linearized after that prefix. */
  failingOpIds: number[];
  /** Ops that could have gone next at that point (the candidates the search tried). */
  candidateIds: number[];
  /** Distinct states possible just before the failing op (all reached at the maximal depth, capped). */
  statesBefore: string[];
  /** Ops concurrent with the failing op (their intervals overlap it), in invoke order. */
  windowIds: number[];
  /**
   * A smallest set of this partition's ops that is not linearizable on its own, found by
   * shrinking (in invoke order). Absent when shrinking was skipped (shrinkMs 0).
   */
  minimalOpIds?: number[];
  /** True when removing any one op of minimalOpIds was shown to make it linearizable. */
  minimal?: boolean;
  /** Every op named above, by id. */
  ops: OperationView[];
  /** Human text for terminals and reports. */
  lines: string[];
}

/** LinearizabilityResult is what checkLinearizable returns: valid, unknown, or counterexamples. */
export interface LinearizabilityResult {
  kind: 'linearizable';
  valid: Verdict;
  model: string;
  /** semantics: how the model read values, when it has two meanings (ModelSemantics). */
  semantics?: ModelSemantics;
  partitions: number;
  /** Partitions whose search finished (ok or illegal). */
  partitionsChecked: number;
  opCount: number;
  elapsedMs: number;
  failures: PartitionFailure[];
  unknownReason?: string;
  /** Search steps over all partitions (for benchmarks). */
  steps?: number;
  /** Pairing counts, when the check started from a raw history. */
  dropped?: { failedReads: number; infoReads: number; failed: number; info: number; pending: number };
}
