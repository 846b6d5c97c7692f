// test/e2e-viewserver-replicas.test.ts — a replicated view server on real node processes: valid and available past its faults.
//
// `--db viewservice --viewserver-replicas 3` runs view-server nodes vs1..vs3 whose table of views
// is committed through Raft. Under the kill of each view-server node in turn (with the primary
// killed while one is down), and under the worst-case partition of the primary from every
// view-server node followed by the pause of one while the primary dies, the history must be
// linearizable and ops must complete through every fault (test/support/viewserver-replicas-checks.ts;
// the same schedules on the simulator: test/sim-viewserver-replicas.test.ts).
import { describe, expect, it } from 'vitest';
import { expectCutThenPause, expectKillRounds, runExample } from './support/viewserver-replicas-checks.ts';

// The kill schedule ends at 16.5 s; --time-limit 22 keeps clients running if slow restarts (seconds
// each under load) push its last round later, so that round still has ops to show.
describe('viewservice with a replicated view server (3 nodes on Raft), on real processes', () => {
  it('each view-server node killed in turn, the primary killed meanwhile: valid, and ops complete after every failover', async () => {
    const { outcome, history, roles } = await runExample('local', 'viewserver-replicas-kill.yaml', '21', '22');
    expectKillRounds(history, roles);
    expect(outcome.results.anomalies).toEqual([]);
    expect(outcome.valid).toBe(true);
  }, 120_000);

  it('the primary cut off from every view-server node, then one paused while the primary dies: valid, and available through both', async () => {
    const { outcome, history } = await runExample('local', 'primary-cut-from-replicated-viewserver.yaml', '22', '13');
    expectCutThenPause(history);
    expect(outcome.results.anomalies).toEqual([]);
    expect(outcome.valid).toBe(true);
  }, 120_000);
});
