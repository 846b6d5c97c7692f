// history/position-runs.test.ts — runs give back exactly the values pushed, counting up or not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PositionRuns } from './position-runs.ts';

function filled(values: readonly number[]): PositionRuns {
  const runs = new PositionRuns();
  for (const value of values) runs.push(value);
  return runs;
}

describe('PositionRuns', () => {
  it('gives back every value of a sequence that counts up, with gaps (blank lines), and nothing outside it', () => {
    const values = [1, 2, 3, 5, 6, 10, 11, 12, 13];
    const runs = filled(values);
    expect(runs.count).toBe(values.length);
    expect(values.map((_, position) => runs.at(position))).toStrictEqual(values);
    expect([-1, values.length, 0.5, NaN].map((position) => runs.at(position))).toStrictEqual([undefined, undefined, undefined, undefined]);
  });

  it('falls back to a dense array for a sequence that never counts up, and keeps pushing there', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 3 * i : 7 + i * i));
    const runs = filled(values);
    runs.push(42);
    expect([...values, 42].map((_, position) => runs.at(position))).toStrictEqual([...values, 42]);
  });

  it('agrees with an array on random sequences of lines and indexes', () => {
    const step = fc.oneof(fc.constant(1), fc.constant(1), fc.integer({ min: 2, max: 5 }), fc.double({ min: 0.5, max: 1e9, noNaN: true }));
    fc.assert(fc.property(fc.array(step, { maxLength: 400 }), (steps) => {
      const values: number[] = [];
      let value = 0;
      for (const s of steps) values.push((value += s));
      const runs = filled(values);
      expect(values.map((_, position) => runs.at(position))).toStrictEqual(values);
    }), { numRuns: 300 });
  });
});
