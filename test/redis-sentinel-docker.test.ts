// test/redis-sentinel-docker.test.ts — Redis Sentinel in containers loses acknowledged adds when its primary is partitioned away.
//
// Jepsen, "Call me maybe: Redis" (2013): replication is asynchronous and a primary cut off
// from its replicas and sentinels goes on acknowledging writes from the clients that still
// reach it; Sentinel promotes a replica on the majority side, and when the partition heals
// the old primary is made a replica of the new one and its acknowledged writes are gone.
// A SIGINT mid-run leaves no container, network or temp dir of the run.
// Needs a Docker engine, as test/docker-e2e.test.ts (fails in CI without one, skips outside).
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../cluster/docker/leftovers.ts';
import { dockerClient, dockerReachable } from '../cluster/docker/engine.ts';
import { resolveOptions } from '../control/config.ts';
import { dockerParts } from '../control/runner/parts.ts';
import { runTest, type PartsFactory } from '../control/runner/run-test.ts';
import type { DockerCluster } from '../cluster/docker/docker-cluster.ts';
import { readHistory } from '../history/read.ts';
import type { SetResult } from '../workloads/set-check.ts';
import { expectDockerSigintLeavesNothing } from './support/interrupt-cli.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const docker = dockerClient();
const reachable = await dockerReachable(docker);
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const HOW = 'run `sudo bash scripts/docker-setup.sh` (installs and starts a Docker engine), or point DOCKER_HOST at one';
const stores: string[] = [];
const runIds: string[] = [];

/** recordingParts: the runner's own docker parts, remembering each run's label for the leftovers check. */
const recordingParts: PartsFactory = async (opts, env) => {
  const parts = await dockerParts(opts, env);
  runIds.push((parts.cluster as DockerCluster).runId);
  return parts;
};

if (!reachable && inCi) {
  describe('redis-sentinel on docker', () => {
    it('needs a reachable Docker engine in CI', () => {
      throw new Error(`CI is set but no Docker engine answers: ${HOW}`);
    });
  });
} else if (!reachable) {
  process.stderr.write(`test/redis-sentinel-docker.test.ts: skipped, no Docker engine answers: ${HOW}\n`);
  describe.skip('redis-sentinel on docker (no Docker engine)', () => {
    it('skipped', () => undefined);
  });
} else {
  describe('redis-sentinel on docker', () => {
    afterAll(() => {
      if (process.env.SPLITBRAIN_KEEP_STORES === undefined) for (const store of stores) fs.rmSync(store, { recursive: true, force: true });
    });

    it('loses adds the partitioned primary acknowledged after Sentinel failed over, and names them with when and by whom', async () => {
      const store = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-redis-docker-'));
      stores.push(store);
      // The example's first cut only: partition the primary at 2 s, heal at 10 s.
      const opts = resolveOptions({
        db: 'redis-sentinel', workload: 'set', cluster: 'docker', store, seed: '3', timeLimit: '13', recoveryS: '4', checkTimeout: '20',
        nemesisSchedule: path.join(ROOT, 'examples', 'redis-sentinel-partition-primary.yaml'),
      });
      const outcome = await runTest(opts, recordingParts);
      expect(outcome.results.error).toBeUndefined();
      const history = await readHistory(outcome.run.historyJsonl);
      const cut = history.find((op) => op.process === 'nemesis' && op.type === 'info' && op.f === 'start-partition');
      const cutValue = cut?.value as { primary?: string; topology?: string } | undefined;
      expect(cutValue).toMatchObject({ primary: 'n1', topology: 'primary' });
      const cutMs = (cut?.time ?? 0) / 1e6;

      const result = outcome.results.checker as SetResult;
      expect(outcome.valid, JSON.stringify(outcome.results.anomalies)).toBe(false);
      expect(outcome.exitCode).toBe(1);
      expect(result.lostCount).toBeGreaterThan(10);
      expect(result.unexpectedCount).toBe(0);
      // Lost adds were acknowledged, by the primary that was cut off, after the cut.
      const byOld = result.lostAcknowledged.filter((a) => a.node === 'n1' && a.ackedMs !== null && a.ackedMs > cutMs);
      expect(byOld.length, JSON.stringify(result.lostAcknowledged.slice(0, 5))).toBeGreaterThan(10);
      expect(outcome.results.anomalies[0]).toMatch(/^lost \d+ element\(s\) \(\d+ acknowledged between \d+\.\d\d s and \d+\.\d\d s, by n1/);
      // What n1 acknowledged before the cut had reached its replicas: it survives.
      expect(result.stableCount).toBeGreaterThan(10);
      // The report names a lost element with its acknowledgement.
      const report = fs.readFileSync(path.join(outcome.run.dir, 'report.html'), 'utf8');
      expect(report).toMatch(/add ok, acknowledged at \d+\.\d{3} s by n1/);
      // Node logs (each node's server and sentinel in one) are in the store; nothing of the run is left in the engine.
      expect(fs.readdirSync(path.join(outcome.run.dir, 'logs')).sort()).toEqual(['n1.log', 'n2.log', 'n3.log']);
      expect(fs.readFileSync(path.join(outcome.run.dir, 'logs', 'n2.log'), 'utf8')).toMatch(/\+switch-master/);
      const filters = { label: [`${RUN_LABEL}=${runIds.at(-1)}`] };
      expect(await docker.listContainers({ all: true, filters })).toEqual([]);
      expect(await docker.listNetworks({ filters })).toEqual([]);
    }, 120_000);

    it('SIGINT mid-run exits 2, results interrupted, and leaves no container, network or temp dir', async () => {
      await expectDockerSigintLeavesNothing(docker, ['--db', 'redis-sentinel', '--workload', 'set', '--nemesis', 'kill', '--nemesis-interval', '2', '--seed', '5'], 3);
    }, 60_000);
  });
}
