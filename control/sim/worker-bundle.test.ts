// control/sim/worker-bundle.test.ts — the sweep worker's bundle loads no real backend: what it imports at start names no dockerode, ssh2 or DB client.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../config.ts';
import { simulateSeed } from './run-seed.ts';
import { runSweep, shardSeeds } from './sweep.ts';
import { simWorkerBundle } from './worker-bundle.ts';

/** staticImports: the specifiers a bundled file imports statically (esbuild writes them one per line, double-quoted). */
function staticImports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)";/gm), ...text.matchAll(/^import\s+"([^"]+)";/gm)].map((m) => m[1]);
}

/** loadedAtStart: every bundle file and package a worker evaluates before its first seed (the static import closure). */
function loadedAtStart(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const stack = [entry];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    files.push(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) stack.push(path.resolve(path.dirname(file), spec));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  }
  return { files, packages };
}

describe('the sim sweep worker bundle', () => {
  const { file, inputs } = simWorkerBundle();

  it('is built from the worker entry and the simulator, not from tests', () => {
    expect(fs.existsSync(file)).toBe(true);
    expect(inputs).toContain('control/sim/sweep-worker.ts');
    expect(inputs).toContain('cluster/sim/sim-cluster.ts');
    expect(inputs).toContain('rsm/raft/core.ts');
    expect(inputs.filter((rel) => rel.endsWith('.test.ts'))).toEqual([]);
  });

  it('loads none of the real backends\u2019 packages at start (they sit in chunks only their dynamic import reaches)', () => {
    const { files, packages } = loadedAtStart(file);
    expect(files.length).toBeGreaterThan(1);
    for (const pkg of ['dockerode', 'ssh2', 'pg', 'ioredis', 'etcd3']) expect(packages.has(pkg), pkg).toBe(false);
    // The docker and ssh clusters are in the bundle all the same, behind their import().
    const chunks = fs.readdirSync(path.join(path.dirname(file), '..', '..', 'chunks'));
    expect(chunks.some((c) => c.startsWith('docker-cluster-'))).toBe(true);
    expect(chunks.some((c) => c.startsWith('ssh-cluster-'))).toBe(true);
  });

  it('runs a seed as this process does: the same outcome in the bundled worker as through tsx here', async () => {
    const opts = resolveOptions({ cluster: 'sim', db: 'raft', nodes: 5, workload: 'register', nemesis: 'partition,kill', timeLimit: 10, seed: 1 });
    const { outcomes } = await runSweep({ opts, seeds: shardSeeds(1, 4), seedFirst: 1, runs: 4, workers: 1 });
    expect(outcomes.map((o) => o.seed)).toEqual([1, 2, 3, 4]);
    for (const o of outcomes) {
      const { outcome } = await simulateSeed({ ...opts, seed: o.seed, testCount: 1 });
      const { wallMs: _a, ...inWorker } = o;
      const { wallMs: _b, ...here } = outcome;
      expect(inWorker).toEqual(here);
      expect(here.opCount).toBeGreaterThan(100);
    }
  });
});
