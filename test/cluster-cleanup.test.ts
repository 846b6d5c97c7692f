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
});
