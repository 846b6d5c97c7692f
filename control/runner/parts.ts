// control/runner/parts.ts — builds the cluster, clients and nemesis a run uses, by --cluster kind.
import type { Cluster, ClusterSpec } from '../../cluster/types.ts';
import { DockerCluster } from '../../cluster/docker/docker-cluster.ts';
import { LocalCluster } from '../../cluster/local/local-cluster.ts';
import { usesClock } from '../../nemesis/ops.ts';
import { loadScheduleFile } from '../../nemesis/schedule-file.ts';
import type { TestOptions } from '../config.ts';
import { FakeCluster, MemoryKvClients } from './fake-cluster.ts';
import type { ClientFactory } from './interpreter.ts';
import { kvClients } from './kv-clients.ts';
import { ClusterNemesis } from './nemesis-driver.ts';
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

/** needsClock: the clock fault is on, or the schedule file skews a clock. */
function needsClock(opts: TestOptions): boolean {
  if (opts.nemesis.includes('clock')) return true;
  if (opts.nemesisSchedule === undefined) return false;
  return usesClock(loadScheduleFile(opts.nemesisSchedule));
}

/** clusterSpec: what to run, the same for every backend. */
export function clusterSpec(opts: TestOptions, env: PartsEnv): ClusterSpec {
  return {
    protocol: opts.db,
    nodeCount: opts.nodes,
    reads: opts.reads,
    bugs: opts.bugs,
    options: {},
    dataDir: env.dataDir,
    logDir: env.logDir,
    // The clock nemesis needs libfaketime; only ask for it then (LocalCluster fails fast without it).
    fakeTime: needsClock(opts),
    partitionClients: opts.partitionClients,
    seed: opts.seed,
  };
}

/** localCluster: the rsm nodes as child processes on 127.0.0.1 (cluster/local). */
export function localCluster(opts: TestOptions, env: PartsEnv): LocalCluster {
  return new LocalCluster(clusterSpec(opts, env));
}

/**
 * localParts: LocalCluster with the rsm client library; `clients` replaces the client (tests
 * of cleanup with real nodes and an in-memory client).
 */
export function localParts(clients: (cluster: Cluster, opts: TestOptions) => ClientFactory = kvClients): PartsFactory {
  return async (opts, env) => {
    const cluster = localCluster(opts, env);
    return { cluster, clients: clients(cluster, opts), nemesis: new ClusterNemesis(cluster, env.nemesisRng) };
  };
}

/** dockerParts: one container per node (cluster/docker), iptables partitions, the rsm client. */
export const dockerParts: PartsFactory = async (opts, env) => {
  // libfaketime is in the image anyway and costs an idle node nothing, so clocks are always skewable.
  const cluster = new DockerCluster({ ...clusterSpec(opts, env), fakeTime: true }, { image: opts.image });
  return { cluster, clients: kvClients(cluster, opts), nemesis: new ClusterNemesis(cluster, env.nemesisRng) };
};

/** partsFactory picks the parts for --cluster. */
export function partsFactory(opts: TestOptions): PartsFactory {
  switch (opts.cluster) {
    case 'fake':
      return fakeParts;
    case 'local':
      return localParts();
    case 'docker':
      return dockerParts;
    default: {
      const never: never = opts.cluster;
      throw new Error(`--cluster: unknown kind ${String(never)}`);
    }
  }
}
