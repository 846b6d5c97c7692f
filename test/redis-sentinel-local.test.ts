// test/redis-sentinel-local.test.ts — real redis-server and redis-sentinel processes: roles, failover on kill, nothing left after teardown or SIGINT.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../cluster/local/local-cluster.ts';
import { redisSentinelDbFactory } from '../db/redis-sentinel/index.ts';
import { waitFor } from '../db/redis-sentinel/probe.ts';
import type { KvClientLike } from '../workloads/types.ts';
import { interruptCli } from './support/interrupt-cli.ts';
import { isAlive, portRefuses } from './support/liveness.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-sentinel-test-'));
  dirs.push(dir);
  return dir;
}

describe('redis-sentinel on LocalCluster (real redis-server and redis-sentinel 7)', () => {
  it('starts n1 as primary with two replicas, fails over when n1 is killed, and leaves nothing behind', async () => {
    const dir = tempDir();
    const db = redisSentinelDbFactory({ nodeCount: 3, bugs: [], settings: {} });
    const logs = path.join(dir, 'logs');
    const cluster = new LocalCluster({ dataDir: path.join(dir, 'data'), logDir: logs }, db);
    const primary = (): Promise<string | null> => db.primary!(cluster);
    let client: KvClientLike | undefined;
    let pids: number[] = [];
    try {
      await cluster.setup();
      await db.setup!(cluster);
      // One shell per node runs its server and its sentinel: six redis processes.
      pids = redisPids(logs);
      expect(pids.filter(isAlive)).toHaveLength(6);
      const c = await db.client({ node: 'n2', process: 0, clientId: 'p0', nodes: cluster.nodes, address: (t, p) => cluster.clientAddress(t, p ?? 'redis') });
      client = c;
      const roles = await Promise.all(cluster.nodes.map((n) => cluster.status(n)));
      expect(roles.map((s) => [s?.role, s?.primary])).toEqual([['primary', 'n1'], ['replica', 'n1'], ['replica', 'n1']]);
      expect(await primary()).toBe('n1');
      expect(await c.txn([['append', 'set', 1]])).toEqual({ type: 'ok', node: 'n1' });
      expect(await c.read('set')).toEqual({ type: 'ok', value: [1], node: 'n1' });

      await cluster.kill('n1');
      expect(await cluster.status('n1')).toBeNull();
      // down-after 2 s, then an election among the two sentinels left and a promotion.
      await waitFor('a new primary', async () => ['n2', 'n3'].includes((await primary()) ?? ''), 20_000, 200);
      const promoted = (await primary())!;
      let added: { type: string; node?: string } = { type: 'none' };
      await waitFor('an add on the new primary', async () => (added = await c.txn([['append', 'set', 2]])).type === 'ok', 10_000, 200);
      expect(added.node).toBe(promoted);
      const read = await c.read('set');
      expect(read.type).toBe('ok');
      expect(read.value).toEqual(expect.arrayContaining([2]));
      // The restarted old primary is told by the sentinels to follow the new one.
      await cluster.start('n1');
      await waitFor('n1 demoted', async () => (await cluster.status('n1'))?.primary === promoted, 20_000, 200);
    } finally {
      client?.close?.();
      pids = [...new Set([...pids, ...redisPids(logs)])];
      const ports = cluster.ports();
      await cluster.teardown();
      for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
      for (const port of ports) expect(await portRefuses(port), `port ${port}`).toBe(true);
      expect(existsSync(path.join(dir, 'data'))).toBe(false);
      // The logs stay: they are the run's record.
      expect(readdirSync(logs).sort()).toEqual(['n1.log', 'n2.log', 'n3.log']);
    }
  }, 90_000);
});

/** redisPids: the pids redis printed in a run's logs ("1234:M 02 Dec ..."), server and sentinel. */
function redisPids(logsDir: string): number[] {
  const pids = new Set<number>();
  for (const file of readdirSync(logsDir)) {
    for (const m of readFileSync(path.join(logsDir, file), 'utf8').matchAll(/^(\d+):[MSXC] /gm)) pids.add(Number(m[1]));
  }
  return [...pids];
}

describe('a redis-sentinel run interrupted by SIGINT', () => {
  it('stops every redis process, removes their data dirs, and exits 2', async () => {
    let pids: number[] = [];
    let dataDirs: string[] = [];
    const { code, stderr, results, tempLeft } = await interruptCli(['--db', 'redis-sentinel', '--workload', 'set', '--nemesis', 'kill', '--nemesis-interval', '2', '--seed', '5'], ({ store }) => {
      const logs = path.join(store, 'latest', 'logs');
      pids = existsSync(logs) ? redisPids(logs).filter(isAlive) : [];
      try {
        // Each process runs in its node's data dir; SIGINT must remove those too.
        dataDirs = pids.map((pid) => readlinkSync(`/proc/${pid}/cwd`));
      } catch {
        return false; // a process the nemesis just killed: look again
      }
      return pids.length === 6 && new Set(dataDirs).size === 3;
    });
    expect(code, stderr).toBe(2);
    expect(results, stderr).toMatchObject({ interrupted: true, valid: 'unknown' });
    expect(new Set(dataDirs).size, 'data dirs before SIGINT').toBe(3);
    for (const pid of pids) expect(isAlive(pid), `redis pid ${pid} still alive`).toBe(false);
    for (const dataDir of dataDirs) expect(existsSync(dataDir), dataDir).toBe(false);
    expect(tempLeft, 'left in TMPDIR').toEqual([]);
  }, 90_000);

  it('refuses at once, exit 3, when redis is not installed, naming the packages', async () => {
    // A PATH with node alone (redis-server usually sits beside node in /usr/bin).
    const bin = tempDir();
    symlinkSync(process.execPath, path.join(bin, 'node'));
    const store = path.join(tempDir(), 'store');
    const child = spawn(process.execPath, ['--import', 'tsx', 'control/cli.ts', 'test', '--db', 'redis-sentinel', '--workload', 'set', '--nemesis', 'kill', '--store', store], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: bin },
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(3);
    expect(stderr.trim()).toMatch(/^splitbrain: --db redis-sentinel: redis-server and redis-sentinel not found on PATH; install them with `apt-get install redis-server redis-sentinel`/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(store), 'nothing was started, not even a run directory').toBe(false);
  }, 30_000);
});
