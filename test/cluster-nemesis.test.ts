// test/cluster-nemesis.test.ts — the Nemesis driving a real LocalCluster: the lectures' cut, and a combined schedule.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../cluster/local/local-cluster.ts';
import type { ClusterSpec } from '../cluster/types.ts';
import { createRsmDb } from '../db/rsm.ts';
import type { Db } from '../db/types.ts';
import { Nemesis } from '../nemesis/nemesis.ts';
import { generateCombinedSchedule } from '../nemesis/schedule.ts';
import { loadScheduleFile } from '../nemesis/schedule-file.ts';
import { SeededRng } from '../lib/rng.ts';
import type { NodeStatus } from '../cluster/types.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-nemesis-test-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function spec(name: string): ClusterSpec {
  return { dataDir: path.join(root, name, 'data'), logDir: path.join(root, name, 'logs') };
}

const rsm = (protocol: string): Db => createRsmDb({ protocol, nodeCount: 3, seed: 3 });

/** waitFor polls `probe` until it returns a value, for at most timeoutMs. */
async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 8000, show?: () => Promise<unknown>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== null) return v;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}${show === undefined ? '' : `; state: ${JSON.stringify(await show())}`}`);
}

describe('Nemesis on a LocalCluster', () => {
  it('examples/primary-cut-from-viewserver.yaml: the view server moves on, the cut-off primary does not notice until healed', async () => {
    const c = new LocalCluster(spec('vs-cut'), rsm('viewservice'));
    try {
      await c.setup();
      const nemesis = new Nemesis(c, { rng: new SeededRng(1) });
      const [cut, heal] = loadScheduleFile(path.join(REPO, 'examples/primary-cut-from-viewserver.yaml'), { nodes: c.allNodes });
      // The view server only promotes a backup that holds the state: wait for an acked view with a ready backup.
      const first = await waitFor('an acked view with a primary and a ready backup', async () => {
        const vs = await c.status('vs');
        return vs !== null && vs.acked === true && typeof vs.primary === 'string' && vs.backupReady === true ? vs : null;
      });
      const outcome = await nemesis.perform({ f: cut.f, value: cut.value });
      const old = outcome.primary!;
      expect(old).toBe(first.primary);
      expect(outcome.grudge).toEqual({ [old]: ['vs'], vs: [old] });
      expect(c.peerProxy(old, 'vs')!.isCut && c.peerProxy('vs', old)!.isCut).toBe(true);
      const moved = await waitFor('the view server to promote another primary', async () => {
        const vs = await c.status('vs');
        return vs !== null && vs.primary !== old && (vs.view ?? 0) > (first.view ?? 0) ? vs : null;
      }, 8000, () => Promise.all(c.allNodes.map((n) => c.status(n))));
      // The old primary still reaches its backup and clients, but has not heard of the new view.
      const stale = (await c.status(old)) as NodeStatus;
      expect(stale.view).toBe(first.view);
      await nemesis.perform({ f: heal.f });
      await waitFor('the old primary to learn the new view', async () => {
        const s = await c.status(old);
        return s !== null && s.view === moved.view && s.role !== 'primary' ? s : null;
      });
    } finally {
      await c.teardown();
    }
  });

  it('a seeded combined schedule of partitions, kills and pauses runs, and healAll brings every node back', async () => {
    const c = new LocalCluster(spec('combined'), rsm('primary-backup'));
    try {
      await c.setup();
      const nemesis = new Nemesis(c, { rng: new SeededRng(5) });
      const ops = generateCombinedSchedule({ faults: ['partition', 'kill', 'pause'], intervalMs: 400, durationMs: 3000, seed: 11, nodes: c.nodes, partitionNodes: c.allNodes });
      expect(ops.length).toBeGreaterThan(6);
      const start = Date.now();
      for (const { atMs, ...op } of ops) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + atMs - Date.now())));
        try {
          await nemesis.perform(op);
        } catch (err) {
          // Only a primary lookup may fail (everyone down or paused); the runner records it as info.
          expect((err as Error).message).toMatch(/no primary known/);
        }
      }
      await nemesis.healAll();
      expect(nemesis.describeFaults()).toEqual([]);
      expect(c.grudge).toEqual({});
      for (const n of c.allNodes) expect(c.nodeState(n)).toBe('running');
      for (const n of c.allNodes) await waitFor(`${n} to answer`, () => c.status(n));
    } finally {
      await c.teardown();
    }
  });
});
