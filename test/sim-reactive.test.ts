// test/sim-reactive.test.ts — the reactive nemesis (--sim-react): a fault timed to a vote exposes raft no-persist-vote, which timed schedules miss; correct raft stays valid under it.
import { describe, it } from 'vitest';
import { testOptions } from './runner-support.ts';
import { expectCaughtAndReplayed, expectControlsValid } from './support/sim-catch.ts';

/** The reactions of the zoo control control-raft-log-reactive (examples/bug-zoo.yaml; the raft-no-persist-vote entry's before revote-after-crash), 30 virtual seconds. */
const reactive = (overrides: Parameters<typeof testOptions>[0] = {}) => testOptions({
  cluster: 'sim', db: 'raft', name: 'sim-reactive', nodes: 5, rate: 200, concurrency: 10,
  nemesis: ['partition', 'kill'], nemesisIntervalS: 1, timeLimitS: 30, recoveryS: 3,
  simReact: ['crash-after-vote', 'split-rival-leaders'], ...overrides,
});

describe('--sim-react', () => {
  it('catches raft no-persist-vote within 3 seeds, replays the catch exactly, and leaves correct raft valid on the same seeds', async () => {
    const { seed } = await expectCaughtAndReplayed((s) => reactive({ seed: s, bugs: ['no-persist-vote'] }), 3);
    // Controls: the same reactions against correct raft are legal faults (crash, slow links), so the runs stay valid.
    await expectControlsValid((s) => reactive({ seed: s }), seed);
  }, 120_000);
});
