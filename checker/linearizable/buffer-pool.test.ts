import { describe, expect, it } from 'vitest';
import { giveBuffer, takeBuffer } from './buffer-pool.ts';

describe('buffer pool', () => {
  it('hands a given-back buffer out again, zeroed, for a request of its size class', () => {
    const first = takeBuffer(100);
    expect(first.byteLength).toBe(128);
    new Uint8Array(first).fill(7);
    giveBuffer(first);
    const again = takeBuffer(120);
    expect(again).toBe(first);
    expect(new Uint8Array(again).every((b) => b === 0)).toBe(true);
  });

  it('leaves large and odd-sized buffers to the allocator', () => {
    const large = takeBuffer((1 << 16) + 1);
    expect(large.byteLength).toBe((1 << 16) + 1);
    giveBuffer(large);
    expect(takeBuffer((1 << 16) + 1)).not.toBe(large);
    const odd = new ArrayBuffer(100);
    giveBuffer(odd);
    expect(takeBuffer(100)).not.toBe(odd);
  });
});
