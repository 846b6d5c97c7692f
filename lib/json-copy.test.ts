// lib/json-copy.test.ts — jsonCopy is the JSON round trip: equal results on any value, and no object shared with the input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonCopy } from './json-copy.ts';

/** holed: the array with a hole at `index`. */
function holed(items: unknown[], index: number): unknown[] {
  const out = [...items];
  delete out[index];
  return out;
}

const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** sharesObject: some object or array of `copy` is one of `original`'s (by reference). */
function sharesObject(original: unknown, copy: unknown): boolean {
  const seen = new Set<unknown>();
  const stack = [original];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'object' && v !== null && !seen.has(v)) {
      seen.add(v);
      stack.push(...Object.values(v));
    }
  }
  const out = [copy];
  while (out.length > 0) {
    const v = out.pop();
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return true;
      out.push(...Object.values(v));
    }
  }
  return false;
}

describe('jsonCopy', () => {
  it('equals JSON.parse(JSON.stringify(v)) on arbitrary values, key order included, sharing nothing', () => {
    fc.assert(fc.property(fc.anything({ withNullPrototype: true, withObjectString: true, withBoxedValues: true, withSparseArray: true }), (v) => {
      let expected: unknown;
      try {
        expected = roundTrip(v);
      } catch {
        expect(() => jsonCopy(v)).toThrow();
        return;
      }
      const copy = jsonCopy(v);
      expect(JSON.stringify(copy)).toBe(JSON.stringify(expected));
      expect(copy).toEqual(expected);
      expect(sharesObject(v, copy)).toBe(false);
    }), { numRuns: 2000 });
  });

  it('follows JSON where plain data ends: -0, NaN, undefined, holes, dates, toJSON, integer-like keys', () => {
    const cases: unknown[] = [
      -0, NaN, Infinity, [undefined, 1], { a: undefined, b: 1 }, holed([1, 2, 3], 1), new Date(0), { toJSON: () => 'x' },
      { b: 1, 2: 'two', a: 2, 1: 'one' }, JSON.parse('{"__proto__": {"x": 1}, "y": 2}'), Object.freeze({ k: [Object.freeze({ v: 1 })] }), 'text', null, true,
    ];
    for (const v of cases) expect(JSON.stringify(jsonCopy(v))).toBe(JSON.stringify(roundTrip(v)));
    expect(Object.is(jsonCopy(-0), 0)).toBe(true);
    expect(Object.keys(jsonCopy(JSON.parse('{"__proto__": {"x": 1}}')) as object)).toEqual(['__proto__']);
    expect(Object.isFrozen(jsonCopy(Object.freeze({ a: 1 })))).toBe(false);
  });

  it('throws where JSON.stringify does', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => jsonCopy(cycle)).toThrow();
    expect(() => jsonCopy({ n: 1n })).toThrow();
  });
});
