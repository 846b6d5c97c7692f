// cluster/ssh/ssh-cluster.test.ts — what --cluster ssh refuses before it connects to any host, in words a user can act on.
import { describe, expect, it } from 'vitest';
import { createRsmDb } from '../../db/rsm.ts';
import { SshCluster } from './ssh-cluster.ts';

/** A hosts file no one can read: a refusal must come before the file is even opened. */
const NO_HOSTS = '/nonexistent/hosts.yaml';

describe('SshCluster refusals', () => {
  const db = createRsmDb({ protocol: 'raft', nodeCount: 3 });

  it('refuses lose-unsynced (a lazyfs disk) naming the nemesis and where it runs', async () => {
    const cluster = new SshCluster({ dataDir: '/nonexistent', logDir: '/nonexistent', lazyDisk: true }, db, { hosts: NO_HOSTS });
    await expect(cluster.setup()).rejects.toThrow(/^--nemesis lose-unsynced: --cluster ssh does not support it .*; use --cluster local$/);
  });

  it('refuses --partition-clients naming the flag and why', async () => {
    const cluster = new SshCluster({ dataDir: '/nonexistent', logDir: '/nonexistent', partitionClients: true }, db, { hosts: NO_HOSTS });
    await expect(cluster.setup()).rejects.toThrow(/^--partition-clients: --cluster ssh does not support it yet \(clients reach every node directly\)$/);
  });

  it('without either, it goes on to read the hosts file (and names it when it cannot)', async () => {
    const cluster = new SshCluster({ dataDir: '/nonexistent', logDir: '/nonexistent' }, db, { hosts: NO_HOSTS });
    await expect(cluster.setup()).rejects.toThrow(/\/nonexistent\/hosts\.yaml/);
  });
});
