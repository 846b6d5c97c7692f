// test/sim-viewserver-replicas.test.ts — `--cluster sim --db viewservice --viewserver-replicas 3`: the simulator runs vs1..vs3 on Raft.
//
// The real-process schedules (test/e2e-viewserver-replicas.test.ts) replay on virtual time,
// checked the same way (test/support/viewserver-replicas-checks.ts), and a control sweep of
// random partitions, kills and pauses stays valid. The contrast: the single default view server
// `vs` under the same loss (examples/single-viewserver-stall.yaml) stalls until it is back.
import { describe, expect, it } from 'vitest';
import { runSweep, sweepExitCode } from '../control/sim/sweep.ts';
import { testOptions } from './runner-support.ts';
import { expectCutThenPause, expectKillRounds, expectSingleViewServerStall, runExample } from './support/viewserver-replicas-checks.ts';

describe('--cluster sim with a replicated view server, and the single one beside it', () => {
  it('builds vs1..vs3 beside the replicas; each killed in turn with the primary: valid, and ops complete after every failover', async () => {
    const { outcome, history, roles } = await runExample('sim', 'viewserver-replicas-kill.yaml', '21', '18');
    expect(outcome.run.dir).toBeTruthy();
    expectKillRounds(history, roles);
    expect(outcome.valid).toBe(true);
  }, 60_000);

  it('the primary cut off from vs1..vs3, then vs2 paused while the primary dies: valid, and available through both', async () => {
    const { outcome, history } = await runExample('sim', 'primary-cut-from-replicated-viewserver.yaml', '22', '13');
    expectCutThenPause(history);
    expect(outcome.valid).toBe(true);
  }, 60_000);

  it('the single default view server vs killed, then the primary: valid, no op completes until vs is back, then ops resume', async () => {
    const { outcome, history } = await runExample('sim', 'single-viewserver-stall.yaml', '23', '9', 'single');
    expect(outcome.run.dir).toBeTruthy();
    expectSingleViewServerStall(history);
    expect(outcome.valid).toBe(true);
  }, 60_000);

  it('a control sweep of 12 seeds (partition, kill, pause) is valid', async () => {
    const opts = testOptions({
      cluster: 'sim', db: 'viewservice', name: 'sim-viewserver-replicas', nodes: 3, viewserverReplicas: 3, rate: 50, concurrency: 5,
      nemesis: ['partition', 'kill', 'pause'], nemesisIntervalS: 1, timeLimitS: 3, recoveryS: 1,
    });
    const { summary } = await runSweep({ opts, seeds: Array.from({ length: 12 }, (_, i) => i + 1), seedFirst: 1, runs: 12, workers: 2 });
    expect(summary.failing).toEqual([]);
    expect(summary.counts.valid).toBe(12);
    expect(sweepExitCode(summary)).toBe(0);
  }, 120_000);
});
