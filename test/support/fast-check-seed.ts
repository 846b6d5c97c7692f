// test/support/fast-check-seed.ts — every property test starts from one fixed seed, so a CI
// failure replays exactly; FC_SEED=N picks another, FC_SEED=random explores (fast-check prints
// the seed and path of any counterexample it finds).
import fc from 'fast-check';

const raw = process.env.FC_SEED ?? '1';
if (raw !== 'random') {
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED: expected an integer or "random", got ${JSON.stringify(raw)}`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
