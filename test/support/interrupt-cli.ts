// test/support/interrupt-cli.ts — SIGINT a real `jepsen test` run mid-run and report what it left behind.
//
// The CLI runs in a child with its own TMPDIR (so the run's temp and data dirs are findable) and
// its own store. Containers and networks are told apart by the owner label the run puts on them
// (cluster/owner.ts: it names the control node's pid, which is the child's pid).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { expect } from 'vitest';
import { OWNER_LABEL } from '../../cluster/docker/leftovers.ts';
import { parseOwner, TEMP_DIR_PREFIX } from '../../cluster/owner.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Recorded history lines that show the main phase is under way. */
const OPS_RECORDED = 20;
const READY_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

/** RunningCli: what a readiness probe may look at while the child runs: its pid, TMPDIR and store. */
export interface RunningCli {
  pid: number;
  tmp: string;
  store: string;
}

/** Interrupted: how the interrupted run ended and what of it remains. */
export interface Interrupted {
  pid: number;
  code: number | null;
  stderr: string;
  /** results.json of the run (null when none was written). */
  results: Record<string, unknown> | null;
  /** The run's temp dirs (TEMP_DIR_PREFIX) still in its TMPDIR; tsx keeps its own cache there. */
  tempLeft: string[];
}

/**
 * interruptCli runs `jepsen test ...args`, waits until ops are recorded and `ready` holds, sends
 * SIGINT and waits for the exit. Its TMPDIR and store are removed before it returns.
 */
export async function interruptCli(args: string[], ready: (run: RunningCli) => Promise<boolean> | boolean = () => true): Promise<Interrupted> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-sigint-tmp-'));
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-sigint-store-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'control/cli.ts', 'test', '--store', store, '--time-limit', '60', ...args], {
    cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = once(child, 'exit');
  const pid = child.pid!;
  try {
    const history = path.join(store, 'latest', 'history.jsonl');
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let isReady = false;
    while (!isReady && child.exitCode === null && Date.now() < deadline) {
      isReady = fs.existsSync(history) && fs.readFileSync(history, 'utf8').split('\n').length > OPS_RECORDED && (await ready({ pid, tmp, store }));
      if (!isReady) await new Promise((r) => setTimeout(r, POLL_MS));
    }
    // Interrupt even when not ready, so nothing outlives the test.
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    if (!isReady) throw new Error(`interruptCli: not ready within ${READY_TIMEOUT_MS} ms (exit ${code}):\n${stderr}`);
    const resultsFile = path.join(store, 'latest', 'results.json');
    const results = fs.existsSync(resultsFile) ? (JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as Record<string, unknown>) : null;
    const tempLeft = fs.readdirSync(tmp).filter((name) => name.startsWith(TEMP_DIR_PREFIX));
    return { pid, code, stderr, results, tempLeft };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    if (process.env.SPLITBRAIN_KEEP_STORES === undefined) for (const dir of [tmp, store]) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** ownedBy: the containers and networks whose owner label names the control node `pid` on this host. */
export async function ownedBy(docker: Docker, pid: number): Promise<{ containers: string[]; networks: string[] }> {
  const mine = (labels: Record<string, string> | undefined): boolean => {
    const owner = parseOwner(labels?.[OWNER_LABEL] ?? '');
    return owner !== null && owner.host === os.hostname() && owner.pid === pid;
  };
  const filters = { label: [OWNER_LABEL] };
  const containers = (await docker.listContainers({ all: true, filters })).filter((c) => mine(c.Labels)).map((c) => c.Id);
  const networks = (await docker.listNetworks({ filters })).filter((n) => mine(n.Labels)).map((n) => n.Id);
  return { containers, networks };
}

/**
 * expectDockerSigintLeavesNothing interrupts a `--cluster docker` run once `minContainers` of its
 * containers exist, and expects exit 2, interrupted results, and no container, network or temp dir of it left.
 */
export async function expectDockerSigintLeavesNothing(docker: Docker, args: string[], minContainers: number): Promise<void> {
  let started = 0;
  const { pid, code, stderr, results, tempLeft } = await interruptCli([...args, '--cluster', 'docker'], async ({ pid: owner }) => {
    started = (await ownedBy(docker, owner)).containers.length;
    return started >= minContainers;
  });
  expect(code, stderr).toBe(2);
  expect(results).toMatchObject({ interrupted: true, valid: 'unknown' });
  expect(started, 'containers of the run before SIGINT').toBeGreaterThanOrEqual(minContainers);
  expect(await ownedBy(docker, pid)).toEqual({ containers: [], networks: [] });
  expect(tempLeft, 'left in TMPDIR').toEqual([]);
}
