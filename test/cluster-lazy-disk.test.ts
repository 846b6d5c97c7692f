// test/cluster-lazy-disk.test.ts — LocalCluster with every data directory on lazyfs: a whole-cluster power
// failure loses raft's acknowledged writes only when it skips fsync, and no mount outlives the cluster.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { lazyFsMounts } from '../cluster/lazyfs.ts';
import { LocalCluster } from '../cluster/local/local-cluster.ts';
import { createRsmDb } from '../db/rsm.ts';
import { SeededRng } from '../lib/rng.ts';
import { Nemesis } from '../nemesis/nemesis.ts';
import { KvClient } from '../rsm/client/client.ts';
import { REPO_ROOT, waitWritable } from './support/cluster-procs.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-lazy-disk-test-'));
let cluster: LocalCluster | null = null;
afterEach(async () => {
  await cluster?.teardown();
  cluster = null;
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function mountsUnder(dir: string): string[] {
  return lazyFsMounts().filter((m) => m.startsWith(dir));
}

function endpoints(c: LocalCluster): Record<string, string> {
  return Object.fromEntries(c.nodes.map((n) => [n, c.clientEndpoint(n).httpUrl]));
}

/**
 * waitQuiescent: every node holds the same last log index, unchanged for 500 ms. The leader acks
 * once a majority has fsynced, so the third node may still be writing (or a commit index still
 * travelling) when the last write returns; a power failure then would drop those in-flight bytes
 * even with fsync always. The crash comes after the disks have gone quiet.
 */
async function waitQuiescent(c: LocalCluster): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = '';
  let sameSince = Date.now();
  while (Date.now() < deadline) {
    const indexes = await Promise.all(c.nodes.map(async (n) => (await c.status(n))?.logLastIndex ?? null));
    const now = JSON.stringify(indexes);
    if (now !== last) [last, sameSince] = [now, Date.now()];
    else if (new Set(indexes).size === 1 && indexes[0] !== null && Date.now() - sameSince >= 500) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nodes did not settle on one last log index within 15 s: ${last}`);
}

/** crashedWrites: write keys, power-fail every node (kill + drop unsynced), restart, and read them back. */
async function crashedWrites(fsync: 'always' | 'never', name: string): Promise<{ acked: number; found: number; lostBytes: number }> {
  const dir = path.join(root, name);
  cluster = new LocalCluster({ dataDir: `${dir}/data`, logDir: `${dir}/logs`, lazyDisk: true }, createRsmDb({ protocol: 'raft', nodeCount: 3, fsync }));
  await cluster.setup();
  expect(mountsUnder(dir)).toHaveLength(3);
  await waitWritable(endpoints(cluster), 'follow-redirect');
  const client = new KvClient({ endpoints: endpoints(cluster), mode: 'follow-redirect', requestTimeoutMs: 2000 });
  let acked = 0;
  for (let i = 0; i < 20; i++) if ((await client.write(`k${i}`, i)).type === 'ok') acked++;
  client.close();
  await waitQuiescent(cluster);
  let lostBytes = 0;
  for (const n of cluster.nodes) await cluster.kill(n);
  for (const n of cluster.nodes) lostBytes += (await cluster.loseUnsynced(n)).unsyncedBytes;
  for (const n of cluster.nodes) await cluster.start(n);
  const reader = new KvClient({ endpoints: endpoints(cluster), mode: 'follow-redirect', requestTimeoutMs: 2000 });
  let found = 0;
  const deadline = Date.now() + 10_000;
  let r = await reader.txn(Array.from({ length: 20 }, (_, i) => ['r', `k${i}`, null] as ['r', string, null]));
  while (r.type !== 'ok' && Date.now() < deadline) r = await reader.txn(Array.from({ length: 20 }, (_, i) => ['r', `k${i}`, null] as ['r', string, null]));
  reader.close();
  expect(r.type).toBe('ok');
  if (r.type === 'ok') for (const [, , v] of r.value as Array<[string, string, unknown]>) if (v !== null) found++;
  return { acked, found, lostBytes };
}

describe('LocalCluster on lazyfs (spec.lazyDisk)', () => {
  it('raft with fsync never: every acknowledged write is gone after a whole-cluster power failure', async () => {
    const r = await crashedWrites('never', 'never');
    expect(r.acked).toBe(20);
    expect(r.lostBytes).toBeGreaterThan(0);
    expect(r.found).toBe(0);
  });

  it('raft with fsync always: every acknowledged write survives the same power failure', async () => {
    const r = await crashedWrites('always', 'always');
    expect(r.acked).toBe(20);
    expect(r.lostBytes).toBe(0);
    expect(r.found).toBe(20);
  });

  it('loseUnsynced refuses a running node; teardown unmounts every disk and removes the data', async () => {
    const dir = path.join(root, 'refuse');
    cluster = new LocalCluster({ dataDir: `${dir}/data`, logDir: `${dir}/logs`, lazyDisk: true }, createRsmDb({ protocol: 'single', nodeCount: 1 }));
    await cluster.setup();
    await expect(cluster.loseUnsynced('n1')).rejects.toThrow(/node n1 is running; kill it first/);
    await cluster.teardown();
    expect(mountsUnder(dir)).toEqual([]);
    expect(fs.existsSync(`${dir}/data`)).toBe(false);
  });

  it('replace on a lazy disk gives the fresh server a new disk: nothing of the old one is left for a crash to take back', async () => {
    const dir = path.join(root, 'replace');
    cluster = new LocalCluster({ dataDir: `${dir}/data`, logDir: `${dir}/logs`, lazyDisk: true }, createRsmDb({ protocol: 'single', nodeCount: 1, fsync: 'never' }));
    await cluster.setup();
    const nemesis = new Nemesis(cluster, { rng: new SeededRng(1) });
    const write = async (key: string): Promise<void> => {
      await waitWritable(endpoints(cluster!), 'follow-redirect');
      const client = new KvClient({ endpoints: endpoints(cluster!), mode: 'follow-redirect', requestTimeoutMs: 2000 });
      expect((await client.write(key, 1)).type).toBe('ok');
      client.close();
    };
    await write('old');
    const replaced = await nemesis.perform({ f: 'replace', value: { nodes: ['n1'] } });
    expect(replaced).toMatchObject({ nodes: ['n1'], wiped: [{ node: 'n1' }] });
    // The old server never fsynced, yet a crash now finds nothing to undo: its changes were settled, then its files removed.
    expect(await cluster.loseUnsynced('n1')).toMatchObject({ undone: 0, unsyncedBytes: 0 });
    await nemesis.perform({ f: 'add-fresh' });
    await write('fresh');
    await cluster.kill('n1');
    // The fresh server's own unsynced writes are still lost on a crash: the lazy disk works on.
    expect((await cluster.loseUnsynced('n1')).unsyncedBytes).toBeGreaterThan(0);
  });

  it('a cluster without lazyDisk refuses loseUnsynced with the reason', async () => {
    const dir = path.join(root, 'plain');
    cluster = new LocalCluster({ dataDir: `${dir}/data`, logDir: `${dir}/logs` }, createRsmDb({ protocol: 'single', nodeCount: 1 }));
    await cluster.setup();
    await cluster.kill('n1');
    await expect(cluster.loseUnsynced('n1')).rejects.toThrow(/not started with lazyDisk/);
  });

  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    it(`${signal} of the control process leaves no lazyfs mounted`, async () => {
      const dir = path.join(root, signal);
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'cluster/local/testdata/hold-cluster.ts'), dir, 'wait', 'lazy'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('\n')) resolve(); });
        void exited.then(() => reject(new Error('holder exited early')));
      });
      expect(mountsUnder(dir)).toHaveLength(2);
      child.kill(signal);
      await exited;
      const deadline = Date.now() + 5000;
      while (mountsUnder(dir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(mountsUnder(dir)).toEqual([]);
      // SIGINT runs the cleanups (the data goes too); SIGKILL cannot, but the mounts still went with their parent.
      if (signal === 'SIGINT') expect(fs.existsSync(`${dir}/data`)).toBe(false);
    });
  }
});
