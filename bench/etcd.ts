// bench/etcd.ts — etcd for bench:rsm through the DB seam: the etcd DB's own members and its gRPC client.
//
// The members are the etcd DB (db/etcd/index.ts) on the local cluster (Debian's etcd-server 3.4 with its defaults, WAL
// fsync on) in a temp dir removed at stop; each load worker is the workload client
// (db/etcd/client.ts: npm etcd3 over gRPC, one channel per worker, as each rsm worker holds
// its own keep-alive socket), bound to the member that reports itself leader, so neither
// system pays a redirect. Reads are etcd's default linearizable ranges (ReadIndex).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalCluster } from '../cluster/local/local-cluster.ts';
import { EtcdKvClient } from '../db/etcd/client.ts';
import { etcdDbFactory } from '../db/etcd/index.ts';
import type { LoadTarget } from './load.ts';

const LEADER_WAIT_MS = 5000;

/** EtcdBench: a running etcd cluster and the load target on its leader. */
export interface EtcdBench {
  target: LoadTarget;
  stop(): Promise<void>;
}

/** startEtcdBench starts `members` etcd members and returns the target on the leader. */
export async function startEtcdBench(system: string, members: number, requestTimeoutMs: number): Promise<EtcdBench> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-etcd-'));
  const db = etcdDbFactory({ nodeCount: members, bugs: [], settings: {} });
  const cluster = new LocalCluster({ dataDir: path.join(root, 'data'), logDir: path.join(root, 'logs') }, db);
  const stop = async (): Promise<void> => {
    await cluster.teardown();
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    await cluster.setup();
    await db.setup?.(cluster);
    const leader = await waitLeader(cluster);
    const url = cluster.clientEndpoint(leader).httpUrl;
    const target: LoadTarget = {
      system,
      openWorker() {
        const client = new EtcdKvClient({ node: leader, url, reads: 'linearizable', requestTimeoutMs });
        return {
          write: async (key, value) => (await client.write(key, value)).type,
          read: async (key) => (await client.read(key)).type,
        };
      },
    };
    return { target, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** waitLeader: the member every member agrees leads (elections settle right after start). */
async function waitLeader(cluster: LocalCluster): Promise<string> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  while (Date.now() < deadline) {
    const views = await Promise.all(cluster.nodes.map((n) => cluster.status(n)));
    const leader = views[0]?.primary;
    if (typeof leader === 'string' && views.every((v) => v?.primary === leader)) return leader;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd: the members did not agree on a leader within ${LEADER_WAIT_MS} ms`);
}
