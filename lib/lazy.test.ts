import { describe, expect, it } from 'vitest';
import { defineLazy } from './lazy.ts';

describe('defineLazy', () => {
  it('computes once, on first read, and then behaves as a plain property', () => {
    let calls = 0;
    const obj: { n: number; list?: number[] } = { n: 1 };
    defineLazy(obj, 'list', () => {
      calls++;
      return [obj.n, 2];
    });
    expect(calls).toBe(0);
    obj.n = 7;
    expect(obj.list).toEqual([7, 2]);
    expect(obj.list).toBe(obj.list);
    expect(calls).toBe(1);
    expect(Object.getOwnPropertyDescriptor(obj, 'list')?.value).toEqual([7, 2]);
  });

  it('is seen by JSON.stringify, spread and structuredClone, and can be assigned', () => {
    const make = () => {
      const obj: { a: number; b?: string } = { a: 1 };
      defineLazy(obj, 'b', () => 'built');
      return obj;
    };
    expect(JSON.stringify(make())).toBe('{"a":1,"b":"built"}');
    expect({ ...make() }).toEqual({ a: 1, b: 'built' });
    expect(structuredClone(make())).toEqual({ a: 1, b: 'built' });
    const assigned = make();
    assigned.b = 'set';
    expect(assigned.b).toBe('set');
    expect(Object.keys(assigned)).toEqual(['a', 'b']);
  });
});
