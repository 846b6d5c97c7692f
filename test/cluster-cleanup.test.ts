// test/cluster-cleanup.test.ts — a control process that is signalled or crashes leaves no node process or port.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { portFree } from '../cluster/ports.ts';
import { isAlive } from './support/liveness.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE = path.join(REPO, 'cluster/local/testdata/hold-cluster.ts');
const STUCK = path.join(REPO, 'cluster/testdata/stuck-cleanup.ts');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cleanup-test-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** runHolder starts the fixture, waits for its pids/ports line, then applies `hit`. */
async function runHolder(mode: string, hit: (pid: number) => void): Promise<{ code: number | null; pids: number[]; ports: number[]; dir: string }> {
  const dir = path.join(root, mode);
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir, mode === 'throw' ? 'throw' : 'wait'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const info = await new Promise<{ pids: number[]; ports: number[] }>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]) as { pids: number[]; ports: number[] });
    });
    void exited.then(() => reject(new Error(`holder exited early: ${err}`)));
  });
  expect(info.pids.every(isAlive)).toBe(true);
  hit(child.pid!);
  return { code: await exited, ...info, dir };
}

describe('cleanup on exit and signals', () => {
  for (const [mode, signal, code] of [['sigterm', 'SIGTERM', 2], ['sigint', 'SIGINT', 2], ['throw', null, 1]] as const) {
    it(`${mode}: every node process ends, every port is free, data dirs are gone`, async () => {
      const r = await runHolder(mode, (pid) => {
        if (signal !== null) process.kill(pid, signal);
      });
      expect(r.code).toBe(code);
      // SIGKILLed children are reaped by init; give the kernel a moment to release them.
      for (let i = 0; i < 100 && r.pids.some(isAlive); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(r.pids.filter(isAlive)).toEqual([]);
      for (const port of r.ports) expect(await portFree(port)).toBe(true);
      expect(fs.existsSync(path.join(r.dir, 'data'))).toBe(false);
    });
  }

  it('a second SIGINT stops at once: the hung async cleanup is abandoned, the sync undo still runs', async () => {
    const marker = path.join(root, 'stuck-marker');
    const child = spawn(process.execPath, ['--import', 'tsx', STUCK, marker], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGINT');
    // The first signal waits for the cleanup (up to its 15 s bound): still running after a moment.
    while (!err.includes('cleaning up 1 resource')) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode).toBeNull();
    const secondAt = performance.now();
    child.kill('SIGINT');
    expect(await exited, err).toBe(2);
    expect(performance.now() - secondAt).toBeLessThan(5000);
    expect(err).toMatch(/second SIGINT: stopping now/);
    expect(fs.readFileSync(marker, 'utf8')).toBe('sync ran\n');
  });
});
