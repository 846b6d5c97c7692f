// test/runner-cleanup.test.ts — teardown on success, on throws, and on SIGINT/SIGTERM of a real runner process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeCluster, MemoryKvClients } from '../control/runner/fake-cluster.ts';
import { ClusterNemesis } from '../control/runner/nemesis-driver.ts';
import { runTest, type PartsFactory } from '../control/runner/run-test.ts';
import { readHistory } from '../history/read.ts';
import { expectWellFormed, tempStore, testOptions } from './runner-support.ts';
import { isAlive, portRefuses } from './support/liveness.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** throwingParts: a fake cluster whose `which` step throws; records teardowns in `torn`. */
function throwingParts(which: 'setup' | 'open' | 'partition', torn: FakeCluster[]): PartsFactory {
  return async (opts, env) => {
    const cluster = new FakeCluster({ nodeCount: opts.nodes });
    const teardown = cluster.teardown.bind(cluster);
    cluster.teardown = async () => {
      torn.push(cluster);
      await teardown();
    };
    if (which === 'setup') cluster.setup = async () => Promise.reject(new Error('setup exploded'));
    if (which === 'partition') cluster.partition = async () => Promise.reject(new Error('iptables exploded'));
    const memory = new MemoryKvClients(cluster, 0);
    const clients = which === 'open' ? { open: () => Promise.reject(new Error('open exploded')) } : memory;
    return { cluster, clients, nemesis: new ClusterNemesis(cluster, env.nemesisRng) };
  };
}

describe('cleanup after throws (in process)', () => {
  for (const which of ['setup', 'open'] as const) {
    it(`tears down once and answers unknown (exit 2) when ${which} throws`, async () => {
      const torn: FakeCluster[] = [];
      const outcome = await runTest(testOptions(), throwingParts(which, torn), { opsPerThreadMax: 5 });
      expect(torn.length).toBe(1);
      expect(torn[0].calls.at(-1)).toBe('teardown');
      expect(outcome.valid).toBe('unknown');
      expect(outcome.exitCode).toBe(2);
      expect(outcome.results.error).toContain(`${which} exploded`);
      expectWellFormed(await readHistory(outcome.run.historyJsonl));
    });
  }

  it('a failing nemesis op is recorded with its error and the run goes on', async () => {
    const torn: FakeCluster[] = [];
    const opts = testOptions({ nemesis: ['partition'], nemesisIntervalS: 0.1, timeLimitS: 0.5 });
    const outcome = await runTest(opts, throwingParts('partition', torn), {});
    const history = await readHistory(outcome.run.historyJsonl);
    expect(history.some((op) => op.process === 'nemesis' && op.error === 'iptables exploded')).toBe(true);
    expect(outcome.valid).toBe(true);
    expect(torn.length).toBe(1);
  });
});

/** startRunner spawns the `test` command with a fake cluster of real idle node processes. */
function startRunner(store: string, extra: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'control/cli.ts', 'test', '--cluster', 'fake', '--time-limit', '60',
    '--nemesis', 'kill,pause', '--nemesis-interval', '0.3', '--rate', '100', '--seed', '3', '--store', store, ...extra], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stderr: () => stderr };
}

describe('cleanup on signals (runner child process)', () => {
  // cluster/cleanup.ts owns the exit code of a signalled process: 2 (unknown, DESIGN.md),
  // after the runner's own cleanup entry has stopped the run and written results.json.
  for (const [signal, exitCode] of [['SIGINT', 2], ['SIGTERM', 2]] as const) {
    it(`on ${signal}: stops, tears down every node process, frees their ports, writes results, exits ${exitCode}`, async () => {
      const store = tempStore();
      const { child, stderr } = startRunner(store);
      const history = path.join(store, 'latest', 'history.jsonl');
      const exited = once(child, 'exit');
      // Wait (bounded) until the run is in its main phase with ops recorded.
      for (let i = 0; i < 150 && !(existsSync(history) && readFileSync(history, 'utf8').split('\n').length > 20); i += 1) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const startedMs = performance.now();
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      expect(code, stderr()).toBe(exitCode);
      expect(performance.now() - startedMs).toBeLessThan(10_000);
      const fake = JSON.parse(readFileSync(path.join(store, 'latest', 'logs', 'fake-cluster.json'), 'utf8'));
      // Logs are collected before teardown, so they show the nodes it had to stop; an idle
      // child does not die with its parent, so dead pids and free ports prove the teardown.
      expect(fake.spawned.length).toBeGreaterThanOrEqual(3);
      for (const { pid, port } of fake.spawned) {
        expect(isAlive(pid), `node pid ${pid} still alive`).toBe(false);
        expect(await portRefuses(port), `port ${port} still bound`).toBe(true);
      }
      const results = JSON.parse(readFileSync(path.join(store, 'latest', 'results.json'), 'utf8'));
      expect(results.interrupted).toBe(true);
      expect(results.valid).toBe('unknown');
      expectWellFormed(await readHistory(history));
    });
  }
});
