// test/runner-local.test.ts — the runner over real node processes (LocalCluster): nothing outlives a run.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pendingCleanups } from '../cluster/cleanup.ts';
import type { LocalCluster } from '../cluster/local/local-cluster.ts';
import { BUNDLE_NAME } from '../db/rsm-bundle.ts';
import { MemoryKvClients } from '../control/runner/fake-cluster.ts';
import { localParts } from '../control/runner/parts.ts';
import { runTest, type PartsFactory } from '../control/runner/run-test.ts';
import { readHistory } from '../history/read.ts';
import { expectWellFormed, tempStore, testOptions } from './runner-support.ts';
import { isAlive, portRefuses } from './support/liveness.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** nodePids lists live processes whose command line mentions `needle` (read from /proc). */
function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) pids.push(Number(entry));
    } catch {
      // The process exited while we looked.
    }
  }
  return pids;
}

describe('runner with LocalCluster', () => {
  it('kills, partitions and heals real nodes, then leaves no process and no bound port', async () => {
    let cluster: LocalCluster | undefined;
    let dataDir = '';
    const inner = localParts(() => new MemoryKvClients(undefined, 0));
    const parts: PartsFactory = async (opts, env) => {
      const p = await inner(opts, env);
      cluster = p.cluster as LocalCluster;
      dataDir = env.dataDir;
      return p;
    };
    const ports: number[] = [];
    const opts = testOptions({ db: 'raft', nodes: 3, nemesis: ['partition', 'kill', 'pause'], nemesisIntervalS: 0.4, timeLimitS: 2.5, rate: 100, recoveryS: 0.2 });
    const outcome = await runTest(opts, async (o, env) => {
      const p = await parts(o, env);
      const setup = p.cluster.setup.bind(p.cluster);
      p.cluster.setup = async () => {
        await setup();
        for (const n of p.cluster.allNodes) ports.push(Number(new URL(p.cluster.clientEndpoint(n).httpUrl).port));
        expect(pidsMentioning(dataDir).length).toBeGreaterThanOrEqual(3);
      };
      return p;
    });
    expect(cluster).toBeDefined();
    expect(outcome.results.error).toBeUndefined();
    const history = await readHistory(outcome.run.historyJsonl);
    expectWellFormed(history);
    const nemesisFs = history.filter((op) => op.process === 'nemesis' && op.type === 'info' && op.error === undefined).map((op) => op.f);
    expect(nemesisFs.length).toBeGreaterThanOrEqual(4);
    expect(ports.length).toBe(3);
    expect(pidsMentioning(dataDir)).toEqual([]);
    for (const port of ports) expect(await portRefuses(port), `port ${port}`).toBe(true);
    expect(pendingCleanups()).toEqual([]);
    expect(readdirSync(outcome.run.logsDir).length).toBeGreaterThanOrEqual(3);
  });
});

/** childrenOf lists live processes whose parent is `ppid`, with their command lines. */
function childrenOf(ppid: number): Array<{ pid: number; cmdline: string }> {
  const out: Array<{ pid: number; cmdline: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === ppid) out.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // The process exited while we looked.
    }
  }
  return out;
}

describe('SIGINT to a runner of real nodes', () => {
  it('stops the run, kills every node, frees every port, removes temp dirs and writes results', async () => {
    const store = tempStore();
    const child = spawn(process.execPath, ['--import', 'tsx', 'control/cli.ts', 'test', '--cluster', 'local', '--db', 'raft',
      '--time-limit', '60', '--nemesis', 'partition', '--nemesis-interval', '1', '--rate', '50', '--seed', '4', '--store', store], {
      cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    const history = path.join(store, 'latest', 'history.jsonl');
    for (let i = 0; i < 200 && !(existsSync(history) && readFileSync(history, 'utf8').split('\n').length > 30); i += 1) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const nodes = childrenOf(child.pid!).filter((p) => p.cmdline.includes(BUNDLE_NAME));
    expect(nodes.length, stderr).toBe(3);
    const dataDirs = nodes.map((p) => /--data-dir (\S+)/.exec(p.cmdline)?.[1] ?? '');
    expect(dataDirs.every((d) => existsSync(d))).toBe(true);
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    expect(code, stderr).toBe(2);
    for (const { pid } of nodes) expect(isAlive(pid), `node ${pid} alive`).toBe(false);
    // Node data dirs live in the runner's temp dir (<tmp>/splitbrain-*/data/<node>): all gone.
    for (const dir of dataDirs) expect(existsSync(path.dirname(path.dirname(dir))), `${dir} left behind`).toBe(false);
    const logs = readdirSync(path.join(store, 'latest', 'logs'));
    expect(logs.length).toBe(3);
    const ports = logs.flatMap((f) => [...readFileSync(path.join(store, 'latest', 'logs', f), 'utf8').matchAll(/(?:http|peer)=127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])));
    expect(ports.length).toBeGreaterThanOrEqual(6);
    for (const port of new Set(ports)) expect(await portRefuses(port), `port ${port}`).toBe(true);
    const results = JSON.parse(readFileSync(path.join(store, 'latest', 'results.json'), 'utf8'));
    expect(results.interrupted).toBe(true);
    expect(results.valid).toBe('unknown');
    expectWellFormed(await readHistory(history));
  });
});
