// test/runner-core.test.ts — the runner with in-memory fakes: process model, rate, phases, history, store, seeds.
import { existsSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../control/runner/rate-limiter.ts';
import { runTest } from '../control/runner/run-test.ts';
import { composeVerdicts } from '../checker/types.ts';
import { runSchedule } from '../control/runner/nemesis-driver.ts';
import { runTests } from '../control/commands/test.ts';
import { readHistory } from '../history/read.ts';
import type { Op } from '../history/op.ts';
import { SeededRng } from '../lib/rng.ts';
import type { Completion, KvClientLike } from '../workloads/types.ts';
import { expectWellFormed, fakePartsWith, testOptions } from './runner-support.ts';

/** flakyClients: every client answers info on its 3rd op and ok otherwise (reads return null). */
function flakyClients(opened: Array<{ node: string; process: number }>) {
  return () => ({
    open(node: string, proc: number): KvClientLike {
      opened.push({ node, process: proc });
      let calls = 0;
      const answer = async (): Promise<Completion> => {
        calls += 1;
        return calls % 3 === 0 ? { type: 'info', error: 'timeout' } : { type: 'ok' };
      };
      return { read: answer, write: answer, cas: async () => ({ type: 'fail' }), txn: answer };
    },
  });
}

describe('runner process model', () => {
  it('continues a thread as process + concurrency after an info, each with a new client on the same node', async () => {
    const opened: Array<{ node: string; process: number }> = [];
    const opts = testOptions({ concurrency: 4, nodes: 3 });
    const outcome = await runTest(opts, fakePartsWith({ clients: flakyClients(opened) }), { opsPerThreadMax: 10 });
    const history = await readHistory(outcome.run.historyJsonl);
    expectWellFormed(history);
    const invokes = history.filter((op) => op.type === 'invoke' && op.process !== 'nemesis');
    // 10 main-phase ops per thread, and the final reads after.
    expect(invokes.length).toBeGreaterThanOrEqual(40);
    for (const op of history.filter((o) => o.type === 'info')) {
      const proc = op.process as number;
      const next = history.find((o) => o.index > op.index && o.type === 'invoke' && (o.process as number) % 4 === proc % 4);
      if (next !== undefined) expect(next.process).toBe(proc + 4);
    }
    // Thread i talks to node i mod 3 whatever its process.
    for (const { node, process: proc } of opened) expect(node).toBe(`n${((proc % 4) % 3) + 1}`);
    expect(new Set(opened.map((o) => o.process)).size).toBe(opened.length);
    expect(Math.max(...opened.map((o) => o.process))).toBeGreaterThanOrEqual(4);
  });

  it('records a thrown client error as info, and the runner timeout as info', async () => {
    const opts = testOptions({ concurrency: 2, nodes: 1, opTimeoutS: 0.05 });
    const clients = () => ({
      open: (_node: string, proc: number): KvClientLike => {
        const hang = (): Promise<Completion> => new Promise(() => undefined);
        const boom = async (): Promise<Completion> => {
          throw new Error('socket closed');
        };
        const call = proc % 2 === 0 ? boom : hang;
        return { read: call, write: call, cas: call, txn: call };
      },
    });
    const outcome = await runTest(opts, fakePartsWith({ clients }), { opsPerThreadMax: 3 });
    const history = await readHistory(outcome.run.historyJsonl);
    expectWellFormed(history);
    const errors = new Set(history.filter((op) => op.type === 'info').map((op) => op.error));
    expect(errors, JSON.stringify([...errors])).toEqual(new Set(['socket closed', 'runner timeout after 50 ms']));
  });
});

describe('rate limit', () => {
  it('RateLimiter grants at most rate × time + burst tokens over many callers', async () => {
    const limiter = new RateLimiter(200, 1);
    const startMs = performance.now();
    const deadlineMs = startMs + 500;
    let granted = 0;
    await Promise.all(Array.from({ length: 20 }, async () => {
      while (await limiter.take(deadlineMs)) granted += 1;
    }));
    expect(granted).toBeLessThanOrEqual(101);
    expect(granted).toBeGreaterThanOrEqual(90);
  });

  it('the runner respects --rate across all threads', async () => {
    const opts = testOptions({ concurrency: 10, rate: 100, timeLimitS: 1, recoveryS: 0 });
    const outcome = await runTest(opts, fakePartsWith());
    const history = await readHistory(outcome.run.historyJsonl);
    const main = outcome.results.phases.main!;
    const mainInvokes = history.filter((op) => op.type === 'invoke' && op.time! <= main.endNs);
    expect(mainInvokes.length).toBeLessThanOrEqual(102);
    expect(mainInvokes.length).toBeGreaterThanOrEqual(80);
  });
});

describe('phases, nemesis and history', () => {
  it('runs main → heal → recovery → final, records nemesis ops as invoke/info pairs and heals every fault', async () => {
    const opts = testOptions({ nemesis: ['partition', 'kill', 'pause'], nemesisIntervalS: 0.1, timeLimitS: 1, rate: 500, recoveryS: 0.1 });
    let cluster: import('../control/runner/fake-cluster.ts').FakeCluster | undefined;
    const outcome = await runTest(opts, fakePartsWith({ onParts: (p) => (cluster = p.cluster) }));
    const history = await readHistory(outcome.run.historyJsonl);
    expectWellFormed(history);
    const { main, heal, recovery, final } = outcome.results.phases;
    expect(main && heal && recovery && final).toBeTruthy();
    expect(main!.endNs).toBeLessThanOrEqual(heal!.startNs);
    expect(heal!.endNs).toBeLessThanOrEqual(recovery!.startNs);
    expect(recovery!.endNs - recovery!.startNs).toBeGreaterThanOrEqual(90e6);
    expect(recovery!.endNs).toBeLessThanOrEqual(final!.startNs);
    const nemesisOps = history.filter((op) => op.process === 'nemesis');
    expect(nemesisOps.length).toBeGreaterThanOrEqual(8);
    for (let i = 0; i < nemesisOps.length; i += 2) {
      expect(nemesisOps[i].type).toBe('invoke');
      expect(nemesisOps[i + 1].type).toBe('info');
      expect(nemesisOps[i + 1].value).not.toBeNull();
    }
    // Everything is healed before the final phase, and the final reads all come after.
    expect(cluster!.down.size + cluster!.paused.size + Object.keys(cluster!.grudge).length).toBe(0);
    const finalReads = history.filter((op) => op.time! >= final!.startNs && op.type === 'invoke');
    const keys = new Set(history.filter((op) => op.type === 'invoke' && op.process !== 'nemesis' && op.time! < main!.endNs).map((op) => op.key));
    expect(finalReads.every((op) => op.f === 'read')).toBe(true);
    // Final keys are declared by what the generators handed out (issue 12.6), not read off the
    // live history: every key used in main is read, and so is a key drawn just before the deadline.
    const finalKeys = new Set(finalReads.map((op) => op.key));
    for (const key of keys) expect(finalKeys.has(key)).toBe(true);
    // Every thread (so every node) reads every key.
    expect(finalReads.length).toBe(finalKeys.size * opts.concurrency);
    expect(outcome.valid).toBe(true);
    expect(outcome.results.stats.latencyByF.read.p99Ms).toBeGreaterThanOrEqual(0);
  });

  it('finds a non-linearizable store (stale reads) and exits 1 naming the key', async () => {
    const opts = testOptions({ concurrency: 3, keyCount: 1 });
    // A store that forgets every write: reads always say null after a write was acknowledged.
    const clients = () => ({
      open: (): KvClientLike => ({
        read: async () => ({ type: 'ok', value: null }),
        write: async () => ({ type: 'ok' }),
        cas: async () => ({ type: 'fail' }),
        txn: async () => ({ type: 'fail' }),
      }),
    });
    const outcome = await runTest(opts, fakePartsWith({ clients }), { opsPerThreadMax: 30 });
    expect(outcome.valid).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.results.anomalies[0]).toMatch(/^nonlinearizable read .* on key 0: /);
  });

  it('lays out the store: test.json, history.jsonl, results.json, logs/, latest links', async () => {
    const opts = testOptions();
    const first = await runTest(opts, fakePartsWith(), { opsPerThreadMax: 5 });
    const second = await runTest(opts, fakePartsWith(), { opsPerThreadMax: 5 });
    expect(path.dirname(second.run.dir)).toBe(path.join(opts.store, opts.name));
    for (const file of ['test.json', 'history.jsonl', 'results.json', 'logs']) expect(existsSync(path.join(second.run.dir, file))).toBe(true);
    expect(first.run.dir).not.toBe(second.run.dir);
    expect(readlinkSync(path.join(opts.store, opts.name, 'latest'))).toBe(path.basename(second.run.dir));
    expect(realpathSync(path.join(opts.store, 'latest'))).toBe(realpathSync(second.run.dir));
    const test = JSON.parse(readFileSync(second.run.testJson, 'utf8'));
    expect(test.seed).toBe(42);
    expect(test.options.concurrency).toBe(opts.concurrency);
    expect(test.model).toBe('multi-register');
    expect(test.versions.node).toBe(process.version);
    expect(test.command).toContain('--seed 42');
    const results = JSON.parse(readFileSync(second.run.resultsJson, 'utf8'));
    expect(results.valid).toBe(true);
    expect(results.stats.all.count).toBeGreaterThan(0);
  });
});

describe('determinism', () => {
  const invokesByThread = (history: readonly Op[], concurrency: number): string[][] => {
    const byThread: string[][] = Array.from({ length: concurrency }, () => []);
    for (const op of history) {
      if (op.type === 'invoke' && op.process !== 'nemesis') byThread[op.process % concurrency].push(JSON.stringify([op.f, op.key, op.value]));
    }
    return byThread;
  };

  it('the same seed gives the same generator choices per thread and the same nemesis schedule', async () => {
    const run = async (seed: number) => {
      const opts = testOptions({ seed, nemesis: ['partition', 'kill'], nemesisIntervalS: 0.2, timeLimitS: 0.5, recoveryS: 0 });
      const outcome = await runTest(opts, fakePartsWith(), { opsPerThreadMax: 20 });
      const test = JSON.parse(readFileSync(outcome.run.testJson, 'utf8'));
      return { ops: invokesByThread(await readHistory(outcome.run.historyJsonl), opts.concurrency), schedule: test.schedule };
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a.ops[0].length).toBeGreaterThanOrEqual(20);
    expect(b.ops).toEqual(a.ops);
    expect(b.schedule).toEqual(a.schedule);
    expect(a.schedule.length).toBeGreaterThan(0);
    expect(c.ops).not.toEqual(a.ops);
    expect(c.schedule).not.toEqual(a.schedule);
  });

  it('runSchedule: the seed fixes the combined schedule; a --nemesis-schedule file replaces it', () => {
    const cluster = { nodes: ['n1', 'n2', 'n3'], allNodes: ['n1', 'n2', 'n3'] };
    const opts = testOptions({ nemesis: ['partition', 'kill'], nemesisIntervalS: 1, timeLimitS: 10 });
    const a = runSchedule(opts, cluster, new SeededRng(1));
    expect(runSchedule(opts, cluster, new SeededRng(1))).toEqual(a);
    expect(runSchedule(opts, cluster, new SeededRng(2))).not.toEqual(a);
    expect(a.every((op, i) => op.atMs < 10_000 && (i === 0 || op.atMs >= a[i - 1].atMs))).toBe(true);
    const fs = a.filter((op) => op.f.endsWith('partition')).map((op) => op.f);
    fs.forEach((f, i) => expect(f).toBe(i % 2 === 0 ? 'start-partition' : 'stop-partition'));
    expect(fs.length).toBeGreaterThanOrEqual(6);
    const file = path.join(opts.store, '..', 'schedule.yaml');
    writeFileSync(file, '- at: 1s\n  do: kill\n  nodes: [n2]\n- at: 2s\n  do: start\n');
    expect(runSchedule({ ...opts, nemesisSchedule: file }, cluster, new SeededRng(1)).map((op) => [op.atMs, op.f])).toEqual([[1000, 'kill'], [2000, 'start']]);
  });
});

describe('test-count and verdicts', () => {
  it('composeVerdicts: false > unknown > true', () => {
    expect(composeVerdicts([true, true])).toBe(true);
    expect(composeVerdicts([true, 'unknown'])).toBe('unknown');
    expect(composeVerdicts(['unknown', false, true])).toBe(false);
    expect(composeVerdicts([])).toBe(true);
  });

  it('--test-count K runs seeds seed..seed+K-1', async () => {
    const opts = testOptions({ testCount: 3, seed: 100, timeLimitS: 0.2, recoveryS: 0 });
    const outcomes = await runTests(opts, fakePartsWith(), new AbortController().signal, () => undefined);
    expect(outcomes.map((o) => o.results.seed)).toEqual([100, 101, 102]);
    expect(outcomes.every((o) => o.valid === true)).toBe(true);
  });
});

describe('the final phase reads through every node', () => {
  it('with --concurrency below --nodes, extra final threads read every key on the nodes no thread used; processes stay distinct', async () => {
    const opts = testOptions({ concurrency: 2, nodes: 5 });
    const outcome = await runTest(opts, fakePartsWith(), { opsPerThreadMax: 10 });
    const history = await readHistory(outcome.run.historyJsonl);
    expectWellFormed(history);
    const final = outcome.results.phases.final!;
    const invokes = history.filter((op) => op.type === 'invoke' && op.process !== 'nemesis');
    const main = invokes.filter((op) => op.time! < final.startNs);
    expect([...new Set(main.map((op) => op.node))].sort()).toEqual(['n1', 'n2']);
    const keys = [...new Set(main.map((op) => op.key))].sort();
    for (const node of ['n1', 'n2', 'n3', 'n4', 'n5']) {
      const readOn = invokes.filter((op) => op.time! >= final.startNs && op.node === node).map((op) => op.key);
      expect([...readOn].sort()).toEqual(keys);
    }
    // After infos the five threads share one stride: process mod 5 is the thread, on node thread mod 5.
    const opened: Array<{ node: string; process: number }> = [];
    await runTest(testOptions({ concurrency: 2, nodes: 5 }), fakePartsWith({ clients: flakyClients(opened) }), { opsPerThreadMax: 10 });
    for (const { node, process: proc } of opened) expect(node).toBe(`n${(proc % 5) + 1}`);
    expect(new Set(opened.map((o) => o.process)).size).toBe(opened.length);
    expect(opened.some((o) => o.process >= 5)).toBe(true);
  });

  it('the recovery phase waits at least the Db\'s quiet period, whatever --recovery-s says', async () => {
    const opts = testOptions({ recoveryS: 0, nemesis: ['partition'], nemesisIntervalS: 0.1, timeLimitS: 0.3 });
    const parts = fakePartsWith();
    const outcome = await runTest(opts, async (o, env) => ({ ...(await parts(o, env)), quietPeriodMs: 300 }));
    const { recovery } = outcome.results.phases;
    expect(recovery!.endNs - recovery!.startNs).toBeGreaterThanOrEqual(290e6);
  });
});

describe('the final generator is declared', () => {
  /** slowClients answer txns as MemoryKvClients would not: after a delay that depends on `spread`, reads empty. */
  function delayedClients(spread: number) {
    return () => ({
      open(_node: string, proc: number): KvClientLike {
        let calls = 0;
        const answer = async (ops?: unknown): Promise<Completion> => {
          calls += 1;
          await new Promise((resolve) => setTimeout(resolve, (proc * 7 + calls * 3) % spread));
          const value = Array.isArray(ops) ? ops.map((m: unknown[]) => [m[0], m[1], m[0] === 'r' ? [] : m[2]]) : null;
          return { type: 'ok', value };
        };
        return { read: () => answer(), write: () => answer(), cas: () => answer(), txn: (ops) => answer(ops) };
      },
    });
  }

  it('reads the same keys for the same seed whatever the timing, the keys the main phase drew', async () => {
    const finalKeys = async (spread: number): Promise<{ final: number[]; main: number[] }> => {
      const opts = testOptions({ workload: 'list-append', concurrency: 3, nodes: 3, seed: 11 });
      const outcome = await runTest(opts, fakePartsWith({ clients: delayedClients(spread) }), { opsPerThreadMax: 15 });
      const history = await readHistory(outcome.run.historyJsonl);
      const final = outcome.results.phases.final!;
      const keysOf = (ops: readonly Op[]): number[] =>
        [...new Set(ops.flatMap((op) => (op.value as unknown[][]).map((m) => m[1] as number)))].sort((a, b) => a - b);
      const invokes = history.filter((op) => op.type === 'invoke' && op.process !== 'nemesis');
      return { final: keysOf(invokes.filter((op) => op.time! >= final.startNs)), main: keysOf(invokes.filter((op) => op.time! < final.startNs)) };
    };
    const fast = await finalKeys(1);
    const slow = await finalKeys(9);
    expect(fast.final.length).toBeGreaterThan(3);
    expect(slow.final).toEqual(fast.final);
    expect(fast.final).toEqual(fast.main);
  });
});
