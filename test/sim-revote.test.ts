// test/sim-revote.test.ts — raft no-persist-vote on --cluster sim: the revote-after-crash reaction makes a restarted voter vote twice in a term, the safety oracle reports the two leaders; correct raft stays valid under the same staging.
import { describe, expect, it } from 'vitest';
import { simulateSeed } from '../control/sim/run-seed.ts';
import { testOptions } from './runner-support.ts';
import { expectCaughtAndReplayed, expectControlsValid } from './support/sim-catch.ts';

/** The zoo entry raft-no-persist-vote (examples/bug-zoo.yaml), 5 virtual seconds: the first staging starts at 1 s. */
const revote = (overrides: Parameters<typeof testOptions>[0] = {}) => testOptions({
  cluster: 'sim', db: 'raft', name: 'sim-revote', nodes: 5, rate: 200, concurrency: 10,
  nemesis: [], timeLimitS: 5, recoveryS: 2, simReact: ['revote-after-crash'], ...overrides,
});

/** ELECTION_SAFETY: what the oracle says of two leaders of one term. */
const ELECTION_SAFETY = /^Election Safety: n\d and n\d both led term \d+$/;

describe('--sim-react revote-after-crash', () => {
  it('catches raft no-persist-vote within 3 seeds by Election Safety, replays the catch exactly, and leaves correct raft valid on the same seeds', async () => {
    const { seed, run } = await expectCaughtAndReplayed((s) => revote({ seed: s, bugs: ['no-persist-vote'] }), 3);
    expect(run.outcome.anomalies.some((a) => ELECTION_SAFETY.test(a))).toBe(true);
    // The first staging takes a few election timeouts after its start at 1 s.
    expect(run.outcome.firstDetection?.atMs).toBeLessThan(5_000);
    // The staging's faults (an isolation, crashes, restarts) are legal, and a durable vote is refused a second time.
    await expectControlsValid((s) => revote({ seed: s }), Math.max(seed, 2), { staged: true });
  }, 120_000);

  it('stages on a 3-node cluster too (no voters to keep down): caught on seed 1', async () => {
    const run = await simulateSeed(revote({ seed: 1, nodes: 3, bugs: ['no-persist-vote'] }));
    expect(run.outcome.anomalies.some((a) => ELECTION_SAFETY.test(a))).toBe(true);
  }, 60_000);
});
