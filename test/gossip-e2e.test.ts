// test/gossip-e2e.test.ts — --db gossip end to end: not linearizable yet converged; with no-anti-entropy, not converged.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConvergenceResult } from '../checker/convergence/index.ts';
import { resolveOptions } from '../control/config.ts';
import { createRsmDb } from '../db/rsm.ts';
import { TICK_MS_DEFAULT } from '../rsm/core/support.ts';
import { GOSSIP_INTERVAL_TICKS_DEFAULT, QUIET_ROUNDS_PER_REPLICA } from '../rsm/gossip/options.ts';
import { localParts, simParts } from '../control/runner/parts.ts';
import { runTest, type RunOutcome } from '../control/runner/run-test.ts';
import { readHistory } from '../history/read.ts';
import { expectWellFormed, tempStore, testOptions } from './runner-support.ts';

/** RUN_MS_MAX: a hang, not slowness (2 shared cores). */
const RUN_MS_MAX = 60_000;

interface RegisterResults {
  checker: { valid: unknown; anomalies: string[]; linearizable: { valid: unknown }; convergence: ConvergenceResult };
}

async function checked(outcome: RunOutcome): Promise<{ results: RegisterResults; report: string }> {
  expect(outcome.results.error).toBeUndefined();
  expectWellFormed(await readHistory(outcome.run.historyJsonl));
  const results = JSON.parse(readFileSync(path.join(outcome.run.dir, 'results.json'), 'utf8')) as RegisterResults;
  return { results, report: readFileSync(path.join(outcome.run.dir, 'report.html'), 'utf8') };
}

const simOptions = (overrides: Parameters<typeof testOptions>[0]) => testOptions({
  cluster: 'sim', db: 'gossip', workload: 'register', name: 'sim-gossip', nodes: 3, rate: 50, concurrency: 6,
  nemesisIntervalS: 1, timeLimitS: 6, recoveryS: 2, ...overrides,
});

describe('--db gossip', () => {
  it('on real processes under partitions: linearizability INVALID with named stale reads, yet converged; the report says both', async () => {
    const opts = resolveOptions({
      store: tempStore(), db: 'gossip', workload: 'register', nemesis: 'partition', checkTimeout: '20',
      concurrency: '6', rate: '50', nemesisInterval: '1.5', recoveryS: '2', timeLimit: '6', seed: '1',
    });
    const startMs = performance.now();
    const outcome = await runTest(opts, localParts());
    expect(performance.now() - startMs).toBeLessThan(RUN_MS_MAX);
    const { results, report } = await checked(outcome);
    const c = results.checker;
    expect(c.linearizable.valid).toBe(false);
    expect(c.anomalies.some((a) => a.startsWith('nonlinearizable read (stale or divergent value) on key'))).toBe(true);
    expect(c.convergence.valid).toBe(true);
    expect(c.convergence.nodes).toEqual(['n1', 'n2', 'n3']);
    expect(c.convergence.missingFinalReads).toEqual([]);
    expect(c.convergence.staleReads.count).toBeGreaterThan(0);
    expect(c.convergence.staleReads.staleMsMax).toBeGreaterThan(0);
    expect(report).toContain('Not linearizable, but converged');
  }, 90_000);

  it('simulated, partitions and kills, 5 replicas and only 2 client threads: every replica read at the end, converged (the control for the bug below)', async () => {
    const outcome = await runTest(simOptions({ nemesis: ['partition', 'kill'], seed: 7, nodes: 5, concurrency: 2 }), simParts);
    const { results } = await checked(outcome);
    expect(results.checker.linearizable.valid).toBe(false);
    expect(results.checker.convergence.valid).toBe(true);
    expect(results.checker.convergence.nodes).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(results.checker.convergence.missingFinalReads).toEqual([]);
    expect(results.checker.convergence.staleReads.count).toBeGreaterThan(0);
  }, 90_000);

  it('the quiet period after the heal is rounds of anti-entropy: it grows with the replicas and the gossip interval', () => {
    const quiet = (nodeCount: number, options?: Record<string, string>) => createRsmDb({ protocol: 'gossip', nodeCount, options }).quietPeriodMs!;
    expect(quiet(5)).toBe(QUIET_ROUNDS_PER_REPLICA * 5 * GOSSIP_INTERVAL_TICKS_DEFAULT * TICK_MS_DEFAULT);
    expect(quiet(5, { gossipIntervalTicks: '20' })).toBe(4 * quiet(5));
    expect(createRsmDb({ protocol: 'raft', nodeCount: 5 }).quietPeriodMs).toBeUndefined();
  });

  it('simulated with --bug no-anti-entropy: convergence fails, naming the key and the replicas that disagree', async () => {
    const outcome = await runTest(simOptions({ nemesis: ['partition'], bugs: ['no-anti-entropy'], seed: 7 }), simParts);
    const { results, report } = await checked(outcome);
    const c = results.checker.convergence;
    expect(c.valid).toBe(false);
    expect(results.checker.valid).toBe(false);
    expect(c.anomalies[0]).toMatch(/^replicas did not converge on \d+ key\(s\): key \d+ final reads n\d=/);
    expect(c.lostWrites.length).toBeGreaterThan(0);
    expect(report).toContain('Did not converge');
  }, 90_000);
});
