// test/sim-reactive.test.ts — the reactive nemesis (--sim-react): a fault timed to a vote exposes raft no-persist-vote, which timed schedules miss; correct raft stays valid under it.
import { describe, expect, it } from 'vitest';
import { simulateSeed } from '../control/sim/run-seed.ts';
import { testOptions } from './runner-support.ts';

/** The zoo entry raft-no-persist-vote (examples/bug-zoo.yaml), 30 virtual seconds. */
const reactive = (overrides: Parameters<typeof testOptions>[0] = {}) => testOptions({
  cluster: 'sim', db: 'raft', name: 'sim-reactive', nodes: 5, rate: 200, concurrency: 10,
  nemesis: ['partition', 'kill'], nemesisIntervalS: 1, timeLimitS: 30, recoveryS: 3,
  simReact: ['crash-after-vote', 'split-rival-leaders'], ...overrides,
});

describe('--sim-react', () => {
  it('catches raft no-persist-vote within 3 seeds, replays the catch exactly, and leaves correct raft valid on the same seeds', async () => {
    let caught: number | null = null;
    for (let seed = 1; seed <= 3 && caught === null; seed += 1) {
      const run = await simulateSeed(reactive({ seed, bugs: ['no-persist-vote'] }));
      expect(run.outcome.error).toBeUndefined();
      if (run.outcome.valid === false) caught = seed;
    }
    expect(caught).not.toBeNull();
    const again = await simulateSeed(reactive({ seed: caught!, bugs: ['no-persist-vote'] }));
    const first = await simulateSeed(reactive({ seed: caught!, bugs: ['no-persist-vote'] }));
    expect(JSON.stringify(again.history)).toBe(JSON.stringify(first.history));
    // Controls: the same reactions against correct raft are legal faults (crash, slow links), so the runs stay valid.
    for (let seed = 1; seed <= caught!; seed += 1) {
      const control = await simulateSeed(reactive({ seed }));
      expect(control.outcome.valid, `control seed ${seed}: ${control.outcome.anomalies[0] ?? control.outcome.error ?? ''}`).toBe(true);
    }
  }, 120_000);
});
