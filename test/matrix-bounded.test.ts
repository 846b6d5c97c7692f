// test/matrix-bounded.test.ts — a run's check is bounded in memory and time; test-all goes on and keeps its JUnit file.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../control/cli.ts';
import { testAll } from '../control/commands/test-all.ts';
import { expandMatrix } from '../control/matrix.ts';
import { BoundedAnalysis, runBounded } from '../control/runner/bounded-analysis.ts';
import { MemoryKvClients } from '../control/runner/fake-cluster.ts';
import type { KvClientLike } from '../workloads/types.ts';
import { fakePartsWith } from './runner-support.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** BIG_READ: what a store returning its whole content on every read hands back (as naive-set-none did). */
const BIG_READ = Array.from({ length: 200_000 }, (_, i) => i * 7);

/** writeHistory writes `reads` ok reads whose value is `value` (a register history). */
function writeHistory(file: string, reads: number, value: unknown): void {
  const lines: string[] = [];
  for (let i = 0; i < reads; i += 1) {
    lines.push(JSON.stringify({ index: 2 * i, time: 2 * i * 1000, type: 'invoke', process: 0, f: 'read', key: 1, value: null }));
    lines.push(JSON.stringify({ index: 2 * i + 1, time: (2 * i + 1) * 1000, type: 'ok', process: 0, f: 'read', key: 1, value }));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** junitCases: [name, has a failure, failure message] of every case in a JUnit file. */
function junitCases(file: string): Array<{ name: string; failure?: string }> {
  const xml = readFileSync(file, 'utf8');
  return [...xml.matchAll(/<testcase classname="[^"]*" name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)].map((m) => {
    const failure = /<(?:failure|error) message="([^"]*)"/.exec(m[2]);
    return failure === null ? { name: m[1] } : { name: m[1], failure: failure[1] };
  });
}

describe('BoundedAnalysis', () => {
  it('answers a check within the cap, says "out of memory" for one past it while this process goes on, then answers again', async () => {
    const small = path.join(dir, 'small.jsonl');
    writeHistory(small, 20, null);
    const big = path.join(dir, 'big.jsonl');
    writeHistory(big, 60, BIG_READ);
    const checkOptions = { timeoutMs: 10_000 };
    const analysis = new BoundedAnalysis({ memoryMb: 32, timeoutMs: 60_000 });
    try {
      const ok = await analysis.run({ kind: 'analysis', historyPath: small, workload: 'register', checkOptions });
      expect(ok.status === 'done' && ok.answer.kind === 'analysis' && [ok.answer.opCount, ok.answer.checker?.valid]).toEqual([40, true]);
      const capped = await analysis.run({ kind: 'analysis', historyPath: big, workload: 'register', checkOptions });
      expect(capped).toEqual({ status: 'failed', cause: 'memory', reason: 'analysis ran out of memory: its heap cap is 32 MB (--check-memory-mb)' });
      // The worker that ran out is gone; the next task gets a fresh one.
      const again = await analysis.run({ kind: 'analysis', historyPath: small, workload: 'register', checkOptions });
      expect(again.status === 'done' && again.answer.kind === 'analysis' && again.answer.opCount).toBe(40);
    } finally {
      await analysis.close();
    }
  }, 120_000);

  it('stops a worker past its deadline and says so', async () => {
    const big = path.join(dir, 'slow.jsonl');
    writeHistory(big, 5, 0);
    const late = await runBounded({ kind: 'analysis', historyPath: big, workload: 'register', checkOptions: {} }, { memoryMb: 256, timeoutMs: 1 });
    expect(late).toMatchObject({ status: 'failed', cause: 'time', reason: 'analysis did not finish within 0 s (worker stopped)' });
  });
});

/** writeFullSetHistory: `adds` acknowledged adds by 20 threads, a whole-set read (as ranges) after every 4th, one element lost. */
function writeFullSetHistory(file: string, adds: number, lost: number): void {
  const lines: string[] = [];
  const push = (op: Record<string, unknown>): void => {
    lines.push(JSON.stringify({ index: lines.length, ...op }));
  };
  for (let e = 0; e < adds; e += 1) {
    push({ time: e * 1000, type: 'invoke', process: e % 20, f: 'add', value: e });
    push({ time: e * 1000 + 500, type: 'ok', process: e % 20, f: 'add', value: e });
    if (e % 4 !== 3) continue;
    push({ time: e * 1000 + 600, type: 'invoke', process: 20, f: 'read', value: null });
    push({ time: e * 1000 + 700, type: 'ok', process: 20, f: 'read', value: { ranges: e > lost + 4 ? [[0, lost - 1], [lost + 1, e]] : [[0, e]] } });
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

describe('set histories with reads as ranges', () => {
  it('`check DIR` re-checks one by itself and finds the lost element', async () => {
    const runDir = path.join(dir, 'set-run');
    mkdirSync(runDir);
    writeFullSetHistory(path.join(runDir, 'history.jsonl'), 1000, 500);
    writeFileSync(path.join(runDir, 'test.json'), JSON.stringify({ name: 'naive-set-none', seed: 1, options: { workload: 'set' } }));
    const out: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    let code: number;
    try {
      code = await main(['check', runDir]);
    } finally {
      stdout.mockRestore();
      process.exitCode = undefined;
    }
    expect(code).toBe(1);
    expect(out.join('')).toMatch(/^INVALID \(workload set, 2500 history entries\)[\s\S]*lost 1 element\(s\) \(1 acknowledged between 0\.00 s and 0\.00 s\): 500\n/);
  });


  it('checks 100k adds and 25k whole-set reads (1.25·10^9 memberships) from a file under a 512 MB heap cap', async () => {
    const file = path.join(dir, 'set.jsonl');
    writeFullSetHistory(file, 100_000, 77_777);
    const outcome = await runBounded({ kind: 'analysis', historyPath: file, workload: 'set', checkOptions: { timeoutMs: 60_000 } }, { memoryMb: 512, timeoutMs: 120_000 });
    expect(outcome.status).toBe('done');
    const checker = outcome.status === 'done' && outcome.answer.kind === 'analysis' ? outcome.answer.checker : undefined;
    expect(checker).toMatchObject({ valid: false, lostElements: [77_777], stableCount: 99_999 });
  }, 180_000);
});

describe('test-all with a run whose check exhausts its memory', () => {
  it('marks that run unknown with the reason, runs the rest, and rewrites the JUnit file after every run', async () => {
    const config = path.join(dir, 'oom.yaml');
    writeFileSync(config, `
defaults: { cluster: fake, time-limit: 1, recovery-s: 0.05, rate: 200, nodes: 2, nemesis: none, store: ${path.join(dir, 'store')} }
runs:
  - { db: raft, workload: register, seeds: 1, expect: valid }
  - { db: raft, workload: register, seeds: 2, expect: valid, options: { check-memory-mb: 32 } }
  - { db: raft, workload: register, seeds: 3, expect: valid }
`);
    const runs = expandMatrix(config);
    const junit = path.join(dir, 'oom-junit.xml');
    const seenBefore: number[] = [];
    const bigReads = (cluster: ConstructorParameters<typeof MemoryKvClients>[0]) => {
      const memory = new MemoryKvClients(cluster, 0);
      return { open: (node: string): KvClientLike => ({ ...memory.open(node), read: async () => ({ type: 'ok', value: BIG_READ, node }) }) };
    };
    const outcomes = await testAll(runs, (run) => {
      seenBefore.push(existsSync(junit) ? junitCases(junit).length : 0);
      return fakePartsWith(run.opts.seed === 2 ? { clients: bigReads } : {});
    }, junit, new AbortController().signal, () => undefined);
    expect(outcomes.map((o) => [o.run.opts.seed, o.verdict])).toEqual([[1, 'valid'], [2, 'unknown'], [3, 'valid']]);
    expect(outcomes[1].error).toBe('analysis ran out of memory: its heap cap is 32 MB (--check-memory-mb)');
    const results = JSON.parse(readFileSync(path.join(outcomes[1].storePath, 'results.json'), 'utf8')) as Record<string, unknown>;
    expect(results).toMatchObject({ valid: 'unknown', checkerError: 'analysis ran out of memory: its heap cap is 32 MB (--check-memory-mb)' });
    expect(results.opCount).toBeGreaterThan(100);
    // Before run k starts, the JUnit file holds the k-1 runs that finished.
    expect(seenBefore).toEqual([0, 1, 2]);
    const cases = junitCases(junit);
    expect(cases.map((c) => c.name)).toEqual(['raft register none seed 1', 'raft register none seed 2', 'raft register none seed 3']);
    expect(cases[1].failure).toMatch(/^unknown, expected valid: analysis ran out of memory/);
    expect(cases[0].failure).toBeUndefined();
  }, 180_000);
});

describe('test-all interrupted', () => {
  it('on SIGINT mid-matrix exits 2 and leaves a JUnit file with every run that finished', async () => {
    const config = path.join(dir, 'sigint.yaml');
    const junit = path.join(dir, 'sigint-junit.xml');
    writeFileSync(config, `
defaults: { cluster: fake, time-limit: 2, recovery-s: 0.05, rate: 100, nodes: 2, nemesis: none, store: ${path.join(dir, 'sigint-store')} }
runs:
  - { db: raft, workload: counter, seeds: [1, 2, 3, 4], expect: valid }
`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'control/cli.ts', 'test-all', '--config', config, '--junit', junit], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        // Interrupt once the second run is under way: the first one has finished.
        if (stderr.includes('test-all: run 3/4')) resolve();
      });
      void exited.then(() => reject(new Error(`test-all ended before run 3: ${stderr}`)));
    });
    child.kill('SIGINT');
    expect(await exited).toBe(2);
    const names = junitCases(junit).map((c) => c.name);
    expect(names.slice(0, 2)).toEqual(['raft counter none seed 1', 'raft counter none seed 2']);
    expect(names).not.toContain('raft counter none seed 4');
  }, 180_000);
});
