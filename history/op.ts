// history/op.ts — the Op record: the contract every module shares (see DESIGN.md "The history").

/** OpType: invoke starts an op; ok/fail/info complete it (happened / did not happen / unknown). */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

/** Process: a client process id, or the nemesis. After an `info` a thread continues as a new id. */
export type Process = number | 'nemesis';

/** OpKey: the key of an independent-key workload. */
export type OpKey = string | number;

/**
 * Op is one line of history.jsonl. `time` is nanoseconds since test start on a monotonic
 * clock; it is absent in histories imported from Knossos or Porcupine data, where the order
 * of `index` (the line order) is the real-time order.
 */
export interface Op {
  index: number;
  time?: number;
  type: OpType;
  process: Process;
  f: string;
  key?: OpKey;
  value?: unknown;
  node?: string;
  error?: string;
  /**
   * stamp: the version a last-writer-wins system gave this ok write, or of the value this ok
   * read returned (null: never written) — a Lamport stamp [clock, node id]. Only systems that
   * order writes by such stamps (rsm gossip) report one; the convergence checker reads it.
   */
  stamp?: Stamp | null;
}

/** Stamp: a Lamport stamp [clock, node id]; higher clock wins, ties broken by node id. */
export type Stamp = [number, string];

/**
 * MicroOp: one step of a txn op's value (Jepsen/Elle shape); `r` carries null in an invoke.
 * `cas` carries [expected, new] (conditional multi-key writes, e.g. a bank transfer). The rsm
 * store's command has the same shape; it keeps its own type because rsm/ imports nothing of ours.
 */
export type MicroOp =
  | ['append', string, unknown]
  | ['r', string, unknown]
  | ['w', string, unknown]
  | ['cas', string, [unknown, unknown]];

/**
 * Operation is an invoke paired with its completion, ready for the linearizability search.
 * `fail` completions never reach the search: those ops certainly did not happen.
 * An `info` (or never completed) op has `returnIndex` = Infinity and `outcome` 'info':
 * it may take effect at any point after its invoke, or never.
 */
export interface Operation {
  /** Dense id, 0.. in invoke order. */
  id: number;
  process: Process;
  f: string;
  key?: OpKey;
  /** The invoke's value (what the client asked for). */
  input: unknown;
  /** The completion's value (what the system answered); undefined for info ops. */
  output: unknown;
  outcome: 'ok' | 'info';
  /** History index of the invoke. */
  invokeIndex: number;
  /** History index of the ok completion, Infinity for info/pending ops. */
  returnIndex: number;
  /** Nanosecond times, when the history has them. */
  invokeTime?: number;
  returnTime?: number;
}

export const OP_TYPES: readonly OpType[] = ['invoke', 'ok', 'fail', 'info'];

/** isOpType narrows an unknown value to OpType. */
export function isOpType(value: unknown): value is OpType {
  return typeof value === 'string' && (OP_TYPES as readonly string[]).includes(value);
}
