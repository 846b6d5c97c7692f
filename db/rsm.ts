// db/rsm.ts — the rsm protocols (naive … raft, single) as DBs: the one place their node command line is built.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterKind, ImageContent, NodeFile, NodeProbe, NodeSite, NodeStatus, PortSpec } from '../cluster/types.ts';
import type { FaultModule, ServerSetCapability } from '../nemesis/faults/fault.ts';
import { FAULTS } from '../nemesis/faults/registry.ts';
import { KvClient, WORKLOAD_REQUEST_TIMEOUT_MS, type ClientMode } from '../rsm/client/client.ts';
import { PROTOCOLS, quietPeriodMsOf } from '../rsm/protocols.ts';
import { BUNDLE_NAME, RSM_NODE_FLAGS, rsmNodeBundle } from './rsm-bundle.ts';
import { type ClientContext, type Db, type DbFactory, type DbOptions } from './types.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** VIEW_SERVER_ID: the view server's node name, present only in viewservice clusters. */
export const VIEW_SERVER_ID = 'vs';

/** VIEW_SERVER_REPLICAS_MAX: the most view-server nodes --viewserver-replicas may ask for. */
export const VIEW_SERVER_REPLICAS_MAX = 7;

/** viewServerIds: `vs` for the single view server; vs1..vsN when it is replicated (--viewserver-replicas N). */
export function viewServerIds(replicas: number): string[] {
  if (!(Number.isSafeInteger(replicas) && replicas >= 1 && replicas <= VIEW_SERVER_REPLICAS_MAX)) {
    throw new Error(`--viewserver-replicas: expected an integer in [1, ${VIEW_SERVER_REPLICAS_MAX}], got ${replicas}`);
  }
  return replicas === 1 ? [VIEW_SERVER_ID] : Array.from({ length: replicas }, (_, i) => `${VIEW_SERVER_ID}${i + 1}`);
}

/** isViewServerNode: the node is one of the view server's (vs, or vs1..vsN). */
export function isViewServerNode(node: string): boolean {
  return /^vs\d*$/.test(node);
}

/** RSM_PORTS: every rsm node serves clients over HTTP and its peers over framed TCP. */
export const RSM_PORTS: readonly PortSpec[] = [
  { name: 'http', client: true, peer: false, dockerPort: 8000 },
  { name: 'peer', client: false, peer: true, dockerPort: 9000 },
];

/** In the image: the node program's bundle (db/rsm-bundle.ts) under APP, run by the image's node. */
const IMAGE_NODE = '/usr/bin/node';
const IMAGE_APP = '/app';

const STATUS_TIMEOUT_MS = 1000;
const READY_RE = /\bready id=\S+ .*http=\S+ peer=\S+/;

/** RsmDbOptions: one rsm cluster — the protocol and the node program's switches. */
export interface RsmDbOptions {
  /** naive | primary-backup | async-backup | viewservice | raft | single */
  protocol: string;
  nodeCount: number;
  /** Raft read path (log | readindex | lease | any), passed as --reads. */
  reads?: string;
  /** Named protocol bugs, each passed as --bug NAME. */
  bugs?: readonly string[];
  /** Extra protocol options, each passed as --option k=v. */
  options?: Record<string, string>;
  tickMs?: number;
  requestTimeoutMs?: number;
  fsync?: 'always' | 'never';
  /** Base seed of the nodes' random sources: node i gets seed + i. */
  seed?: number;
  /** More flags for the replicas (not the view server), e.g. ['--bug', 'no-fsync']. */
  extraArgs?: readonly string[];
  /** viewservice: how many view-server nodes (default 1; more replicate its table of views on Raft). */
  viewServerReplicas?: number;
}

/**
 * clientMode: how the client library routes for each protocol — naive clients write to every
 * copy themselves, primary/backup clients fail over on their own timeouts (the lectures'
 * attempt 2), the others follow the redirects of the primary or leader.
 */
export function clientMode(protocol: string): ClientMode {
  switch (protocol) {
    case 'naive':
      return 'fanout';
    case 'primary-backup':
      return 'failover-on-timeout';
    case 'single':
    case 'gossip':
      // A gossip client stays with its replica: the final reads must read every replica's own copy.
      return 'single-node';
    default:
      return 'follow-redirect';
  }
}

/** rsmNodeIds: the replicas n1..nN, then the view server's nodes (`vs`, or vs1..vsM) for the view service. */
export function rsmNodeIds(protocol: string, nodeCount: number, viewServerReplicas = 1): { nodes: string[]; allNodes: string[] } {
  if (!(Number.isSafeInteger(nodeCount) && nodeCount >= 1)) throw new Error(`nodeCount must be a positive integer, got ${nodeCount}`);
  const nodes = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
  if (protocol !== 'viewservice' && viewServerReplicas !== 1) throw new Error(`--viewserver-replicas: only --db viewservice has a view server, not ${protocol}`);
  return { nodes, allNodes: protocol === 'viewservice' ? [...nodes, ...viewServerIds(viewServerReplicas)] : nodes };
}

/** rsmNodeArgs: rsm/node/main.ts's flags for one node at `site` — the only place they are built. */
export function rsmNodeArgs(o: RsmDbOptions, site: NodeSite): string[] {
  const isViewServer = isViewServerNode(site.node);
  const viewServers = site.allNodes.filter(isViewServerNode);
  const peers = site.allNodes.filter((n) => n !== site.node && !isViewServerNode(n)).map((n) => `${n}=${site.dial(n, 'peer')}`).join(',');
  const args = [
    '--id', site.node,
    '--protocol', isViewServer ? 'viewserver' : o.protocol,
    '--listen', site.listen('http'),
    '--peer-listen', site.listen('peer'),
    '--data-dir', site.dataDir,
  ];
  if (peers !== '') args.push('--peers', peers);
  // Replicas are told every view-server node; a replicated view server's nodes are told their group.
  if (viewServers.length > 0 && (!isViewServer || viewServers.length > 1)) {
    args.push('--viewserver', viewServers.map((n) => `${n}=${n === site.node ? site.listen('peer') : site.dial(n, 'peer')}`).join(','));
  }
  if (o.tickMs !== undefined) args.push('--tick-ms', String(o.tickMs));
  if (o.requestTimeoutMs !== undefined) args.push('--request-timeout-ms', String(o.requestTimeoutMs));
  if (o.fsync !== undefined) args.push('--fsync', o.fsync);
  if (o.reads !== undefined && !isViewServer) args.push('--reads', o.reads);
  for (const bug of o.bugs ?? []) args.push('--bug', bug);
  for (const [k, v] of Object.entries(o.options ?? {})) args.push('--option', `${k}=${v}`);
  if (o.seed !== undefined) args.push('--seed', String(o.seed + site.index));
  if (!isViewServer) args.push(...(o.extraArgs ?? []));
  return args;
}

/** bundleFiles: the node program's bundle and its source map, as paths relative to the app dir and where they are on this machine. */
function bundleFiles(): { rel: string; source: string }[] {
  const { dir } = rsmNodeBundle();
  return [BUNDLE_NAME, `${BUNDLE_NAME}.map`].map((rel) => ({ rel, source: path.join(dir, rel) }));
}

/** rsmImage: the node program (one bundled file) for --cluster docker; the image's own node runs it. */
function rsmImage(): ImageContent {
  return { name: 'rsm', files: bundleFiles().map((f) => ({ target: `${IMAGE_APP}/${f.rel}`, source: f.source })) };
}

/** rsmRemoteFiles: --cluster ssh: the same bundle, relative to the host's program dir; the host's own `node` (20 or later) runs it. */
function rsmRemoteFiles(): NodeFile[] {
  return bundleFiles().map((f) => ({ path: f.rel, data: fs.readFileSync(f.source) }));
}

/** fetchStatus asks a node's GET /status; null on a timeout, an error or a non-2xx answer. */
async function fetchStatus(probe: NodeProbe): Promise<NodeStatus | null> {
  try {
    const res = await fetch(`http://${probe.address('http')}/status`, { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
    if (!res.ok) return null;
    return (await res.json()) as NodeStatus;
  } catch {
    return null;
  }
}

/** RSM_CLUSTER_KINDS: where an rsm node runs (every cluster kind). */
const RSM_CLUSTER_KINDS: readonly ClusterKind[] = ['local', 'docker', 'sim', 'ssh'];

/**
 * SERVER_SET_CAPABILITIES: the protocols that survive a change of who the servers are, and
 * which. Raft changes its own membership (rsm/raft/membership.ts, through POST
 * /admin/membership). Only the view service takes a replaced server: its view server recruits
 * the fresh one and its backup serves only after a full state transfer; any other protocol
 * would restart the server with amnesia (a raft node that forgot its vote).
 */
const SERVER_SET_CAPABILITIES: Readonly<Record<string, readonly ServerSetCapability[]>> = {
  raft: ['reconfigure'],
  viewservice: ['fresh-server'],
};

/**
 * faultSupport: the fault kinds each cluster kind can inject into `protocol`: every registered
 * kind that leaves the servers as they are, and those that change them where the protocol has
 * the capability and the kind reaches that cluster kind (nemesis/faults/registry.ts).
 */
function faultSupport(protocol: string): Db['support']['clusters'] {
  const capabilities = SERVER_SET_CAPABILITIES[protocol] ?? [];
  const offered = (cluster: ClusterKind): string[] => (FAULTS as readonly FaultModule[]).filter((m) => {
    const change = m.changesServers;
    return change === undefined || (capabilities.includes(change.needs) && change.clusters.includes(cluster));
  }).map((m) => m.kind);
  return Object.fromEntries(RSM_CLUSTER_KINDS.map((cluster) => [cluster, offered(cluster)]));
}

/** REPLACE_LOCAL_ONLY, VIEWSERVICE_NOTES: why the view service lacks a fault kind off --cluster local (worded for the refusal). */
const REPLACE_LOCAL_ONLY = 'replace empties a dead server\'s data directory and starts a fresh one in its slot, done on --cluster local only so far; membership changes are raft\'s';
const VIEWSERVICE_NOTES = { docker: REPLACE_LOCAL_ONLY, ssh: REPLACE_LOCAL_ONLY, sim: 'the simulator has no data directories to empty; membership changes are raft\'s' };

/**
 * SINGLE_VIEW_SERVER_REFUSALS: the single view server's table of views is one record in its
 * log.bin, and no other node has a copy. Damaged, the durable log's CRC check drops it and the
 * view server restarts at view 0, so it can hand out a view number a second time with another
 * primary (shown: a zeroed table came back at view 1 while the servers held view 2). The
 * lectures assume the view server never fails; the replicated one keeps its table on Raft.
 */
const SINGLE_VIEW_SERVER_REFUSALS = {
  'corrupt-file': {
    [VIEW_SERVER_ID]: 'the single view server\'s table of views is the only copy (one record in its log.bin): damaged, it is dropped and the view server restarts at view 0, free to reuse view numbers; use --viewserver-replicas 3 (the table on Raft) to corrupt one view-server node\'s files',
  },
};

/** createRsmDb: one rsm protocol as a Db (tests build it directly with node switches such as tickMs). */
export function createRsmDb(o: RsmDbOptions): Db {
  if (!Object.prototype.hasOwnProperty.call(PROTOCOLS, o.protocol)) {
    throw new Error(`unknown rsm protocol ${JSON.stringify(o.protocol)}; expected one of ${Object.keys(PROTOCOLS).join(', ')}`);
  }
  const viewServerReplicas = o.viewServerReplicas ?? 1;
  const { nodes, allNodes } = rsmNodeIds(o.protocol, o.nodeCount, viewServerReplicas);
  const mode = clientMode(o.protocol);
  return {
    name: o.protocol,
    description: viewServerReplicas > 1 ? `rsm ${o.protocol}, view server replicated on ${viewServerReplicas} nodes` : `rsm ${o.protocol}`,
    nodes,
    allNodes,
    ports: RSM_PORTS,
    quietPeriodMs: quietPeriodMsOf(o.protocol, o.nodeCount, o.tickMs, o.options),
    support: {
      clusters: faultSupport(o.protocol),
      // Gossip keeps one last-writer-wins value per key: no transactions, no appends.
      workloads: o.protocol === 'gossip' ? ['register'] : ['register', 'set', 'counter', 'bank', 'list-append', 'rw-register'],
      partitionClients: true,
      notes: o.protocol === 'viewservice' ? VIEWSERVICE_NOTES : undefined,
      refusedOn: viewServerReplicas === 1 && o.protocol === 'viewservice' ? SINGLE_VIEW_SERVER_REFUSALS : undefined,
    },
    launch: (site) => {
      // A remote site runs the bundle its image or program dir holds; a local node runs the cached one.
      const args = rsmNodeArgs(o, site);
      if (site.kind === 'ssh') return { command: 'node', args: [...RSM_NODE_FLAGS, BUNDLE_NAME, ...args], cwd: site.programDir! };
      if (site.kind === 'docker') return { command: IMAGE_NODE, args: [...RSM_NODE_FLAGS, BUNDLE_NAME, ...args], cwd: IMAGE_APP };
      return { command: process.execPath, args: [...RSM_NODE_FLAGS, rsmNodeBundle().file, ...args], cwd: REPO_ROOT };
    },
    ready: async (probe) => READY_RE.test(await probe.logSinceStart()),
    status: fetchStatus,
    image: rsmImage,
    remoteFiles: rsmRemoteFiles,
    // The bundle is uploaded; the host runs it with its own node (20 or later).
    hostExecutables: [{ path: 'node', package: 'nodejs', majorMin: 20 }],
    client: (ctx: ClientContext) => {
      const endpoints: Record<string, string> = {};
      for (const target of ctx.nodes) endpoints[target] = `http://${ctx.address(target)}`;
      return new KvClient({ endpoints, preferred: ctx.node, mode, requestTimeoutMs: WORKLOAD_REQUEST_TIMEOUT_MS, clientId: ctx.clientId });
    },
  };
}

/** rsmDbFactory: the registry's factory for one protocol; `--reads` and `--bug` go to the nodes, `--viewserver-replicas` sizes the view server. */
export function rsmDbFactory(protocol: string): DbFactory {
  return (options: DbOptions) => {
    const replicas = options.settings.viewserverReplicas;
    return createRsmDb({
      protocol, nodeCount: options.nodeCount, reads: options.reads, bugs: options.bugs, seed: options.seed,
      viewServerReplicas: typeof replicas === 'number' ? replicas : undefined,
    });
  };
}
