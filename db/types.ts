// db/types.ts — the Db contract: what runs on each node, what it supports, and the clients workloads use (Jepsen's DB protocol).
import type { Cluster, ClusterKind, NodeProgram } from '../cluster/types.ts';
import type { KvClientLike } from '../workloads/types.ts';

/**
 * DbOptions: what a Db is made from. `settings` is the run's resolved options as plain data,
 * so a Db reads its own flags (e.g. an `--isolation` level) without control/ knowing about it.
 */
export interface DbOptions {
  /** Client-facing nodes, named n1..nN. */
  nodeCount: number;
  /** Base seed of the nodes' random sources (node i gets seed + i) where a Db has any. */
  seed?: number;
  /** A read path the Db offers (rsm raft: log | readindex | lease | any). */
  reads?: string;
  /** Named bugs to switch on (`--bug`). */
  bugs: readonly string[];
  settings: Readonly<Record<string, unknown>>;
}

/** ANY_FAULT: a Db whose nodes survive every fault the cluster kind can inject. */
export const ANY_FAULT = '*';

/**
 * DbSupport: what a run of this Db can be. A run asking for anything else is refused before
 * it starts, naming what is not supported.
 */
export interface DbSupport {
  /** Cluster kinds the Db runs on, each with the fault kinds that work there (ANY_FAULT: all). */
  clusters: Partial<Record<ClusterKind, readonly string[] | typeof ANY_FAULT>>;
  /** Workloads its client implements. */
  workloads: readonly string[];
  /** Whether clients may sit on the sides of a partition (--partition-clients). */
  partitionClients: boolean;
  /** Why a cluster kind or fault is missing, for the refusal (e.g. "etcd peers have one URL per member"). */
  notes?: Partial<Record<ClusterKind, string>>;
  /**
   * refusedOn: fault kinds this Db refuses on particular nodes, with why (kind → node → reason);
   * a schedule file naming such a node is refused before the run. Draws never pick them: they
   * target the client-facing nodes only.
   */
  refusedOn?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * ClientContext: what a Db's client gets for one process. `address` is `HOST:PORT` of a
 * target node's client port as this client reaches it: the main client port (no `port`) goes
 * through the partition-clients proxy of this client's side when --partition-clients is on.
 */
export interface ClientContext {
  /** The node this process talks to first (its thread's node). */
  node: string;
  process: number;
  /** Unique per process and run: use it as a client id for deduplicated retries. */
  clientId: string;
  /** Client-facing nodes of the cluster, in order. */
  nodes: readonly string[];
  address(target: string, port?: string): string;
}

/** DbCluster: what a Db's setup/teardown may use of the running cluster. */
export type DbCluster = Pick<Cluster, 'nodes' | 'allNodes' | 'clientAddress' | 'clientEndpoint' | 'status'>;

/**
 * Db: one system under test. A NodeProgram (what runs on each node, its ports, readiness,
 * `status` — who each node believes is primary, sampled for the roles lane) plus:
 * - support: cluster kinds, faults, workloads it can run (refused at once otherwise);
 * - missing: what this machine lacks to run it on a cluster kind, as one line naming the thing
 *   and how to get it (`etcd not found …; install it: apt-get install etcd-server`), null when nothing;
 * - setup/teardown: cluster-wide steps after every node is ready and before the cluster goes
 *   (e.g. join replicas); a node's own files come from NodeProgram.files;
 * - client: the workload client of one process. Every call resolves to ok (happened), fail
 *   (CERTAINLY not applied: a compare mismatch, an aborted txn) or info (unknown: a timeout, a
 *   lost connection, a crash mid-commit). Answering fail when unsure makes checkers wrong.
 *   A Db implements the calls its `support.workloads` need: register/counter read, write, cas;
 *   set, bank, list-append, rw-register txn (`TxnClient`); the others may throw.
 */
export interface Db extends NodeProgram {
  readonly description: string;
  readonly support: DbSupport;
  missing?(kind: ClusterKind): string | null;
  setup?(cluster: DbCluster): Promise<void>;
  teardown?(cluster: DbCluster): Promise<void>;
  /**
   * primary (optional): the node the system itself names primary (e.g. a sentinel majority),
   * for the nemesis's `primary` target; without it the nemesis asks every node's `status`.
   */
  primary?(cluster: DbCluster): Promise<string | null>;
  /**
   * converged (optional): after every fault is healed, waits (bounded) until the system has
   * settled on its own — e.g. Sentinel demoting a primary that was cut off — so the final
   * reads see what it settled on. Resolves false when the bound ran out first.
   */
  converged?(cluster: DbCluster, signal: AbortSignal): Promise<boolean>;
  /**
   * quietPeriodMs (optional): how long after the heal the system needs on its own before its
   * copies can agree (gossip: rounds of anti-entropy). The recovery phase waits at least this
   * long whatever --recovery-s says, so the final reads judge convergence, not impatience.
   */
  readonly quietPeriodMs?: number;
  client(ctx: ClientContext): KvClientLike | Promise<KvClientLike>;
}

/** TxnClient: the one call transactional workloads (list-append, rw-register, set, bank) use. */
export type TxnClient = Pick<KvClientLike, 'txn' | 'close'>;

/** DbFactory: makes a Db for one run. */
export type DbFactory = (options: DbOptions) => Db;
