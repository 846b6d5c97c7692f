// test/docker-e2e.test.ts — whole runner runs on DockerCluster: the verdicts of the local end-to-end cases, in containers.
//
// The runner's --cluster switch (control/runner/parts.ts) does not offer docker yet, so the
// parts are built here exactly as parts.ts builds them for local, with DockerCluster instead.
// Needs a Docker engine, as test/docker-cluster.test.ts (fails in CI without one, skips outside).
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerCluster, RUN_LABEL } from '../cluster/docker/docker-cluster.ts';
import { dockerClient, dockerReachable } from '../cluster/docker/engine.ts';
import { resolveOptions, type TestOptions } from '../control/config.ts';
import { dockerParts } from '../control/runner/parts.ts';
import { runTest, type PartsFactory, type RunOutcome } from '../control/runner/run-test.ts';
import { readHistory } from '../history/read.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const docker = dockerClient();
const reachable = await dockerReachable(docker);
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const HOW = 'run `sudo bash scripts/docker-setup.sh` (installs and starts a Docker engine), or point DOCKER_HOST at one';
/** RUN_MS_MAX: setup in containers, 8 s of workload, recovery, final reads and the check. */
const RUN_MS_MAX = 40_000;
const stores: string[] = [];

/**
 * LEASE_SCHEDULE: the leader's clock jumps back 20 s (its lease now outlasts any election), then
 * it is cut off with the clients on its side; the majority elects a new leader and takes writes.
 */
const LEASE_SCHEDULE = `- at: 3s
  do: clock-bump
  target: primary
  ms: -20000
- at: 3500ms
  do: partition
  topology: primary
- at: 12s
  do: heal
- at: 12s
  do: clock-reset
`;
const runIds: string[] = [];

/** recordingDockerParts: the runner's own docker parts, remembering each run's label for the leftovers check. */
const recordingDockerParts: PartsFactory = async (opts, env) => {
  const parts = await dockerParts(opts, env);
  runIds.push((parts.cluster as DockerCluster).runId);
  return parts;
};

async function run(config: string, flags: Record<string, unknown>): Promise<RunOutcome> {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-docker-e2e-'));
  stores.push(store);
  const opts: TestOptions = resolveOptions({ config: path.join(ROOT, 'examples', config), store, checkTimeout: '20', ...flags });
  const startMs = performance.now();
  const outcome = await runTest(opts, recordingDockerParts);
  process.stderr.write(`docker e2e ${opts.name}: ${Math.round(performance.now() - startMs)} ms, ${JSON.stringify(outcome.results.stats.all)}\n`);
  expect(performance.now() - startMs).toBeLessThan(RUN_MS_MAX);
  expect(outcome.results.error).toBeUndefined();
  // Nothing of the run is left in the engine.
  const filters = { label: [`${RUN_LABEL}=${runIds.at(-1)}`] };
  expect(await docker.listContainers({ all: true, filters })).toEqual([]);
  expect(await docker.listNetworks({ filters })).toEqual([]);
  return outcome;
}

async function nemesisFs(outcome: RunOutcome): Promise<string[]> {
  const history = await readHistory(outcome.run.historyJsonl);
  return history.filter((op) => op.process === 'nemesis' && op.type === 'info' && op.error === undefined).map((op) => op.f);
}

if (!reachable && inCi) {
  describe('end to end on DockerCluster', () => {
    it('needs a reachable Docker engine in CI', () => {
      throw new Error(`CI is set but no Docker engine answers: ${HOW}`);
    });
  });
} else if (!reachable) {
  process.stderr.write(`test/docker-e2e.test.ts: skipped, no Docker engine answers: ${HOW}\n`);
  describe.skip('end to end on DockerCluster (no Docker engine)', () => {
    it('skipped', () => undefined);
  });
} else {
  describe('end to end on DockerCluster', () => {
    afterAll(() => {
      // SPLITBRAIN_KEEP_STORES=1 keeps the run stores (histories, node logs) for a look after a failure.
      if (process.env.SPLITBRAIN_KEEP_STORES === undefined) for (const store of stores) fs.rmSync(store, { recursive: true, force: true });
    });

    it('raft + register under partition,kill,pause is linearizable', async () => {
      const outcome = await run('test-raft-register.yaml', { nemesis: 'partition,kill,pause', timeLimit: '8', nemesisInterval: '2', seed: '11' });
      const fs = await nemesisFs(outcome);
      expect(fs).toContain('start-partition');
      expect(fs).toContain('kill');
      expect(fs).toContain('pause');
      expect(outcome.results.stats.all.ok, JSON.stringify(outcome.results.stats.all)).toBeGreaterThan(30);
      expect(outcome.results.anomalies).toEqual([]);
      expect(outcome.valid).toBe(true);
    }, 60_000);

    it('primary-backup + register under partition is not linearizable', async () => {
      const outcome = await run('test-primary-backup-register.yaml', { timeLimit: '8', nemesisInterval: '2', seed: '13' });
      expect(await nemesisFs(outcome)).toContain('start-partition');
      expect(outcome.valid).toBe(false);
      expect(outcome.results.anomalies[0]).toMatch(/^nonlinearizable/);
    }, 60_000);

    for (const [reads, valid] of [['lease', false], ['readindex', true]] as const) {
      it(`raft --reads ${reads} with the leader's clock set back and the leader cut off is ${valid ? '' : 'not '}linearizable`, async () => {
        const schedule = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sb-docker-e2e-sched-')), 'lease.yaml');
        stores.push(path.dirname(schedule));
        fs.writeFileSync(schedule, LEASE_SCHEDULE);
        const outcome = await run('test-raft-register.yaml', {
          reads, nemesisSchedule: schedule, partitionClients: true, timeLimit: '14', concurrency: '9', rate: '100', seed: '21',
        });
        const fs2 = await nemesisFs(outcome);
        expect(fs2).toContain('bump-clock');
        expect(fs2).toContain('start-partition');
        expect(outcome.valid, JSON.stringify(outcome.results.anomalies)).toBe(valid);
      }, 60_000);
    }
  });
}
