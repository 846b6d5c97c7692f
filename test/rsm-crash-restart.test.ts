// test/rsm-crash-restart.test.ts — replicated protocols on real processes: SIGKILL every node in
// the middle of a stream of writes, restart them all from their data directories, and find
// every acknowledged write (each protocol persists before it acknowledges).
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ClientMode } from '../rsm/client/client.ts';
import { ProcCluster, killAllProcs, missingWrites, waitWritable, writeStreamAndKill } from './support/cluster-procs.ts';

let cluster: ProcCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});
afterAll(killAllProcs);

const CASES: Array<[string, ClientMode]> = [
  ['naive', 'fanout'],
  ['primary-backup', 'failover-on-timeout'],
  ['async-backup', 'follow-redirect'],
  ['raft', 'follow-redirect'],
];

describe('whole-cluster SIGKILL and restart', () => {
  for (const [protocol, mode] of CASES) {
    it(`${protocol}: every acknowledged write survives`, async () => {
      const replicas = ['n1', 'n2', 'n3'];
      cluster = await ProcCluster.start({ protocol, replicas });
      await waitWritable(cluster.endpoints(), mode);
      const { acked } = await writeStreamAndKill(cluster, replicas, mode, 5, 500);
      expect(acked.size).toBeGreaterThan(10);
      // The first peer comes back first: a backup that starts alone and hears no primary takes
      // over, and async-backup's takeover drops what the old primary had not forwarded — its
      // documented weakness, caught by the e2e runs, not what this test examines (persistence).
      await cluster.startNode(replicas[0]);
      await Promise.all(replicas.slice(1).map((id) => cluster!.startNode(id)));
      await waitWritable(cluster.endpoints(), mode);
      expect(await missingWrites(cluster.endpoints(), acked, mode)).toEqual([]);
    });
  }
});
