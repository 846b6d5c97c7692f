// test/sim.test.ts — `--cluster sim`: a run is stored like any run and replays byte for byte; a planted bug is found; a control sweep stays valid.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { simParts } from '../control/runner/parts.ts';
import { runTest } from '../control/runner/run-test.ts';
import { simulateSeed } from '../control/sim/run-seed.ts';
import { shrinkFailure } from '../control/sim/shrink.ts';
import { shrinkAndStore } from '../control/sim/store-shrunk.ts';
import type { ReportData } from '../reports/report-data.ts';
import { runSweep, shardSeeds, mergeSummaries, sweepExitCode } from '../control/sim/sweep.ts';
import { expectWellFormed, testOptions } from './runner-support.ts';

const simOptions = (overrides: Parameters<typeof testOptions>[0] = {}) => testOptions({
  cluster: 'sim', db: 'raft', name: 'sim-raft', nodes: 3, rate: 50, concurrency: 5,
  nemesis: ['partition', 'kill'], nemesisIntervalS: 1, timeLimitS: 5, recoveryS: 1, ...overrides,
});

describe('--cluster sim', () => {
  it('stores a run like any run, marked simulated with its knobs, and the same seed replays byte for byte', async () => {
    const opts = simOptions({ seed: 3 });
    const first = await runTest(opts, simParts);
    const again = await runTest({ ...opts, store: simOptions().store }, simParts);
    const other = await runTest({ ...opts, seed: 4 }, simParts);
    const bytes = (dir: string): string => readFileSync(path.join(dir, 'history.jsonl'), 'utf8');
    expect(first.valid).toBe(true);
    expect(bytes(first.run.dir).length).toBeGreaterThan(1000);
    expect(bytes(again.run.dir)).toBe(bytes(first.run.dir));
    expect(bytes(other.run.dir)).not.toBe(bytes(first.run.dir));
    const history = bytes(first.run.dir).trim().split('\n').map((l) => JSON.parse(l));
    expectWellFormed(history);
    // The nemesis ran on virtual time too: its kills and partitions are in the history.
    expect(history.filter((op) => op.process === 'nemesis' && op.type === 'invoke').map((op) => op.f)).toEqual(expect.arrayContaining(['kill', 'start-partition']));
    const test = JSON.parse(readFileSync(path.join(first.run.dir, 'test.json'), 'utf8'));
    expect(test.simulated).toBe(true);
    expect(test.simulation.seed).toBe(3);
    expect(Object.keys(test.simulation)).toEqual(expect.arrayContaining(['lossP', 'duplicateP', 'reorderP', 'clockDriftPpm', 'fsyncLatencyMeanMs', 'linkLatency']));
    expect(test.command).toContain('--cluster sim');
    expect(test.command).toContain('--seed 3');
    // The in-memory run of a sweep is the same case: the same ops in the same order.
    const lean = await simulateSeed(opts);
    expect(lean.history.map((op) => JSON.parse(JSON.stringify(op)))).toEqual(history);
  }, 120_000);

  it('finds a planted bug (primary-backup splits its brain under partition) within 5 seeds and shrinks it', async () => {
    let found: number | undefined;
    for (let seed = 1; seed <= 5 && found === undefined; seed += 1) {
      const { outcome } = await simulateSeed(simOptions({ db: 'primary-backup', nemesis: ['partition'], seed }));
      if (outcome.valid === false) found = seed;
    }
    expect(found).toBeDefined();
    const shrunk = await shrinkFailure(simOptions({ db: 'primary-backup', nemesis: ['partition'], seed: found! }), 30);
    expect(shrunk.runs).toBeLessThanOrEqual(30);
    expect(shrunk.minimal.outcome.valid).toBe(false);
    expect(shrunk.steps.some((s) => s.kept)).toBe(true);
    expect(shrunk.minimal.outcome.opCount).toBeLessThan(shrunk.original.outcome.opCount);
    expect(shrunk.minimal.schedule.length).toBeLessThanOrEqual(shrunk.original.schedule.length);
    // The minimal case replays: the same options and schedule fail again.
    expect((await simulateSeed(shrunk.minimal.opts, { schedule: shrunk.minimal.schedule })).outcome.valid).toBe(false);
  }, 180_000);

  it('stores the minimal case beside the original, and both reports show the two side by side', async () => {
    const opts = simOptions({ db: 'primary-backup', nemesis: ['partition'], name: 'sim-shrink-report', seed: 1 });
    const original = await runTest(opts, simParts);
    expect(original.valid).toBe(false);
    const printed: string[] = [];
    const record = await shrinkAndStore(opts, original.run.dir, () => undefined, (t) => printed.push(t), 20);
    expect(record.minimal.opCount).toBeLessThan(record.original.opCount);
    const reportData = (dir: string): ReportData => {
      const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
      return JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]) as ReportData;
    };
    const [ofOriginal, ofMinimal] = [reportData(original.run.dir), reportData(record.minimal.dir)];
    expect(ofOriginal.shrink?.thisRun).toBe('original');
    expect(ofMinimal.shrink?.thisRun).toBe('minimal');
    const entries = ofOriginal.shrink!.rows.find((r) => r.measure === 'history entries')!;
    expect([Number(entries.original), Number(entries.minimal)]).toEqual([record.original.opCount, record.minimal.opCount]);
    expect(ofOriginal.shrink!.steps.length).toBe(record.steps.length);
    // Each report links to the other's.
    expect(path.resolve(original.run.dir, ofOriginal.shrink!.otherReport)).toBe(path.join(path.resolve(record.minimal.dir), 'report.html'));
    expect(path.resolve(record.minimal.dir, ofMinimal.shrink!.otherReport)).toBe(path.join(path.resolve(original.run.dir), 'report.html'));
    expect(printed.join('')).toContain('minimal case:');
  }, 180_000);

  it('a control sweep of 200 seeds (raft, log reads, partition+kill) has no false alarm; shards merge to the whole', async () => {
    const opts = simOptions({ timeLimitS: 2, recoveryS: 0.5, reads: 'log' });
    const runs = 200;
    const halves = [];
    for (const index of [1, 2]) {
      const shard = { index, count: 2 };
      halves.push((await runSweep({ opts, seeds: shardSeeds(1, runs, shard), seedFirst: 1, runs, shard, workers: 2 })).summary);
    }
    const merged = mergeSummaries(halves.map((summary, i) => ({ file: `shard${i + 1}.json`, summary })));
    expect(merged.counts.valid + merged.counts.invalid + merged.counts.unknown).toBe(runs);
    expect(merged.failing).toEqual([]);
    expect(merged.counts.valid).toBe(runs);
    expect(sweepExitCode(merged)).toBe(0);
    expect(merged.shards).toEqual(['1/2', '2/2']);
  }, 300_000);
});
