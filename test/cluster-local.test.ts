// test/cluster-local.test.ts — LocalCluster with real rsm node processes: lifecycle, partitions, teardown.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pendingCleanups } from '../cluster/cleanup.ts';
import { LocalCluster } from '../cluster/local/local-cluster.ts';
import { portFree } from '../cluster/ports.ts';
import type { ClusterSpec } from '../cluster/types.ts';
import { createRsmDb, type RsmDbOptions } from '../db/rsm.ts';
import { isAlive } from './support/liveness.ts';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

function spec(extra: Partial<ClusterSpec> = {}): ClusterSpec {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cluster-test-'));
  roots.push(root);
  return { dataDir: path.join(root, 'data'), logDir: path.join(root, 'logs'), ...extra };
}

/** rsm: a 3-node rsm Db of `protocol` (node seeds from 1). */
function rsm(protocol: string, extra: Partial<RsmDbOptions> = {}): ReturnType<typeof createRsmDb> {
  return createRsmDb({ protocol, nodeCount: 3, seed: 1, ...extra });
}

async function kv(url: string, body: unknown): Promise<{ status: number; json: { outcome: string; result?: { type: string; value?: unknown } } }> {
  const res = await fetch(`${url}/kv`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(3000) });
  return { status: res.status, json: (await res.json()) as never };
}

describe('LocalCluster (real processes)', () => {
  it('kills, restarts from the data dir on the same ports, pauses and resumes; teardown leaves nothing', async () => {
    const c = new LocalCluster(spec(), rsm('single'));
    try {
      await c.setup();
      expect(c.allNodes).toEqual(['n1', 'n2', 'n3']);
      for (const n of c.nodes) expect((await c.status(n))?.id).toBe(n);
      const url = c.clientEndpoint('n3').httpUrl;
      expect((await kv(url, { clientId: 'c1', seq: 1, cmd: { kind: 'write', key: 'k', value: 41 } })).json.outcome).toBe('ok');

      const pid = c.pid('n3')!;
      await c.kill('n3');
      expect(isAlive(pid)).toBe(false);
      expect(c.nodeState('n3')).toBe('stopped');
      expect(await c.status('n3')).toBeNull();
      await c.start('n3');
      expect(c.clientEndpoint('n3').httpUrl).toBe(url);
      const read = await kv(url, { clientId: 'c1', seq: 2, cmd: { kind: 'read', key: 'k' } });
      expect(read.json.result).toEqual({ type: 'ok', value: 41 });

      await c.pause('n2');
      expect(c.nodeState('n2')).toBe('paused');
      expect(await c.status('n2')).toBeNull();
      await c.resume('n2');
      expect((await c.status('n2'))?.id).toBe('n2');

      const pids = c.nodes.map((n) => c.pid(n)!);
      const ports = c.ports();
      await c.pause('n1'); // teardown must also end a stopped process
      await c.teardown();
      await c.teardown();
      for (const p of pids) expect(isAlive(p)).toBe(false);
      for (const port of ports) expect(await portFree(port)).toBe(true);
      expect(pendingCleanups()).toEqual([]);
      expect(fs.existsSync(c.spec.dataDir)).toBe(false);
      expect(fs.readFileSync(c.logPath('n3'), 'utf8')).toMatch(/ready id=n3[\s\S]*ready id=n3/);
    } finally {
      await c.teardown();
    }
  });

  it('routes peer traffic through per-link proxies that a grudge cuts one way; clients on a side obey it', async () => {
    const c = new LocalCluster(spec({ partitionClients: true }), rsm('primary-backup'));
    try {
      await c.setup();
      const until = async (cond: () => boolean, what: string): Promise<void> => {
        for (let i = 0; !cond(); i++) {
          if (i > 400) throw new Error(`timed out: ${what}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      // Every directed link carries the nodes' traffic through its proxy.
      await until(() => c.allNodes.every((a) => c.allNodes.every((b) => a === b || c.peerProxy(a, b)!.stats.forwarded > 0)), 'all links connected');
      await c.partition({ n2: ['n1'] });
      expect(c.peerProxy('n1', 'n2')!.isCut).toBe(true);
      expect(c.peerProxy('n2', 'n1')!.isCut).toBe(false);
      expect(c.peerProxy('n1', 'n3')!.isCut).toBe(false);
      await expect(c.partition({ n2: ['n9'] })).rejects.toThrow(/unknown node "n9"/);

      // A client on n2's side cannot reach n1 (either direction of the pair is cut); direct clients can.
      const sideUrl = c.clientEndpoint('n1', 'n2').httpUrl;
      expect(sideUrl).not.toBe(c.clientEndpoint('n1').httpUrl);
      await expect(fetch(`${sideUrl}/status`, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
      expect(((await (await fetch(`${c.clientEndpoint('n1', 'n3').httpUrl}/status`)).json()) as { id: string }).id).toBe('n1');
      expect(await c.status('n1')).not.toBeNull();

      const before = c.peerProxy('n1', 'n2')!.stats.forwarded;
      await c.heal();
      expect(c.grudge).toEqual({});
      await until(() => c.peerProxy('n1', 'n2')!.stats.forwarded > before, 'n1 reconnects to n2 after heal');
      expect(((await (await fetch(`${sideUrl}/status`, { signal: AbortSignal.timeout(2000) })).json()) as { id: string }).id).toBe('n1');
    } finally {
      await c.teardown();
    }
  });

  it('fails setup cleanly when nodes cannot start', async () => {
    const c = new LocalCluster(spec(), rsm('raft', { bugs: ['no-such-bug'] }), { readyTimeoutMs: 10_000 });
    await expect(c.setup()).rejects.toThrow(/node n\d failed to start[\s\S]*no-such-bug/);
    expect(pendingCleanups()).toEqual([]);
  });
});
