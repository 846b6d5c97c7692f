// test/control-kill9.test.ts — kill -9 of the control node mid-run leaves nothing running, and the logs in the store (#19 item 4).
//
// The repro: a SIGKILLed `npm run jepsen` left 3 raft nodes, 6 ports and two temp dirs behind
// (still there 108 s later), and the node logs died with the temp dir. Now every node has a
// lifeline (cluster/local/lifeline.ts), node logs are written into the store as they happen,
// and `clean` removes the temp dirs of runs whose control node is dead.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { OWNER_FILE, parseOwner, startTicksOf } from '../cluster/owner.ts';
import { BUNDLE_NAME, RSM_NODE_FLAGS, rsmNodeBundle } from '../db/rsm-bundle.ts';
import { PARENT_PID_ENV } from '../rsm/node/lifeline.ts';
import { freePort } from './support/cluster-procs.ts';
import { portRefuses } from './support/liveness.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kill9-test-'));
afterAll(() => fs.rmSync(tempDir, { recursive: true, force: true }));
const GONE_WITHIN_MS = 5000;

async function until<T>(what: string, timeoutMs: number, fn: () => T | null | Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** nodeChildrenOf lists the rsm node processes whose parent is pid (from /proc). */
function nodeChildrenOf(pid: number): number[] {
  return childrenOf(pid).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(BUNDLE_NAME);
    } catch {
      return false;
    }
  });
}

/** childrenOf lists the pids whose parent is pid (from /proc). */
function childrenOf(pid: number): number[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number).filter((p) => {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  });
}

/** running: the process exists and has not exited (a zombie waiting for a reaper has). */
function running(pid: number): boolean {
  return startTicksOf(pid) !== null;
}

function readLogs(logsDir: string): Record<string, string> {
  if (!fs.existsSync(logsDir)) return {};
  return Object.fromEntries(fs.readdirSync(logsDir).map((f) => [f, fs.readFileSync(path.join(logsDir, f), 'utf8')]));
}

/** ownedTempDirs: the temp dirs whose owner file names pid. */
function ownedTempDirs(pid: number): string[] {
  return fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('splitbrain-')).map((n) => path.join(os.tmpdir(), n)).filter((dir) => {
    try {
      return parseOwner(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'))?.pid === pid;
    } catch {
      return false;
    }
  });
}

describe('kill -9 of the control node (#19 item 4)', () => {
  it('the nodes, their ports and the proxies are gone within seconds, the logs are in the store, and clean removes the temp dirs', async () => {
    const store = path.join(tempDir, 'store');
    const control = spawn(process.execPath, ['--import', 'tsx', 'control/cli.ts', 'test', '--cluster', 'local', '--db', 'raft',
      '--nemesis', 'pause', '--nemesis-interval', '0.5', '--time-limit', '120', '--rate', '20', '--seed', '4', '--store', store], { cwd: ROOT, stdio: 'ignore' });
    const exited = once(control, 'exit');
    const pid = control.pid!;
    try {
      const logsDir = path.join(store, 'raft-register-pause', 'latest', 'logs');
      // Logs are in the store while the run goes on (not copied there at its end).
      const logs = await until('three ready nodes logging into the store', 60_000, () => {
        const l = readLogs(logsDir);
        return ['n1.log', 'n2.log', 'n3.log'].every((f) => /ready id=/.test(l[f] ?? '')) ? l : null;
      });
      const nodes = await until('three node processes', 10_000, () => {
        const kids = nodeChildrenOf(pid);
        return kids.length === 3 ? kids : null;
      });
      const nodePorts = Object.values(logs).flatMap((text) => [...text.matchAll(/(?:http|peer)=127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])));
      const proxyPorts = nodes.flatMap((p) => {
        const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return argv[argv.indexOf('--peers') + 1].split(',').map((peer) => Number(peer.split(':').at(-1)));
      });
      expect(nodePorts).toHaveLength(6);
      expect(proxyPorts).toHaveLength(6);
      for (const port of [...nodePorts, ...proxyPorts]) expect(await portRefuses(port)).toBe(false);
      const tempDirs = ownedTempDirs(pid);
      expect(tempDirs.length).toBeGreaterThanOrEqual(1);
      // Let the pause nemesis act, so a SIGSTOPped node may be among those left behind.
      await new Promise((r) => setTimeout(r, 1500));

      control.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      await until('every node process to exit', GONE_WITHIN_MS, () => (nodes.some(running) ? null : true));
      for (const port of [...nodePorts, ...proxyPorts]) await until(`port ${port} to close`, GONE_WITHIN_MS, async () => ((await portRefuses(port)) ? true : null));
      expect(Date.now() - killedAt).toBeLessThan(GONE_WITHIN_MS);
      const after = readLogs(logsDir);
      for (const f of ['n1.log', 'n2.log', 'n3.log']) expect(after[f].length).toBeGreaterThanOrEqual(logs[f].length);

      // The temp dirs outlive a SIGKILLed owner; clean removes them (and only dead owners').
      for (const dir of tempDirs) expect(fs.existsSync(dir)).toBe(true);
      const clean = await execa('node', ['--import', 'tsx', 'control/cli.ts', 'clean'], { cwd: ROOT, reject: false });
      expect(clean.exitCode, clean.stderr).toBe(0);
      for (const dir of tempDirs) {
        expect(fs.existsSync(dir)).toBe(false);
        expect(clean.stdout).toContain(`removed temp dir ${dir}`);
      }
    } finally {
      control.kill('SIGKILL');
    }
  }, 120_000);

  it('a node whose parent is not the control node named in its environment exits by itself (the check without setpriv)', async () => {
    const dataDir = path.join(tempDir, 'orphan');
    const args = [...RSM_NODE_FLAGS, rsmNodeBundle().file, '--id', 'n1', '--protocol', 'single', '--listen', `127.0.0.1:${await freePort()}`,
      '--peer-listen', `127.0.0.1:${await freePort()}`, '--data-dir', dataDir];
    // Pid 1 is never this test's worker: to the node, its control node is already gone.
    const r = await execa(process.execPath, args, { cwd: ROOT, reject: false, timeout: 30_000, env: { [PARENT_PID_ENV]: '1' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/control node \(pid 1\) is gone: shutting down/);
  }, 60_000);
});
