// cluster/types.ts — where nodes run: the Cluster interface every backend (local, docker, sim) implements.

/**
 * NodeStatus: what a node answers on GET /status, as far as the harness reads it (who it is,
 * its role, whom it believes primary, its term or view, how far it applied). Nodes may add more fields.
 */
export interface NodeStatus {
  id: string;
  role: string;
  primary?: string | null;
  term?: number;
  view?: number;
  /** The index of the last command the node applied. */
  appliedIndex: number;
  [extra: string]: unknown;
}

/** Grudge: node -> nodes whose packets it drops (Jepsen's shape). Links not named flow. */
export type Grudge = Record<string, string[]>;

/** Endpoint: how a client on the control node reaches one node's client API. */
export interface Endpoint {
  node: string;
  /** Base URL of the node's HTTP API, e.g. http://127.0.0.1:41234 */
  httpUrl: string;
}

/** ClusterSpec: what to run — the rsm protocol and its switches, and where files go. */
export interface ClusterSpec {
  /** rsm protocol: naive | primary-backup | async-backup | viewservice | raft | single */
  protocol: string;
  /** Number of replicas, named n1..nN. The viewservice protocol adds a view server `vs`. */
  nodeCount: number;
  /** Raft read path (log | readindex | lease | any), passed as --reads. */
  reads?: string;
  /** Named protocol bugs, each passed as --bug NAME. */
  bugs: string[];
  /** Extra protocol options, each passed as --option k=v. */
  options: Record<string, string>;
  tickMs?: number;
  fsync?: 'always' | 'never';
  /** Root for per-node data directories. */
  dataDir: string;
  /** Where node stderr logs are written while they run. */
  logDir: string;
  /** Run nodes under libfaketime so clock offsets can be set (the clock nemesis needs it). */
  fakeTime?: boolean;
  /**
   * Put clients on the sides of a cut: clientEndpoint(node, clientSide) then routes through a
   * proxy that obeys the grudge between `clientSide` and `node` (added by cluster/local).
   */
  partitionClients?: boolean;
  /** Base seed of the nodes' random sources: node i gets seed + i (added by cluster/local). */
  seed?: number;
}

/**
 * Cluster: a running group of nodes. Every method is an effect on real processes (or
 * containers); all must be undone by teardown(), which is safe to call more than once and
 * after a failed setup.
 */
export interface Cluster {
  /** Replica ids n1..nN, in order (excludes the view server). */
  readonly nodes: string[];
  /** Every process the cluster runs: the replicas plus `vs` for the view service. */
  readonly allNodes: string[];
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** start (re)starts a stopped or killed node from its data directory. */
  start(node: string): Promise<void>;
  /** kill is SIGKILL: no cleanup, no flush. */
  kill(node: string): Promise<void>;
  pause(node: string): Promise<void>;
  resume(node: string): Promise<void>;
  /** partition replaces the current grudge: each node drops traffic from the nodes listed. */
  partition(grudge: Grudge): Promise<void>;
  /** heal removes every partition. */
  heal(): Promise<void>;
  /** setClockOffset skews one node's wall clock by ms (0 resets). */
  setClockOffset(node: string, ms: number): Promise<void>;
  /**
   * clientEndpoint: how a client reaches `node`. By default clients on the control node reach
   * every node directly (as in Jepsen). With spec.partitionClients, a client placed on the side
   * of node `clientSide` goes through a proxy cut whenever the grudge separates clientSide and
   * node (either direction); clientSide === node, or no clientSide, is direct.
   */
  clientEndpoint(node: string, clientSide?: string): Endpoint;
  /** status asks a node's GET /status; null when it does not answer in time. */
  status(node: string): Promise<NodeStatus | null>;
  collectLogs(dir: string): Promise<void>;
}
