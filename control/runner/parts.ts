// control/runner/parts.ts — builds the Db, cluster, clients and nemesis a run uses, by --cluster kind.
// The real backends (and dockerode, ssh2 behind them) are imported when their parts are built,
// not here: every sim sweep worker loads this module, and they cost it ~0.4 CPU-s at start.
import type { Cluster, ClusterSpec } from '../../cluster/types.ts';
import type { LocalCluster } from '../../cluster/local/local-cluster.ts';
import { SimCluster } from '../../cluster/sim/sim-cluster.ts';
import { clientMode } from '../../db/rsm.ts';
import type { Db } from '../../db/types.ts';
import { KvClient } from '../../rsm/client/client.ts';
import { clusterNeeds, kindsNeeds, type ClusterNeeds } from '../../nemesis/faults/registry.ts';
import { loadScheduleFile } from '../../nemesis/schedule-file.ts';
import type { TestOptions } from '../config.ts';
import { FakeCluster, MemoryKvClients } from './fake-cluster.ts';
import type { ClientFactory } from './interpreter.ts';
import { ClusterNemesis } from './nemesis-driver.ts';
import { dbClients, openRunDb } from './run-db.ts';
import type { PartsEnv, PartsFactory, RunnerParts } from './run-test.ts';

/** FAKE_LATENCY_MS: the fake client's answer delay, so the fake run interleaves like a real one. */
const FAKE_LATENCY_MS = 1;

/**
 * fakeParts: an in-memory store behind a FakeCluster whose nodes are real idle child
 * processes bound to ports (so cleanup can be checked from outside), and the real nemesis.
 */
export async function fakeParts(opts: TestOptions, env: PartsEnv): Promise<RunnerParts> {
  const cluster = new FakeCluster({ nodeCount: opts.nodes, spawnProcesses: true });
  return {
    cluster,
    clients: new MemoryKvClients(cluster, FAKE_LATENCY_MS),
    nemesis: new ClusterNemesis(cluster, env.nemesisRng),
  };
}

/** needsOf: what the chosen fault kinds, or the schedule file, need the cluster started with. */
export function needsOf(opts: TestOptions): ClusterNeeds {
  const kinds = kindsNeeds(opts.nemesis);
  if (opts.nemesisSchedule === undefined) return kinds;
  const file = clusterNeeds(loadScheduleFile(opts.nemesisSchedule));
  return { fakeTime: kinds.fakeTime || file.fakeTime, lazyDisk: kinds.lazyDisk || file.lazyDisk, dataFiles: kinds.dataFiles || file.dataFiles };
}

/** clusterSpec: where files go and what fault machinery to prepare, the same for every backend. */
export function clusterSpec(opts: TestOptions, env: PartsEnv): ClusterSpec {
  const needs = needsOf(opts);
  return {
    dataDir: env.dataDir,
    logDir: env.logDir,
    // The clock nemesis needs libfaketime; only ask for it then (LocalCluster fails fast without it).
    fakeTime: needs.fakeTime,
    // lose-unsynced needs every data directory on lazyfs (root, /dev/fuse; LocalCluster refuses without them).
    lazyDisk: needs.lazyDisk,
    // corrupt-file damages the nodes' files from here (docker then keeps them on the host, bound in).
    dataFiles: needs.dataFiles,
    partitionClients: opts.partitionClients,
  };
}

/** dbNemesis: the nemesis of a Db's cluster; its `primary` target is whom the Db names primary when the Db can tell. */
function dbNemesis(db: Db, cluster: Cluster, env: PartsEnv): ClusterNemesis {
  const primary = db.primary;
  return new ClusterNemesis(cluster, env.nemesisRng, primary === undefined ? {} : { findPrimary: (c) => primary.call(db, c) });
}

/** localCluster: the Db's nodes as child processes on 127.0.0.1 (cluster/local). */
export async function localCluster(opts: TestOptions, env: PartsEnv, db: Db): Promise<LocalCluster> {
  const { LocalCluster } = await import('../../cluster/local/local-cluster.ts');
  return new LocalCluster(clusterSpec(opts, env), db);
}

/**
 * localParts: LocalCluster with the Db's clients; `clients` replaces them (tests of cleanup
 * with real nodes and an in-memory client).
 */
export function localParts(clients?: (cluster: Cluster, opts: TestOptions) => ClientFactory): PartsFactory {
  return async (opts, env) => {
    const db = await openRunDb(opts);
    const cluster = await localCluster(opts, env, db);
    return { db, cluster, clients: clients?.(cluster, opts) ?? dbClients(db, cluster, opts), nemesis: dbNemesis(db, cluster, env), quietPeriodMs: db.quietPeriodMs };
  };
}

/** dockerParts: one container per node (cluster/docker), iptables partitions, the Db's clients. */
export const dockerParts: PartsFactory = async (opts, env) => {
  const db = await openRunDb(opts);
  // libfaketime is preloaded only when a clock fault is asked for, as locally: some programs (redis) break under it.
  const { DockerCluster } = await import('../../cluster/docker/docker-cluster.ts');
  const cluster = new DockerCluster(clusterSpec(opts, env), db, { image: opts.image });
  return { db, cluster, clients: dbClients(db, cluster, opts), nemesis: dbNemesis(db, cluster, env), quietPeriodMs: db.quietPeriodMs };
};

/** sshParts: one machine per node over SSH (cluster/ssh), the hosts of --hosts; the Db's clients. */
export const sshParts: PartsFactory = async (opts, env) => {
  const db = await openRunDb(opts);
  if (opts.hosts === undefined) throw new Error('--cluster ssh: no --hosts');
  const { SshCluster } = await import('../../cluster/ssh/ssh-cluster.ts');
  const cluster = new SshCluster(clusterSpec(opts, env), db, { hosts: opts.hosts, insecureIgnoreHostKeys: opts.insecureIgnoreHostKeys });
  return { db, cluster, clients: dbClients(db, cluster, opts), nemesis: dbNemesis(db, cluster, env), quietPeriodMs: db.quietPeriodMs };
};

/**
 * simParts: every node of an rsm protocol in this process on one seeded world (cluster/sim);
 * the rsm client library, routed as the rsm Db routes it, over the simulated network; the real
 * nemesis on virtual time.
 */
export const simParts: PartsFactory = async (opts, env) => {
  // The Db is loaded for its refusals (an rsm protocol only, faults it supports); its setup and teardown are for real nodes.
  const db = await openRunDb(opts);
  const cluster = new SimCluster({
    protocol: opts.db, nodeCount: opts.nodes, viewServerReplicas: opts.viewserverReplicas, reads: opts.reads, bugs: opts.bugs, options: {}, seed: opts.seed,
    reactions: { kinds: opts.simReact ?? [], untilMs: opts.timeLimitS * 1000 }, logs: env.collectsLogs !== false,
  });
  const simulation = cluster.simulation();
  const mode = clientMode(opts.db);
  const clients: ClientFactory = {
    open: (node, proc) => {
      const endpoints = Object.fromEntries(cluster.nodes.map((n) => [n, cluster.clientEndpoint(n).httpUrl]));
      const transport = cluster.clientTransport(opts.partitionClients ? node : undefined);
      return new KvClient({ endpoints, preferred: node, mode, clientId: `p${proc}-${opts.seed}`, transport });
    },
  };
  return { cluster, clients, nemesis: new ClusterNemesis(cluster, env.nemesisRng, { timers: simulation.timers }), simulation, quietPeriodMs: db.quietPeriodMs };
};

/** partsFactory picks the parts for --db and --cluster. */
export function partsFactory(opts: TestOptions): PartsFactory {
  switch (opts.cluster) {
    case 'fake':
      return fakeParts;
    case 'local':
      return localParts();
    case 'docker':
      return dockerParts;
    case 'sim':
      return simParts;
    case 'ssh':
      return sshParts;
    default: {
      const never: never = opts.cluster;
      throw new Error(`--cluster: unknown kind ${String(never)}`);
    }
  }
}
