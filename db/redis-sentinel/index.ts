// db/redis-sentinel/index.ts — Redis with Sentinel as a Db: a redis-server and a redis-sentinel per node, the set workload.
//
// Layout (config.ts): every node n1..nN is one machine running both programs under one small
// shell, so the cluster's kill, pause and start act on both (locally on the whole process
// tree, on docker on the node's container). n1 starts as the primary, the others `replicaof`
// it; every sentinel monitors it with a majority quorum.
//
// Both ports are client ports and none is a peer port: a replica dials the one address its
// primary announces and a sentinel the addresses the others announce, one address per process
// for every observer, so per-link proxies cannot cut one link and leave another — partitions
// are refused on --cluster local, and are iptables rules on docker. The nodes announce their
// own addresses (docker: internal ones); the Db remembers them as it launches each node, so the
// probes and the client can map an announced address back to its node and to where the control
// node reaches it.
import type { ClusterKind, NodeFile, NodeLaunch, NodeProbe, NodeSite, NodeStatus, PortSpec } from '../../cluster/types.ts';
import { SHELL_PACKAGE, shellLaunch } from '../shell-launch.ts';
import type { ClientContext, Db, DbCluster, DbFactory, DbOptions } from '../types.ts';
import { missingBinaries, requireRedisBinaries } from './binaries.ts';
import { DEFAULT_TIMINGS, nodeNames, quorumOf, READY, REDIS_AOF_MODES, sentinelConfig, serverConfig, type Address, type RedisAof } from './config.ts';
import { redisStatus, replicasSynced, sentinelsAcquainted, sentinelsPrimary, settled, SETTLE_TIMEOUT_MS, waitFor, waitUntil, type RedisAddressBook } from './probe.ts';
import { RedisSetClient } from './set-client.ts';
import { DISK_FAULTS } from '../support.ts';

export { missingBinaries } from './binaries.ts';
export { RedisSetClient } from './set-client.ts';

/** REDIS_SENTINEL: the --db name. */
export const REDIS_SENTINEL = 'redis-sentinel';

/** REDIS_PORTS: the server's and the sentinel's port (the first, the server's, is the main client port). */
export const REDIS_PORTS: readonly PortSpec[] = [
  { name: 'redis', client: true, peer: false, dockerPort: 6379 },
  { name: 'sentinel', client: true, peer: false, dockerPort: 26379 },
];

/** REDIS_PACKAGES: what a node's image carries (redis-tools holds the one binary both names run; the launch shell). */
export const REDIS_PACKAGES = ['redis-tools', 'redis-server', 'redis-sentinel', SHELL_PACKAGE];
/** IMAGE_BINARIES: the Debian paths, in a node image or on an ssh host. */
const IMAGE_BINARIES = { server: '/usr/bin/redis-server', sentinel: '/usr/bin/redis-sentinel' };
/**
 * REDIS_DATA_FILES: what redis-server keeps in its dir (config.ts `dir`): the RDB snapshot and,
 * with AOF on, the append-only files; not redis.conf and sentinel.conf beside them.
 */
const REDIS_DATA_FILES = ['dump.rdb', 'appendonlydir'];
/** CONVERGE_TIMEOUT_MS: replicas sync and sentinels discover each other (hello messages every 2 s). */
const CONVERGE_TIMEOUT_MS = 40_000;

/** LOCAL_PARTITION_NOTE: why --cluster local cannot cut a Redis link (see the file comment). */
export const LOCAL_PARTITION_NOTE =
  'redis and its sentinels dial one announced address per process, which per-link proxies cannot cut for some peers only; use --cluster docker (iptables) or --nemesis kill,pause';

/**
 * supervisorScript: both programs of a node under one shell. SIGTERM (a graceful stop) is
 * passed to both and waited for; SIGKILL and SIGSTOP reach them through the process tree or
 * the container. The Db offers no clock fault: under libfaketime redis fails on recursive
 * clock_gettime calls and never becomes ready.
 */
export function supervisorScript(server: string, sentinel: string): string {
  return [
    `${server} redis.conf & s=$!`,
    `${sentinel} sentinel.conf & t=$!`,
    `trap 'kill -TERM $s $t 2>/dev/null; wait $s; wait $t; exit 0' TERM INT`,
    'wait',
  ].join('\n');
}

/** parseAddress splits `HOST:PORT`. */
function parseAddress(address: string): Address {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

const key = (a: Address): string => `${a.host}:${a.port}`;

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::ffff:127.0.0.1' || host === '::1';
}

/** sameAddress: equal, loosely for loopback (the kernel may name 127.0.0.1 as ::ffff:127.0.0.1). */
function sameAddress(a: Address, b: Address): boolean {
  return a.port === b.port && (a.host === b.host || (isLoopback(a.host) && isLoopback(b.host)));
}

/** redisSentinelDbFactory: Redis with Sentinel on options.nodeCount nodes (at least 3). */
export const redisSentinelDbFactory: DbFactory = (options: DbOptions): Db => {
  if (options.nodeCount < 3) throw new Error(`--nodes: --db ${REDIS_SENTINEL} needs at least 3 nodes (a sentinel majority must survive losing the primary's node), got ${options.nodeCount}`);
  const aof = (options.settings.redisAof ?? 'off') as RedisAof;
  if (!REDIS_AOF_MODES.includes(aof)) throw new Error(`--redis-aof: expected one of ${REDIS_AOF_MODES.join(', ')}, got ${JSON.stringify(aof)}`);
  const nodes = nodeNames(options.nodeCount);
  // node → port name → the address it announces, recorded as each node is launched.
  const announced = new Map<string, Map<string, Address>>();
  const nodeOfAnnounced = (address: Address): string | undefined =>
    nodes.find((n) => { const a = announced.get(n)?.get('redis'); return a !== undefined && sameAddress(a, address); });
  const remember = (site: NodeSite): void => {
    announced.set(site.node, new Map(REDIS_PORTS.map((p) => [p.name, parseAddress(site.advertise(p.name))])));
  };
  /** book: where the control node reaches each node's server and sentinel in a running cluster. */
  const book = (reach: (node: string, port: string) => string): RedisAddressBook => ({
    nodes,
    serverAddress: (n) => parseAddress(reach(n, 'redis')),
    sentinelAddress: (n) => parseAddress(reach(n, 'sentinel')),
    nodeOfAnnounced,
  });
  const clusterBook = (cluster: DbCluster): RedisAddressBook => book((n, p) => cluster.clientAddress(n, p));

  const files = (site: NodeSite): NodeFile[] => {
    remember(site);
    const listen = (port: string): Address => parseAddress(site.listen(port));
    const advertise = (port: string): Address => parseAddress(site.advertise(port));
    const primary = parseAddress(site.dial(nodes[0], 'redis'));
    return [
      { path: 'redis.conf', mode: 0o666, data: serverConfig({ bind: listen('redis').host, port: listen('redis').port, announce: advertise('redis'), dir: site.dataDir, replicaOf: site.node === nodes[0] ? null : primary, aof }) },
      // Sentinel rewrites its config as it learns, so the file must be writable.
      { path: 'sentinel.conf', mode: 0o666, data: sentinelConfig({ bind: listen('sentinel').host, port: listen('sentinel').port, announce: advertise('sentinel'), dir: site.dataDir, primary, quorum: quorumOf(nodes.length), timings: DEFAULT_TIMINGS }) },
    ];
  };

  const launch = (site: NodeSite): NodeLaunch => {
    remember(site);
    const bins = site.kind === 'local' ? requireRedisBinaries() : IMAGE_BINARIES;
    return shellLaunch(supervisorScript(bins.server, bins.sentinel), { cwd: site.dataDir });
  };

  return {
    name: REDIS_SENTINEL,
    description: `Redis 7 with Sentinel: a primary, replicas, a sentinel per node; set workload${aof === 'off' ? '' : `; append-only file, appendfsync ${aof}`}`,
    nodes,
    allNodes: nodes,
    ports: REDIS_PORTS,
    support: {
      // Disk faults need the data directory on this machine (lazyfs, or files reached from here).
      clusters: { local: ['kill', 'pause', ...DISK_FAULTS], docker: ['kill', 'pause', 'partition', ...DISK_FAULTS], ssh: ['kill', 'pause', 'partition'] },
      workloads: ['set'],
      partitionClients: false,
      notes: { local: LOCAL_PARTITION_NOTE },
    },
    // On ssh the hosts hold the binaries (hostPackages), not this machine.
    missing: (kind: ClusterKind) => (kind === 'ssh' ? null : missingBinaries()),
    hostPackages: REDIS_PACKAGES,
    hostExecutables: [{ path: IMAGE_BINARIES.server, package: 'redis-server' }, { path: IMAGE_BINARIES.sentinel, package: 'redis-sentinel' }, { path: '/bin/sh', package: SHELL_PACKAGE }],
    dataFiles: REDIS_DATA_FILES,
    files,
    launch,
    ready: async (probe: NodeProbe) => {
      const log = await probe.logSinceStart();
      return READY.server.test(log) && READY.sentinel.test(log);
    },
    status: (probe: NodeProbe): Promise<NodeStatus | null> => redisStatus(book((_n, p) => probe.address(p)), probe.node),
    image: () => ({ name: 'redis', packages: REDIS_PACKAGES }),
    /** setup waits until the replicas have synced with n1 and every sentinel knows every replica and sentinel. */
    async setup(cluster: DbCluster): Promise<void> {
      const b = clusterBook(cluster);
      await waitFor('replicas in sync with the primary', () => replicasSynced(b, nodes[0]), CONVERGE_TIMEOUT_MS);
      await waitFor('sentinels knowing each other and every replica', () => sentinelsAcquainted(b), CONVERGE_TIMEOUT_MS);
    },
    /** primary: whom a majority of sentinels calls primary (what the nemesis's `primary` target hits). */
    primary: (cluster: DbCluster) => sentinelsPrimary(clusterBook(cluster)),
    /** converged waits (up to SETTLE_TIMEOUT_MS) until Sentinel has one primary that every other server follows. */
    converged: (cluster: DbCluster, signal: AbortSignal) => waitUntil(() => settled(clusterBook(cluster)), SETTLE_TIMEOUT_MS, 250, signal),
    client: (ctx: ClientContext) => {
      const reached = (n: string, p: string): Address => parseAddress(ctx.address(n, p));
      return new RedisSetClient({
        nodes,
        sentinelAddress: (n) => reached(n, 'sentinel'),
        // Sentinels answer with announced addresses: map each to where the control node reaches it.
        natMap: () => Object.fromEntries(nodes.flatMap((n) => REDIS_PORTS.map((p) => [key(announced.get(n)!.get(p.name)!), reached(n, p.name)]))),
        nodeOfReached: (address) => nodes.find((n) => sameAddress(reached(n, 'redis'), address)),
      }, ctx.node);
    },
  };
};
