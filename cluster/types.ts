// cluster/types.ts — where nodes run: the Cluster interface every backend (local, docker, sim) implements, and the NodeProgram it launches.

/** ClusterKind: where nodes run. `local`: child processes on 127.0.0.1; `docker`: one container per node; `ssh`: one machine per node, over SSH. */
export type ClusterKind = 'local' | 'docker' | 'sim' | 'ssh';

/**
 * NodeStatus: one node's own view of its role, as the harness reads it (who it is, its role,
 * whom it believes primary, its term or view). Programs may add more fields (rsm: appliedIndex).
 */
export interface NodeStatus {
  id: string;
  role: string;
  primary?: string | null;
  term?: number;
  view?: number;
  [extra: string]: unknown;
}

/** Grudge: node -> nodes whose packets it drops (Jepsen's shape). Links not named flow. */
export type Grudge = Record<string, string[]>;

/** Endpoint: how a client on the control node reaches one node's main client port. */
export interface Endpoint {
  node: string;
  /** `HOST:PORT` of the node's main client port (the program's first client port). */
  address: string;
  /** `http://` + address, for programs that speak HTTP there. */
  httpUrl: string;
}

/**
 * PortSpec: one port every node of a program listens on. `client` ports are reached from the
 * control node (docker publishes them); `peer` ports are dialled by other nodes (cluster/local
 * puts a cuttable proxy on every directed link to them). A port may be both.
 */
export interface PortSpec {
  name: string;
  client: boolean;
  peer: boolean;
  /** The port inside a container (each container has its own network namespace, so fixed). */
  dockerPort: number;
}

/**
 * NodeSite: where the cluster put one node — what a program needs to build its command line.
 * Addresses are `HOST:PORT`.
 */
export interface NodeSite {
  kind: ClusterKind;
  node: string;
  /** Position of the node in allNodes (0-based); seeds and fixed addresses derive from it. */
  index: number;
  allNodes: readonly string[];
  /** The node's own data directory (on the host locally, inside the container on docker). */
  dataDir: string;
  /** listen: the address the node binds its port `port` to. */
  listen(port: string): string;
  /** advertise: the address other nodes and clients know this node's port by (docker: its internal IP). */
  advertise(port: string): string;
  /** dial: the address this node uses to reach `other`'s port `port` (locally a per-link proxy the partition cuts). */
  dial(other: string, port: string): string;
  /** --cluster ssh: the directory on the node's host holding the program's remoteFiles. */
  programDir?: string;
}

/** NodeLaunch: the process that is one node. `command` is a path on the host (local) or in the image (docker). */
export interface NodeLaunch {
  command: string;
  args: string[];
  env?: Record<string, string>;
  /**
   * The user the node runs as when it would otherwise be root (postgres refuses root): locally
   * when the control node is root (its data dir is handed to that user), always in a container.
   */
  userWhenRoot?: string;
  /** Working directory (default: the repository root locally, `/` in a container). */
  cwd?: string;
}

/** NodeProbe: what the control node can look at while a node starts or runs. */
export interface NodeProbe {
  node: string;
  /** The node's log output (stdout and stderr) since this start. */
  logSinceStart(): Promise<string>;
  /** address: `HOST:PORT` where the control node reaches `port` of this node directly (never through a cut). */
  address(port: string): string;
}

/** NodeFile: a file a node needs before its first start, relative to its data directory. */
export interface NodeFile {
  path: string;
  data: string | Buffer;
  mode?: number;
}

/**
 * ImageContent: the host files a program's nodes need inside a container (cluster/docker
 * builds the image from them, on top of its base: node, iptables, libfaketime). Executables
 * come with the shared libraries `ldd` names.
 */
export interface ImageContent {
  /** A short name for the image tag (letters, digits, -): images of different programs do not evict each other. */
  name: string;
  /** Host executables, copied to `target` (default: the same path) with their libraries. */
  executables?: { source: string; target?: string }[];
  /** Host directories copied whole (files only, symlinks followed), optionally filtered by relative path. */
  trees?: { source: string; target: string; keep?: (rel: string) => boolean }[];
  /** Single files: from a host path or given bytes. */
  files?: { target: string; source: string | Buffer; mode?: number }[];
  /** Empty directories (e.g. a writable run dir), optionally owned by one of `users`. */
  dirs?: { path: string; mode?: number; user?: string }[];
  /**
   * Installed Debian packages copied whole: every file `dpkg -L` lists (docs, man pages and
   * translations left out), each ELF one with the libraries ldd names (docker/package-image.ts).
   */
  packages?: readonly string[];
  /**
   * The packages are a dependency closure, so they hold every library their ELF files load:
   * no ldd of each (an apt host's ~60 packages: seconds saved).
   */
  packagesHoldLibraries?: boolean;
  /** Path prefixes of package files to leave out. */
  exclude?: readonly string[];
  /** Host system users (and their groups) written into the image's /etc/passwd and /etc/group. */
  users?: readonly string[];
}

/**
 * NodeProgram: what runs on each node, as a cluster needs it (db/ implements it per DB). The
 * cluster decides where (process or container), ports and addresses; the program decides what
 * command runs there and how to tell it is up.
 */
export interface NodeProgram {
  /** Program name, used in names of cleanup entries and images. */
  readonly name: string;
  /** Nodes clients talk to, n1..nN, in order. */
  readonly nodes: readonly string[];
  /** Every node the cluster runs: `nodes` plus any helper nodes (rsm viewservice: `vs`). */
  readonly allNodes: readonly string[];
  /** Ports each node listens on; the first client port is the node's main client port. */
  readonly ports: readonly PortSpec[];
  /** launch: the command line of one node. Called for every (re)start; must be the same for a node each time. */
  launch(site: NodeSite): NodeLaunch;
  /** files: written into the node's data directory before its first start (config files). */
  files?(site: NodeSite): NodeFile[];
  /**
   * dataFiles (optional): the paths, relative to a node's data directory, that hold what the
   * program keeps durably (files or directories: etcd's `etcd/member/wal`); the corrupt-file
   * fault damages only these, not the config files beside them. Without it every file there is data.
   */
  readonly dataFiles?: readonly string[];
  /** ready: whether a started node is up (polled until true or the cluster's ready timeout). */
  ready(probe: NodeProbe): Promise<boolean>;
  /** status: the node's own view of its role and whom it believes primary; null when it does not answer. Optional. */
  status?(probe: NodeProbe): Promise<NodeStatus | null>;
  /** image: the host files the nodes need in a container (required for --cluster docker). */
  image?(): ImageContent;
  /**
   * remoteFiles: what --cluster ssh uploads to each host before the first start, relative to
   * site.programDir (rsm: its node program bundled into one file `node` runs). A program without
   * them expects its executables installed on the hosts (ImageContent.packages, apt-get when asked).
   */
  remoteFiles?(): NodeFile[];
  /** hostPackages: the Debian packages a host needs (--cluster ssh installs them when the hosts file says apt-install: true). */
  readonly hostPackages?: readonly string[];
  /** hostExecutables: what --cluster ssh checks each host has before a run starts (the launch's programs), each with its package. */
  readonly hostExecutables?: readonly HostExecutable[];
}

/** HostExecutable: a program a node runs on an ssh host: an absolute path or a name on the PATH, and the Debian package holding it. */
export interface HostExecutable {
  path: string;
  package: string;
  /** The oldest major version that works, read from the first number `path --version` prints (rsm: node 20). */
  majorMin?: number;
}

/** ClusterSpec: where files go and which fault machinery to prepare (what runs is the NodeProgram). */
export interface ClusterSpec {
  /** Root for per-node data directories. */
  dataDir: string;
  /** Where node logs are written while they run. */
  logDir: string;
  /** Run nodes under libfaketime so clock offsets can be set (the clock nemesis needs it). */
  fakeTime?: boolean;
  /**
   * Put each node's data directory on lazyfs (native/lazyfs), which keeps what was not fsynced
   * undoable, so LazyDisk.loseUnsynced can drop it (the lose-unsynced nemesis needs it; root and
   * /dev/fuse; local and docker: there the mount is on the control node, bound into the container).
   */
  lazyDisk?: boolean;
  /**
   * Keep each node's data directory where the control node can change its files while the node
   * is down (DataFiles; the corrupt-file nemesis needs it). Locally they always are; docker then
   * bind-mounts a host directory as the node's data directory (root, the engine on this machine).
   */
  dataFiles?: boolean;
  /**
   * Put clients on the sides of a cut: clientEndpoint(node, clientSide) then routes through a
   * proxy that obeys the grudge between `clientSide` and `node` (main client port only).
   */
  partitionClients?: boolean;
}

/**
 * Cluster: a running group of nodes. Every method is an effect on real processes (or
 * containers); all must be undone by teardown(), which is safe to call more than once and
 * after a failed setup.
 */
export interface Cluster {
  /** Nodes clients talk to, n1..nN, in order (excludes helper nodes such as the view server). */
  readonly nodes: string[];
  /** Every node the cluster runs: the nodes plus helpers (`vs` for the view service). */
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
  /**
   * clientEndpoint: how a client reaches `node`'s main client port. By default clients on the
   * control node reach every node directly (as in Jepsen). With spec.partitionClients, a client
   * placed on the side of node `clientSide` goes through a proxy cut whenever the grudge
   * separates clientSide and node (either direction); clientSide === node, or no clientSide, is direct.
   */
  clientEndpoint(node: string, clientSide?: string): Endpoint;
  /** clientAddress: `HOST:PORT` of any client port of `node`, reached directly. */
  clientAddress(node: string, port: string): string;
  /** status: the node's view of its role (the program's `status`); null when it does not answer or the program has none. */
  status(node: string): Promise<NodeStatus | null>;
  collectLogs(dir: string): Promise<void>;
}

/** mainClientPort: the program's first client port (the one clientEndpoint and partitionClients use). */
export function mainClientPort(program: Pick<NodeProgram, 'ports' | 'name'>): PortSpec {
  const port = program.ports.find((p) => p.client);
  if (port === undefined) throw new Error(`${program.name}: no client port`);
  return port;
}

/** endpoint: the Endpoint of a node's main client port at `address` (HOST:PORT). */
export function endpoint(node: string, address: string): Endpoint {
  return { node, address, httpUrl: `http://${address}` };
}

/**
 * ClockSkew: the capability of skewing a node's wall clock (local and docker through
 * libfaketime, with spec.fakeTime). A fault kind reaches a capability through its type guard,
 * so a cluster without it is refused with a clear error instead of failing mid-run.
 */
export interface ClockSkew {
  /** setClockOffset skews one node's wall clock by ms (0 resets). */
  setClockOffset(node: string, ms: number): Promise<void>;
}

/** canSkewClocks: the type guard of ClockSkew. */
export function canSkewClocks(cluster: Cluster): cluster is Cluster & ClockSkew {
  return typeof (cluster as Partial<ClockSkew>).setClockOffset === 'function';
}

/** MemberChange: add or remove one server of a group that can change its membership (raft). */
export interface MemberChange {
  op: 'add' | 'remove';
  node: string;
}

/**
 * MembershipChanges: the capability of changing a group's membership by itself (a test cluster);
 * real clusters reach the leader's `POST /admin/membership` instead (nemesis/membership-http.ts).
 */
export interface MembershipChanges {
  /** changeMembership adds or removes one server and resolves with the voters after it. */
  changeMembership(change: MemberChange): Promise<{ voters: string[] }>;
}

/** canChangeMembership: the type guard of MembershipChanges. */
export function canChangeMembership(cluster: Cluster): cluster is Cluster & MembershipChanges {
  return typeof (cluster as Partial<MembershipChanges>).changeMembership === 'function';
}

/** PacketBehaviour: what a packet fault does (Jepsen's net/shape! behaviours). */
export type PacketBehaviour = 'delay' | 'loss' | 'duplicate' | 'reorder' | 'rate';

export const PACKET_BEHAVIOURS: readonly PacketBehaviour[] = ['delay', 'loss', 'duplicate', 'reorder', 'rate'];

/**
 * PacketShape: one packet fault. Probabilities are 0..1. Reordering needs a delay to overtake
 * (as in netem), so reorder without delayMs means the default delay.
 */
export interface PacketShape {
  delayMs?: number;
  jitterMs?: number;
  loss?: number;
  duplicate?: number;
  reorder?: number;
  rateKbit?: number;
}

/** PacketLink: a directed link [from, to]: packets from `from` to `to`. */
export type PacketLink = [from: string, to: string];

/** PacketSupport: what a cluster can do to packets, by which mechanism, and why it cannot do the rest. */
export interface PacketSupport {
  behaviours: readonly PacketBehaviour[];
  /** How ("link-proxies", "tc netem", "iptables statistic + tbf + nfqueue shaper", ...). */
  mechanism: string;
  /** Why the behaviours not listed cannot be done here (shown to the user as is). */
  missing?: string;
}

/** PacketShaping: the capability of delaying, dropping, copying, reordering and throttling packets on links. */
export interface PacketShaping {
  packetSupport(): PacketSupport;
  /**
   * shapePackets replaces the packet faults in force: every listed link gets `shape`, others
   * flow untouched. `seed` fixes the random choices (which packets are dropped, jitter).
   * Returns the mechanism used.
   */
  shapePackets(links: readonly PacketLink[], shape: PacketShape, seed: number): Promise<{ mechanism: string }>;
  /** unshapePackets removes every packet fault (qdiscs, rules, queues); safe to call with none in force. */
  unshapePackets(): Promise<void>;
}

/** canShapePackets: the type guard of PacketShaping. */
export function canShapePackets(cluster: Cluster): cluster is Cluster & PacketShaping {
  return typeof (cluster as Partial<PacketShaping>).shapePackets === 'function';
}

/**
 * MachineryHealth: a cluster whose machinery can break under the run (--cluster ssh: a lost
 * connection to a host). The runner asks after the run: a broken machinery makes the run
 * crashed, never a verdict about the system under test.
 */
export interface MachineryHealth {
  /** machineryFault: why the cluster could not do what it was asked (naming the host), or null. */
  machineryFault(): Error | null;
}

/** hasMachineryHealth: the type guard of MachineryHealth. */
export function hasMachineryHealth(cluster: Cluster): cluster is Cluster & MachineryHealth {
  return typeof (cluster as Partial<MachineryHealth>).machineryFault === 'function';
}

/** LostUnsynced: what LazyDisk.loseUnsynced took back on one node's disk. */
export interface LostUnsynced {
  node: string;
  /** Changes taken back (writes, truncates, creates, renames, removals). */
  undone: number;
  /** Bytes written since their file's last fsync, now gone. */
  unsyncedBytes: number;
  /** With a torn crash: the bytes of the newest unsynced write that landed anyway. */
  tornBytes: number;
}

/**
 * LazyDisk: the capability of losing what a node wrote but did not fsync, as a power failure
 * would (spec.lazyDisk). A fault kind reaches it through hasLazyDisk.
 */
export interface LazyDisk {
  /** loseUnsynced drops every unsynced change of a stopped (killed) node's data directory. */
  loseUnsynced(node: string, options?: { torn?: boolean | number }): Promise<LostUnsynced>;
  /**
   * forgetUnsynced makes every change on a stopped node's disk durable at once, so no later crash
   * takes any of it back: before its files are replaced behind the lazy disk's back (the replace
   * fault's new disk). A no-op for a node without a lazy disk.
   */
  forgetUnsynced(node: string): Promise<void>;
}

/** hasLazyDisk: the type guard of LazyDisk. */
export function hasLazyDisk(cluster: Cluster): cluster is Cluster & LazyDisk {
  return typeof (cluster as Partial<LazyDisk>).loseUnsynced === 'function';
}

/** DataFiles: the capability of reaching a node's data files from the control node (file corruption). */
export interface DataFiles {
  /** dataFilesDir: the host directory holding the node's durable files as they are on its disk. */
  dataFilesDir(node: string): string;
  /** dataFilePaths: what under dataFilesDir is the program's data (NodeProgram.dataFiles), undefined for all of it. */
  dataFilePaths(): readonly string[] | undefined;
  /** isStopped: the node's process is not running (files are only corrupted then). */
  isStopped(node: string): boolean;
}

/** hasDataFiles: the type guard of DataFiles. */
export function hasDataFiles(cluster: Cluster): cluster is Cluster & DataFiles {
  return typeof (cluster as Partial<DataFiles>).dataFilesDir === 'function';
}
