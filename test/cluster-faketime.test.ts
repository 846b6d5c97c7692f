// test/cluster-faketime.test.ts — clock skew through libfaketime on a real node, and the error without it.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { faketimeEnv, findLibfaketime, formatOffset, requireLibfaketime, writeOffsetFile } from '../cluster/local/faketime.ts';
import { LocalCluster } from '../cluster/local/local-cluster.ts';
import type { ClusterSpec } from '../cluster/types.ts';
import { createRsmDb } from '../db/rsm.ts';
import type { Db } from '../db/types.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-faketime-test-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const SLACK_MS = 1500;

function spec(name: string, fakeTime: boolean): ClusterSpec {
  return { dataDir: path.join(root, name, 'data'), logDir: path.join(root, name, 'logs'), fakeTime };
}

const single = (): Db => createRsmDb({ protocol: 'single', nodeCount: 1 });

/** nodeSkewMs makes the node log a line (through its admin API) and compares the line's time to ours. */
async function nodeSkewMs(c: LocalCluster): Promise<number> {
  const res = await fetch(`${c.clientEndpoint('n1').httpUrl}/admin/clock-offset`, { method: 'POST', body: JSON.stringify({ offsetMs: 0 }) });
  expect(res.status).toBe(200);
  const now = Date.now();
  const lines = fs.readFileSync(c.logPath('n1'), 'utf8').trim().split('\n').filter((l) => l.includes('clock offset set to 0 ms'));
  return Date.parse(lines[lines.length - 1].split(' ')[0]) - now;
}

describe('clock skew', () => {
  it('formats libfaketime offsets', () => {
    expect(formatOffset(500)).toBe('+0.500');
    expect(formatOffset(-2250)).toBe('-2.250');
    expect(formatOffset(0)).toBe('+0.000');
  });

  it('without libfaketime, fakeTime fails at setup saying how to install it', async () => {
    const saved = process.env.SPLITBRAIN_LIBFAKETIME;
    process.env.SPLITBRAIN_LIBFAKETIME = '/nonexistent/libfaketime.so.1';
    try {
      expect(() => requireLibfaketime()).toThrow(/apt-get install faketime/);
      await expect(new LocalCluster(spec('missing', true), single()).setup()).rejects.toThrow(/apt-get install faketime/);
    } finally {
      if (saved === undefined) delete process.env.SPLITBRAIN_LIBFAKETIME;
      else process.env.SPLITBRAIN_LIBFAKETIME = saved;
    }
  });

  it('setClockOffset needs fakeTime', async () => {
    const c = new LocalCluster(spec('plain', false), single());
    try {
      await c.setup();
      await expect(c.setClockOffset('n1', 100)).rejects.toThrow(/fakeTime/);
    } finally {
      await c.teardown();
    }
  });

  // This machine's branch: CI must `apt-get install faketime` for the skew itself to be tested.
  const lib = findLibfaketime();
  it(lib === null ? 'libfaketime missing: the fakeTime setup error is the tested path' : 'a running node sees its offset change at once', async () => {
    if (lib === null) {
      await expect(new LocalCluster(spec('absent', true), single()).setup()).rejects.toThrow(/apt-get install faketime/);
      return;
    }
    const file = path.join(root, 'script.faketime');
    writeOffsetFile(file, 5000);
    const printed = Number(execFileSync(process.execPath, ['-e', 'console.log(Date.now())'], { env: { ...process.env, ...faketimeEnv(lib, file) } }).toString());
    expect(Math.abs(printed - Date.now() - 5000)).toBeLessThan(SLACK_MS);

    const c = new LocalCluster(spec('skew', true), single());
    try {
      await c.setup();
      expect(Math.abs(await nodeSkewMs(c))).toBeLessThan(SLACK_MS);
      await c.setClockOffset('n1', 60_000);
      expect(Math.abs((await nodeSkewMs(c)) - 60_000)).toBeLessThan(SLACK_MS);
      await c.setClockOffset('n1', -30_000);
      expect(Math.abs((await nodeSkewMs(c)) + 30_000)).toBeLessThan(SLACK_MS);
      // Monotonic time is real: the node keeps running and answering after the jump back.
      expect((await c.status('n1'))?.id).toBe('n1');
    } finally {
      await c.teardown();
    }
  });
});
