// cluster/ssh/ssh-cluster.test.ts — what --cluster ssh (its setup, and the pre-run check) refuses before it connects to any host, in words a user can act on.
import { describe, expect, it } from 'vitest';
import { createRsmDb } from '../../db/rsm.ts';
import { HostRefusal, preflightHosts } from './preflight.ts';
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

describe('preflightHosts refusals made before connecting to any host', () => {
  // TEST-NET addresses (RFC 5737): nothing answers there, so a refusal that connected first would time out.
  const host = (k: number, line: number) => ({ address: `192.0.2.${k}`, port: 22, user: 'root', keyFile: '/nonexistent/key', sudo: false, origin: `hosts.yaml:${line}: hosts[${k - 1}]` });
  const file = { hosts: [host(1, 3), host(2, 4)], knownHosts: '/nonexistent/known_hosts', aptInstall: false, origin: 'hosts.yaml:2: hosts' };

  it('too few hosts for the nodes, naming the line of hosts:', async () => {
    await expect(preflightHosts(file, createRsmDb({ protocol: 'raft', nodeCount: 3 }), {})).rejects.toThrow(/^hosts\.yaml:2: hosts: 3 nodes \(n1, n2, n3\) need 3 hosts; the file names 2$/);
    // viewservice adds its view server: 2 replicas need 3 hosts too.
    await expect(preflightHosts(file, createRsmDb({ protocol: 'viewservice', nodeCount: 2 }), {})).rejects.toThrow(/3 nodes \(n1, n2, vs\) need 3 hosts/);
  });

  it('fault machinery ssh does not offer (the same words the cluster would refuse with)', async () => {
    const db = createRsmDb({ protocol: 'raft', nodeCount: 2 });
    await expect(preflightHosts(file, db, { lazyDisk: true })).rejects.toThrow(/^--nemesis lose-unsynced: --cluster ssh does not support it/);
    await expect(preflightHosts(file, db, { dataFiles: true })).rejects.toThrow(/^--nemesis corrupt-file: --cluster ssh does not support it yet/);
    await expect(preflightHosts(file, db, { partitionClients: true })).rejects.toThrow(HostRefusal);
  });
});
