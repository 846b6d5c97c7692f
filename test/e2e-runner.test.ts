// test/e2e-runner.test.ts — whole runs on real node processes with fixed seeds: the verdicts the lectures predict.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveOptions, type TestOptions } from '../control/config.ts';
import { localParts } from '../control/runner/parts.ts';
import { runTest, type RunOutcome } from '../control/runner/run-test.ts';
import { readHistory } from '../history/read.ts';
import { expectWellFormed, tempStore } from './runner-support.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
/** RUN_MS_MAX: each run (setup, 8-10 s of workload, recovery, final reads, check) stays under 30 s. */
const RUN_MS_MAX = 30_000;

/** run resolves an examples/ config with overrides (as flags would) and runs it on LocalCluster. */
async function run(config: string, flags: Record<string, unknown>): Promise<{ outcome: RunOutcome; opts: TestOptions }> {
  const opts = resolveOptions({ config: path.join(ROOT, 'examples', config), store: tempStore(), checkTimeout: '20', ...flags });
  const startMs = performance.now();
  const outcome = await runTest(opts, localParts());
  expect(performance.now() - startMs).toBeLessThan(RUN_MS_MAX);
  expect(outcome.results.error).toBeUndefined();
  expectWellFormed(await readHistory(outcome.run.historyJsonl));
  return { outcome, opts };
}

function nemesisFs(outcome: RunOutcome, history: Awaited<ReturnType<typeof readHistory>>): string[] {
  expect(outcome.run.historyJsonl).toBeTruthy();
  return history.filter((op) => op.process === 'nemesis' && op.type === 'info' && op.error === undefined).map((op) => op.f);
}

describe('end to end on LocalCluster', () => {
  it('raft + register under partition,kill is linearizable', async () => {
    const { outcome } = await run('test-raft-register.yaml', { timeLimit: '8', nemesisInterval: '2', seed: '11' });
    const history = await readHistory(outcome.run.historyJsonl);
    const fs = nemesisFs(outcome, history);
    expect(fs).toContain('start-partition');
    expect(fs).toContain('kill');
    // Kills may take a majority down for a while (targets majority, all): availability dips.
    expect(outcome.results.stats.all.ok, JSON.stringify(outcome.results.stats.all)).toBeGreaterThan(30);
    expect(outcome.results.anomalies).toEqual([]);
    expect(outcome.valid).toBe(true);
    expect(outcome.exitCode).toBe(0);
  }, 40_000);

  it('viewservice + register under partition is linearizable', async () => {
    const { outcome } = await run('test-viewservice-register.yaml', { timeLimit: '8', nemesisInterval: '2', seed: '12' });
    const history = await readHistory(outcome.run.historyJsonl);
    expect(nemesisFs(outcome, history)).toContain('start-partition');
    expect(outcome.results.stats.all.ok).toBeGreaterThan(100);
    expect(outcome.valid).toBe(true);
  }, 40_000);

  it('viewservice + register under the lectures\' scripted schedule (primary cut off from the view server) is linearizable', async () => {
    const schedule = path.join(ROOT, 'examples', 'primary-cut-from-viewserver.yaml');
    const { outcome } = await run('test-viewservice-register.yaml', { nemesisSchedule: schedule, timeLimit: '9', seed: '15' });
    const history = await readHistory(outcome.run.historyJsonl);
    const cut = history.find((op) => op.process === 'nemesis' && op.type === 'info' && op.f === 'start-partition');
    expect(cut?.error).toBeUndefined();
    // `primary` was resolved through /status and cut off from the view server only.
    const value = cut?.value as { primary: string; grudge: Record<string, string[]> };
    expect(value.grudge).toEqual({ [value.primary]: ['vs'], vs: [value.primary] });
    expect(outcome.valid).toBe(true);
  }, 40_000);

  it('primary-backup + register under partition is not linearizable, and the anomaly is named', async () => {
    const { outcome } = await run('test-primary-backup-register.yaml', { timeLimit: '8', nemesisInterval: '2', seed: '13' });
    expect(outcome.valid).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.results.anomalies[0]).toMatch(/^nonlinearizable (read \(stale or divergent value\)|cas) on key \d+: .*(cannot be linearized|no order of the remaining ops works after it)/);
  }, 40_000);

  it('naive + register with no faults is not linearizable (the copies diverge)', async () => {
    const { outcome } = await run('test-naive-register.yaml', { seed: '14' });
    const history = await readHistory(outcome.run.historyJsonl);
    expect(history.some((op) => op.process === 'nemesis')).toBe(false);
    expect(outcome.valid).toBe(false);
    expect(outcome.results.anomalies[0]).toMatch(/^nonlinearizable (read \(stale or divergent value\)|cas) on key \d+: .*(cannot be linearized|no order of the remaining ops works after it)/);
  }, 40_000);
});
