// test/e2e-elle.test.ts — list-append and rw-register on real node processes with fixed seeds, checked by Elle.
import { describe, expect, it } from 'vitest';
import { reproduceCommand, resolveOptions } from '../control/config.ts';
import { UsageError } from '../control/exit-codes.ts';
import { localParts } from '../control/runner/parts.ts';
import { runTest, type RunOutcome } from '../control/runner/run-test.ts';
import { readHistory } from '../history/read.ts';
import type { ElleWorkloadResult } from '../workloads/elle-check.ts';
import { expectWellFormed, tempStore } from './runner-support.ts';

/** RUN_MS_MAX: each run (setup, 5-6 s of workload, recovery, final reads, check) stays under 30 s. */
const RUN_MS_MAX = 30_000;

/** run resolves flags as the CLI would and runs them on LocalCluster. */
async function run(flags: Record<string, unknown>): Promise<{ outcome: RunOutcome; result: ElleWorkloadResult }> {
  const opts = resolveOptions({ store: tempStore(), checkTimeout: '20', concurrency: '5', rate: '50', nemesisInterval: '2', recoveryS: '2', ...flags });
  const startMs = performance.now();
  const outcome = await runTest(opts, localParts());
  expect(performance.now() - startMs).toBeLessThan(RUN_MS_MAX);
  expect(outcome.results.error).toBeUndefined();
  expectWellFormed(await readHistory(outcome.run.historyJsonl));
  return { outcome, result: outcome.results.checker as ElleWorkloadResult };
}

async function faultsInjected(outcome: RunOutcome): Promise<Set<string>> {
  const history = await readHistory(outcome.run.historyJsonl);
  return new Set(history.filter((op) => op.process === 'nemesis' && op.type === 'info' && op.error === undefined).map((op) => op.f));
}

describe('txn workload options', () => {
  it('validates --consistency-model and the generator knobs, and replays them', () => {
    const opts = resolveOptions({ workload: 'list-append', consistencyModel: 'PL-3', keyDistribution: 'uniform', txnLengthMin: '2', txnLengthMax: '5', writesPerKeyMax: '8', seed: '1' });
    expect(opts).toMatchObject({ consistencyModel: 'PL-3', keyDistribution: 'uniform', txnLengthMin: 2, txnLengthMax: 5, writesPerKeyMax: 8 });
    expect(reproduceCommand(opts)).toContain('--consistency-model PL-3 --key-distribution uniform --txn-length-min 2 --txn-length-max 5 --writes-per-key-max 8');
    expect(() => resolveOptions({ consistencyModel: 'bogus' })).toThrow(UsageError);
    expect(() => resolveOptions({ consistencyModel: 'bogus' })).toThrow(/--consistency-model: expected one of .*strict-serializable/);
    expect(() => resolveOptions({ txnLengthMin: '4', txnLengthMax: '2' })).toThrow(/--txn-length-max: expected at least --txn-length-min \(4\)/);
    expect(() => resolveOptions({ keyDistribution: 'zipf' })).toThrow(/--key-distribution: expected uniform or exponential/);
  });
});

describe('Elle workloads end to end on LocalCluster', () => {
  it('raft + list-append under partition,kill is strict-serializable', async () => {
    const { outcome, result } = await run({ db: 'raft', workload: 'list-append', nemesis: 'partition,kill', nemesisInterval: '1.5', timeLimit: '6', seed: '21' });
    const faults = await faultsInjected(outcome);
    expect(faults).toContain('start-partition');
    expect(faults).toContain('kill');
    expect(result.elle.workload).toBe('list-append');
    expect(result.elle.consistencyModel).toBe('strict-serializable');
    // Enough committed txns that dependency edges exist to be checked.
    expect(result.elle.okCount).toBeGreaterThan(50);
    expect(result.elle.edgeCount).toBeGreaterThan(100);
    expect(result.elle.anomalyTypes).toEqual([]);
    expect(outcome.results.anomalies).toEqual([]);
    expect(outcome.valid).toBe(true);
    expect(outcome.exitCode).toBe(0);
  }, 40_000);

  it('raft + rw-register under partition is strict-serializable', async () => {
    const { outcome, result } = await run({ db: 'raft', workload: 'rw-register', nemesis: 'partition', timeLimit: '5', seed: '23' });
    expect(await faultsInjected(outcome)).toContain('start-partition');
    expect(result.elle.workload).toBe('rw-register');
    expect(result.elle.okCount).toBeGreaterThan(50);
    expect(result.elle.anomalyTypes).toEqual([]);
    expect(outcome.valid).toBe(true);
  }, 40_000);

  it('naive + list-append with clients beside their copies shows named anomalies', async () => {
    const { outcome, result } = await run({
      db: 'naive', workload: 'list-append', nemesis: 'none', partitionClients: true, nodes: '2', concurrency: '20', rate: '0',
      keyCount: '3', timeLimit: '4', recoveryS: '1', seed: '22', consistencyModel: 'serializable',
    });
    expect(outcome.valid).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect(result.elle.consistencyModel).toBe('serializable');
    expect(result.elle.forbiddenTypes.length).toBeGreaterThan(0);
    expect(result.elle.notModels.length).toBeGreaterThan(0);
    // One line per forbidden type, each starting with the type's name and the keys involved.
    expect(outcome.results.anomalies).toHaveLength(result.elle.forbiddenTypes.length);
    for (const [i, type] of result.elle.forbiddenTypes.entries()) {
      expect(outcome.results.anomalies[i].startsWith(`${type} on key`), outcome.results.anomalies[i]).toBe(true);
    }
    // Every kept example carries an explanation a person can follow.
    for (const anomaly of result.elle.anomalies) expect(anomaly.explanation.length).toBeGreaterThan(20);
  }, 40_000);
});
