import { describe, expect, it } from 'vitest';
import { freezeDeep } from './immutable.ts';

describe('freezeDeep (the aliasing guard of messages shared by reference)', () => {
  it('makes nested objects and arrays immutable, so a core that mutates a shared message throws', () => {
    const msg = freezeDeep({ type: 'append', entries: [{ term: 1, cmd: { op: 'write', value: 3 } }] });
    expect(() => {
      (msg.entries[0].cmd as { value: number }).value = 4;
    }).toThrow(TypeError);
    expect(() => msg.entries.push({ term: 2, cmd: { op: 'write', value: 5 } })).toThrow(TypeError);
    expect(msg.entries[0].cmd.value).toBe(3);
  });

  it('leaves primitives alone and returns the same object (no copy)', () => {
    const obj = { a: 1 };
    expect(freezeDeep(obj)).toBe(obj);
    expect(freezeDeep(5)).toBe(5);
    expect(freezeDeep(null)).toBe(null);
  });
});
