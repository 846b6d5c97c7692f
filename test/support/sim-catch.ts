// test/support/sim-catch.ts — the shape every planted-bug test on --cluster sim shares: caught within a few seeds, replayed exactly, the control valid on the same seeds.
import { expect } from 'vitest';
import type { TestOptions } from '../../control/config.ts';
import { simulateSeed, type SeedRun } from '../../control/sim/run-seed.ts';

/** SimCatch: the bug's run of the first catching seed (with its first detection) and that seed. */
export interface SimCatch {
  seed: number;
  run: SeedRun;
}

/**
 * expectCaughtAndReplayed runs `bugged(seed)` for seeds 1..seedsMax until one is invalid (no
 * run may error), runs that seed once more, searching the first detection, and expects the
 * same history and anomalies as the search's run, byte for byte.
 */
export async function expectCaughtAndReplayed(bugged: (seed: number) => TestOptions, seedsMax: number): Promise<SimCatch> {
  let caught: SimCatch | null = null;
  for (let seed = 1; seed <= seedsMax && caught === null; seed += 1) {
    const run = await simulateSeed(bugged(seed));
    expect(run.outcome.error).toBeUndefined();
    if (run.outcome.valid === false) caught = { seed, run };
  }
  expect(caught, `no seed of 1..${seedsMax} caught the bug`).not.toBeNull();
  const { seed, run: searched } = caught!;
  const replay = await simulateSeed(bugged(seed), { firstDetection: true });
  expect(JSON.stringify(replay.history)).toBe(JSON.stringify(searched.history));
  expect(replay.outcome.anomalies).toEqual(searched.outcome.anomalies);
  return { seed, run: replay };
}

/**
 * expectControlsValid: `control(seed)` (the same faults, no bug) is valid on seeds 1..seedLast;
 * with `staged`, each seed also carried a staging through to its last step, so a staging that
 * stopped short (and so tested nothing) does not pass as valid.
 */
export async function expectControlsValid(control: (seed: number) => TestOptions, seedLast: number, how: { staged?: boolean } = {}): Promise<void> {
  for (let seed = 1; seed <= seedLast; seed += 1) {
    const run = await simulateSeed(control(seed));
    expect(run.outcome.valid, `control seed ${seed}: ${run.outcome.anomalies[0] ?? run.outcome.error ?? ''}`).toBe(true);
    if (how.staged === true) expect(run.stagings, `control seed ${seed}: no staging reached its last step`).toBeGreaterThanOrEqual(1);
  }
}
