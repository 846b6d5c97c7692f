// test/runner-support.ts — shared helpers for the runner tests: options, fake parts, history checks.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import { DEFAULTS, type TestOptions } from '../control/config.ts';
import { FakeCluster, MemoryKvClients } from '../control/runner/fake-cluster.ts';
import type { ClientFactory } from '../control/runner/interpreter.ts';
import { ClusterNemesis } from '../control/runner/nemesis-driver.ts';
import type { PartsFactory, RunnerParts } from '../control/runner/run-test.ts';
import type { Op } from '../history/op.ts';

const tempDirs: string[] = [];

/** tempStore makes a fresh store directory under the OS temp dir (removed after the file's tests). */
export function tempStore(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runner-test-'));
  tempDirs.push(dir);
  return path.join(dir, 'store');
}

// Every test file that imports this module removes its temp stores when it is done.
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** testOptions: short fake-cluster options for in-process runs. */
export function testOptions(overrides: Partial<TestOptions> = {}): TestOptions {
  return {
    ...DEFAULTS,
    name: 'fake-register',
    seed: 42,
    cluster: 'fake',
    store: tempStore(),
    timeLimitS: 1,
    recoveryS: 0.05,
    rate: 0,
    nemesis: [],
    ...overrides,
  };
}

/** fakePartsWith builds in-memory parts; `clients` replaces the memory KV when given. */
export function fakePartsWith(opts: { clients?: (cluster: FakeCluster) => ClientFactory; onParts?: (p: RunnerParts & { cluster: FakeCluster }) => void } = {}): PartsFactory {
  return async (options, env) => {
    const cluster = new FakeCluster({ nodeCount: options.nodes });
    const parts = {
      cluster,
      clients: opts.clients?.(cluster) ?? new MemoryKvClients(cluster, 0),
      nemesis: new ClusterNemesis(cluster, env.nemesisRng),
    };
    opts.onParts?.(parts);
    return parts;
  };
}

/**
 * expectWellFormed asserts the history contract: dense indexes, non-decreasing times, one op
 * in flight per process, every invoke completed, no process invoking after an info.
 */
export function expectWellFormed(history: readonly Op[]): void {
  const open = new Map<string, Op>();
  const retired = new Set<string>();
  let lastTime = -1;
  history.forEach((op, i) => {
    expect(op.index).toBe(i);
    expect(op.time).toBeGreaterThanOrEqual(lastTime);
    lastTime = op.time ?? lastTime;
    const proc = String(op.process);
    if (op.type === 'invoke') {
      expect(open.has(proc), `process ${proc} invoked twice at ${i}`).toBe(false);
      expect(retired.has(proc), `process ${proc} invoked after an info at ${i}`).toBe(false);
      open.set(proc, op);
      return;
    }
    const invoke = open.get(proc);
    expect(invoke, `completion without invoke at ${i}`).toBeDefined();
    expect(op.f).toBe(invoke?.f);
    expect(op.key).toEqual(invoke?.key);
    open.delete(proc);
    if (op.type === 'info' && op.process !== 'nemesis') retired.add(proc);
  });
  expect([...open.keys()], 'ops never completed').toEqual([]);
}
