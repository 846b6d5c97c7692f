// test/sim-figure8.test.ts — raft commit-old-term (Raft Figure 8) on --cluster sim: the figure8 reaction stages the overwrite, the safety oracle reports it, a stored run and its report carry it; correct raft stays valid.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { simParts } from '../control/runner/parts.ts';
import { runTest } from '../control/runner/run-test.ts';
import { collectCheckers } from '../reports/checker-results.ts';
import { testOptions } from './runner-support.ts';
import { expectCaughtAndReplayed, expectControlsValid } from './support/sim-catch.ts';

/** The zoo entry raft-commit-old-term (examples/bug-zoo.yaml), 10 virtual seconds. */
const figure8 = (overrides: Parameters<typeof testOptions>[0] = {}) => testOptions({
  cluster: 'sim', db: 'raft', name: 'sim-figure8', nodes: 5, rate: 200, concurrency: 10,
  nemesis: [], timeLimitS: 10, recoveryS: 2, simReact: ['figure8'], ...overrides,
});

/** ORACLE_ANOMALY: what the oracle says of an overwritten entry, naming nodes, index and virtual times. */
const ORACLE_ANOMALY = /^(Leader Completeness: n\d won term \d+ at [\d.]+ ms holding .+ at index \d+, where n\d had applied .+ at [\d.]+ ms|State Machine Safety: n\d applied .+ at index \d+ in term \d+ at [\d.]+ ms; n\d had applied .+ there at [\d.]+ ms)$/;

describe('--sim-react figure8 and the raft safety oracle', () => {
  it('catches commit-old-term within 3 seeds by the oracle, replays the catch exactly, and leaves correct raft valid on the same seeds', async () => {
    const { seed, run: first } = await expectCaughtAndReplayed((s) => figure8({ seed: s, bugs: ['commit-old-term'] }), 3);
    expect(first.outcome.anomalies.some((a) => ORACLE_ANOMALY.test(a))).toBe(true);
    // The oracle sees the overwrite as it happens, within the run's first seconds.
    expect(first.outcome.firstDetection?.atMs).toBeLessThan(10_000);
    await expectControlsValid((s) => figure8({ seed: s }), seed);
  }, 180_000);

  it('stores the oracle as a checker result of the run: invalid in results.json, a verdict row of the report, kept by the report', async () => {
    const outcome = await runTest(figure8({ seed: 1, bugs: ['commit-old-term'] }), simParts);
    expect(outcome.valid).toBe(false);
    const results = JSON.parse(readFileSync(path.join(outcome.run.dir, 'results.json'), 'utf8'));
    expect(results.oracle.kind).toBe('safety-oracle');
    expect(results.oracle.valid).toBe(false);
    expect(results.oracle.violations[0].atMs).toBeGreaterThan(0);
    expect(results.anomalies).toEqual(expect.arrayContaining(results.oracle.anomalies));
    const rows = collectCheckers(results).verdicts;
    const row = rows.find((r) => r.path === 'oracle');
    expect(row?.valid).toBe(false);
    expect(row?.summary).toMatch(/^raft safety oracle: (Leader Completeness|State Machine Safety): /);
    expect(readFileSync(path.join(outcome.run.dir, 'report.html'), 'utf8')).toContain('raft safety oracle');
    // Correct raft on the same seed: the oracle watched and saw nothing.
    const control = await runTest(figure8({ seed: 1 }), simParts);
    expect(control.valid).toBe(true);
    const controlResults = JSON.parse(readFileSync(path.join(control.run.dir, 'results.json'), 'utf8'));
    expect(controlResults.oracle).toMatchObject({ kind: 'safety-oracle', valid: true, violations: [] });
  }, 180_000);
});
