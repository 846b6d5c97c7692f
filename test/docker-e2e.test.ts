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
import { lazyFsMounts } from '../cluster/lazyfs.ts';
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
/** runIds: each run's docker label, by its store (runs may overlap), for the leftovers check. */
const runIds = new Map<string, string>();


/**
 * DISK_SCHEDULE: one power failure of the whole cluster (every container SIGKILLed, its host
 * lazyfs drops what was not fsynced), all restarted at once; then n2's log gets a bitflipped
 * chunk while it is down (its files are the lazyfs backing directory on the host).
 */
const DISK_SCHEDULE = `- at: 1s
  do: crash
  target: all
- at: 1300ms
  do: restart-crashed
- at: 3s
  do: corrupt
  nodes: [n2]
  mode: bitflip
  file: log.bin
- at: 3300ms
  do: restart-corrupted
`;

/** recordingDockerParts: the runner's own docker parts, remembering each run's label for the leftovers check. */
const recordingDockerParts: PartsFactory = async (opts, env) => {
  const parts = await dockerParts(opts, env);
  runIds.set(opts.store, (parts.cluster as DockerCluster).runId);
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
  const filters = { label: [`${RUN_LABEL}=${runIds.get(store)}`] };
  expect(await docker.listContainers({ all: true, filters })).toEqual([]);
  expect(await docker.listNetworks({ filters })).toEqual([]);
  return outcome;
}

async function nemesisFs(outcome: RunOutcome): Promise<string[]> {
  const history = await readHistory(outcome.run.historyJsonl);
  return history.filter((op) => op.process === 'nemesis' && op.type === 'info' && op.error === undefined).map((op) => op.f);
}

/** expectValidUnder: the run saw each of these faults, got more than minOk writes and reads through, and is linearizable. */
async function expectValidUnder(outcome: RunOutcome, faults: string[], minOk: number): Promise<void> {
  const fs = await nemesisFs(outcome);
  for (const f of faults) expect(fs).toContain(f);
  expect(outcome.results.stats.all.ok, JSON.stringify(outcome.results.stats.all)).toBeGreaterThan(minOk);
  expect(outcome.results.anomalies).toEqual([]);
  expect(outcome.valid).toBe(true);
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
      await expectValidUnder(outcome, ['start-partition', 'kill', 'pause'], 30);
    }, 60_000);

    it('paxos + register under partition,kill is linearizable', async () => {
      const outcome = await run('test-raft-register.yaml', { db: 'paxos', nemesis: 'partition,kill', timeLimit: '6', nemesisInterval: '1.5', seed: '11' });
      await expectValidUnder(outcome, ['start-partition', 'kill'], 10);
    }, 60_000);

    it('primary-backup + register under partition is not linearizable', async () => {
      const outcome = await run('test-primary-backup-register.yaml', { timeLimit: '8', nemesisInterval: '2', seed: '13' });
      expect(await nemesisFs(outcome)).toContain('start-partition');
      expect(outcome.valid).toBe(false);
      expect(outcome.results.anomalies[0]).toMatch(/^nonlinearizable/);
    }, 60_000);

    it('naive + register with clients beside their copies: valid gently without packet faults, not linearizable at load under packet delay and reordering', async () => {
      // The naive copies are broken without any fault too (two clients' writes can reach the
      // copies in opposite orders), so the control runs gently (4 clients, 10 ops/s: valid in every
      // CI run so far) and the shaped run at load: 10 clients at 200 ops/s put enough concurrent
      // writes inside the delay that every seed swept was caught (2026-12-02: seeds 1-6; at the
      // gentle rate about one seed in three ended valid, too few writes on one key). Unshaped at
      // that load, seeds 1-3 were valid and seed 5 was not.
      const flags = { db: 'naive', workload: 'register', partitionClients: true, nodes: '2', concurrency: '4', rate: '10', keyCount: '1', timeLimit: '6', recoveryS: '1', seed: '5' };
      const control = await run('test-naive-register.yaml', { ...flags, nemesis: 'none' });
      expect(control.valid, JSON.stringify(control.results.anomalies)).toBe(true);
      // Jepsen's defaults (50 ms ± 10 ms, 20% reordered) on every link from 1 s.
      const shaped = await run('test-naive-register.yaml', { ...flags, concurrency: '10', rate: '200', nemesisSchedule: path.join(ROOT, 'examples', 'packet-delay.yaml') });
      const history = await readHistory(shaped.run.historyJsonl);
      // The shaping is in force within 3 s of the start (one exec per namespace), for most of the 6 s.
      const started = history.find((op) => op.process === 'nemesis' && op.f === 'start-packet' && op.type === 'info' && op.error === undefined);
      expect(started, 'start-packet completed').toBeDefined();
      expect(started!.time).toBeLessThan(3e9);
      expect(shaped.valid).toBe(false);
      expect(shaped.results.anomalies[0]).toMatch(/^nonlinearizable/);
    }, 120_000);

    it('raft + set under a power failure and a bitflipped log (host disks bound into the containers): --bug no-fsync loses acknowledged adds, correct raft keeps them', async () => {
      const schedule = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sb-docker-e2e-sched-')), 'disk.yaml');
      stores.push(path.dirname(schedule));
      fs.writeFileSync(schedule, DISK_SCHEDULE);
      const flags = { workload: 'set', nemesisSchedule: schedule, timeLimit: '5', recoveryS: '1', concurrency: '5', rate: '100', seed: '3' };
      // One after the other: side by side, two clusters' node starts starve each other on a small machine.
      const buggy = await run('test-raft-register.yaml', { ...flags, bug: ['no-fsync'] });
      const control = await run('test-raft-register.yaml', flags);
      const lostOf = async (outcome: RunOutcome): Promise<Array<{ unsyncedBytes: number }>> => {
        const history = await readHistory(outcome.run.historyJsonl);
        const crash = history.find((op) => op.process === 'nemesis' && op.f === 'crash' && op.type === 'info');
        expect(crash?.error, 'crash completed').toBeUndefined();
        return (crash!.value as { lost: Array<{ unsyncedBytes: number }> }).lost;
      };
      // The buggy nodes acknowledged from the page cache: every disk held log bytes it had not fsynced.
      const lost = await lostOf(buggy);
      expect(lost).toHaveLength(3);
      for (const l of lost) expect(l.unsyncedBytes).toBeGreaterThan(0);
      expect(buggy.valid).toBe(false);
      expect(buggy.results.anomalies.join('\n')).toMatch(/^lost \d+ element\(s\)( \([^)]*\))?: \d/m);
      expect(await lostOf(control)).toHaveLength(3);
      // The control's n2 found the flipped bits at its restart (the log's CRC) and cut its log there.
      const corrupt = (await readHistory(control.run.historyJsonl)).find((op) => op.process === 'nemesis' && op.f === 'corrupt' && op.type === 'info');
      expect(corrupt?.error, 'corrupt completed').toBeUndefined();
      expect((corrupt!.value as { corrupted: Array<{ node: string; file: string }> }).corrupted).toMatchObject([{ node: 'n2', file: 'log.bin' }]);
      const n2Log = fs.readdirSync(control.run.dir, { recursive: true }).map(String).find((f) => /n2\.log$/.test(f));
      expect(fs.readFileSync(path.join(control.run.dir, n2Log!), 'utf8')).toMatch(/durable-log: truncated \d+ bytes at offset \d+ of \S*\/log\.bin \(crc mismatch\)/);
      expect(control.results.stats.all.ok).toBeGreaterThan(20);
      expect(control.results.anomalies).toEqual([]);
      expect(control.valid).toBe(true);
      // Healed: no lazyfs left mounted (run() checked that no container or network is left).
      expect(lazyFsMounts()).toEqual([]);
    }, 90_000);

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
