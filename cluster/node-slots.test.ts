// cluster/node-slots.test.ts — the slot lookup every backend shares: the slot, or an error naming why not.
import { describe, expect, it } from 'vitest';
import { nodeSlot } from './node-slots.ts';

describe('nodeSlot', () => {
  const slots = new Map([['n1', { pid: 7 }]]);
  const all = ['n1', 'n2'];

  it('finds a set-up node, names the known nodes for an unknown one, and says when setup has not made the slot', () => {
    expect(nodeSlot(slots, all, 'n1')).toEqual({ pid: 7 });
    expect(() => nodeSlot(slots, all, 'n9')).toThrow('unknown node "n9"; expected one of n1, n2');
    expect(() => nodeSlot(slots, all, 'n2')).toThrow('node n2: cluster not set up');
  });
});
