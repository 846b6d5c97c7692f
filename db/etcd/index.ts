// db/etcd/index.ts — etcd (Debian's etcd-server 3.4) as a DB: members, readiness, leader view, image, clients.
//
// Each node n1..nN is one member with a client port and a peer port. etcd computes the cluster
// id from --initial-cluster, so every member must be given the same peer URL for each member:
// the peer port is declared without per-link proxies (peer: false) and partitions are not
// offered on --cluster local (support.notes); on docker they are the cluster's iptables rules.
// No cluster skews etcd's clock: libfaketime cannot shift a Go binary (raw syscalls and vDSO).
// Reads follow --etcd-reads (client.ts). After every member has started, setup waits until each
// answers a linearizable read, so the run begins on a cluster with a leader.
import type { PortSpec } from '../../cluster/types.ts';
import { findExecutable, missingExecutable, type Executable } from '../requirements.ts';
import type { ClientContext, Db, DbOptions } from '../types.ts';
import { ETCD_READ_MODES, EtcdKvClient, type EtcdReadMode } from './client.ts';
import { ETCD_BINARY, etcdArgs, MEMBER_COUNTS, memberStatus, STARTED_RE, waitServing, type Member } from './members.ts';
import { DISK_FAULTS } from '../support.ts';

/** ETCD: the member program (SPLITBRAIN_ETCD_BIN points elsewhere). */
export const ETCD: Executable = { name: 'etcd', candidates: [ETCD_BINARY], install: 'apt-get install etcd-server' };
const PORTS: readonly PortSpec[] = [
  { name: 'client', client: true, peer: false, dockerPort: 2379 },
  { name: 'peer', client: false, peer: false, dockerPort: 2380 },
];
const REQUEST_TIMEOUT_MS = 1500;
const STATUS_TIMEOUT_MS = 1000;
const SERVING_TIMEOUT_MS = 30_000;
/**
 * ETCD_DATA_FILES: what a member keeps under its data dir (`etcd`, see launch): the raft log
 * (member/wal, fsynced before etcd acknowledges) and the snapshots with the bbolt key space
 * (member/snap/*.snap, member/snap/db). The corrupt-file fault damages one of these.
 */
const ETCD_DATA_FILES = ['etcd/member/wal', 'etcd/member/snap'];
export const LOCAL_PARTITION_NOTE = 'etcd members advertise one peer URL to all peers, so links cannot be cut one by one; use --cluster docker for partitions';

/** etcdReadsOf: the --etcd-reads setting (linearizable unless serializable was asked for). */
function etcdReadsOf(settings: Readonly<Record<string, unknown>>): EtcdReadMode {
  const reads = settings.etcdReads ?? 'linearizable';
  if (!(ETCD_READ_MODES as readonly unknown[]).includes(reads)) throw new Error(`--etcd-reads: expected one of ${ETCD_READ_MODES.join(', ')}, got ${String(reads)}`);
  return reads as EtcdReadMode;
}

/** preVoteOf: the --etcd-pre-vote setting (on unless off was asked for). */
function preVoteOf(settings: Readonly<Record<string, unknown>>): boolean {
  const preVote = settings.etcdPreVote ?? 'on';
  if (preVote !== 'on' && preVote !== 'off') throw new Error(`--etcd-pre-vote: expected on or off, got ${String(preVote)}`);
  return preVote === 'on';
}

/** etcdDbFactory: an etcd cluster of options.nodeCount members. */
export function etcdDbFactory(options: DbOptions): Db {
  if (!(MEMBER_COUNTS as readonly number[]).includes(options.nodeCount)) {
    throw new Error(`--nodes: --db etcd runs ${MEMBER_COUNTS.join(' or ')} members (a majority must outlive a minority's faults), got ${options.nodeCount}`);
  }
  const nodes = Array.from({ length: options.nodeCount }, (_, i) => `n${i + 1}`);
  const reads = etcdReadsOf(options.settings);
  const preVote = preVoteOf(options.settings);
  const token = `splitbrain-${options.seed ?? 0}`;
  return {
    name: 'etcd',
    description: `etcd 3.4 (Debian etcd-server), clients over gRPC (npm etcd3)${preVote ? '' : ', without pre-vote'}`,
    nodes,
    allNodes: nodes,
    ports: PORTS,
    support: {
      // Disk faults need the data directory on this machine (lazyfs, or files reached from here): local and docker.
      clusters: { local: ['kill', 'pause', ...DISK_FAULTS], docker: ['partition', 'kill', 'pause', ...DISK_FAULTS], ssh: ['partition', 'kill', 'pause'] },
      notes: { local: LOCAL_PARTITION_NOTE, docker: 'etcd is a Go binary, which libfaketime cannot shift' },
      workloads: ['register', 'set', 'list-append', 'rw-register'],
      partitionClients: false,
    },
    dataFiles: ETCD_DATA_FILES,
    missing: () => missingExecutable('etcd', ETCD),
    launch: (site) => {
      const member = (name: string): Member => {
        const at = (port: string): string => (name === site.node ? site.advertise(port) : site.dial(name, port));
        return { name, clientUrl: `http://${at('client')}`, peerUrl: `http://${at('peer')}` };
      };
      const self = { ...member(site.node), listenClientUrl: `http://${site.listen('client')}`, listenPeerUrl: `http://${site.listen('peer')}` };
      // In a container and on an ssh host etcd is where Debian's etcd-server puts it.
      const command = site.kind === 'local' ? findExecutable(ETCD) : ETCD_BINARY;
      if (command === null) throw new Error(missingExecutable('etcd', ETCD)!);
      return { command, args: etcdArgs(self, nodes.map(member), `${site.dataDir}/etcd`, token, preVote) };
    },
    ready: async (probe) => STARTED_RE.test(await probe.logSinceStart()),
    status: (probe) => memberStatus(`http://${probe.address('client')}`, STATUS_TIMEOUT_MS),
    setup: async (cluster) => {
      await Promise.all(cluster.nodes.map((n) => waitServing(n, `http://${cluster.clientAddress(n, 'client')}`, SERVING_TIMEOUT_MS)));
    },
    hostPackages: ['etcd-server'],
    hostExecutables: [{ path: ETCD_BINARY, package: 'etcd-server' }],
    // A static Go binary: no libraries to copy.
    image: () => ({ name: 'etcd', files: [{ target: ETCD_BINARY, source: findExecutable(ETCD) ?? ETCD_BINARY, mode: 0o755 }] }),
    client: (ctx: ClientContext) => new EtcdKvClient({ node: ctx.node, url: `http://${ctx.address(ctx.node)}`, reads, requestTimeoutMs: REQUEST_TIMEOUT_MS }),
  };
}
