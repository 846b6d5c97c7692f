// cluster/local/link-shaper.test.ts — DelayLine delays, throttles and reorders chunks but never reorders one stream.
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../lib/rng.ts';
import type { PacketShape } from '../types.ts';
import { DelayLine } from './link-shaper.ts';

/** deliver pushes chunks at once and resolves with each chunk's text and arrival time (ms after the push). */
function deliver(shape: PacketShape, chunks: string[]): Promise<Array<{ text: string; afterMs: number }>> {
  const startMs = performance.now();
  const got: Array<{ text: string; afterMs: number }> = [];
  return new Promise((resolve) => {
    const line = new DelayLine(shape, new SeededRng(1), (c) => {
      got.push({ text: c.toString(), afterMs: performance.now() - startMs });
      if (got.length === chunks.length) resolve(got);
    }, () => {});
    for (const c of chunks) line.push(Buffer.from(c));
  });
}

describe('DelayLine', () => {
  it('delays every chunk by delay ± jitter and keeps the stream in order', async () => {
    const got = await deliver({ delayMs: 40, jitterMs: 10 }, ['a', 'b', 'c', 'd']);
    expect(got.map((g) => g.text).join('')).toBe('abcd');
    for (const g of got) expect(g.afterMs).toBeGreaterThanOrEqual(29);
  });

  it('throttles to the rate: 1000 bytes at 80 kbit/s take 100 ms each', async () => {
    const got = await deliver({ rateKbit: 80 }, ['x'.repeat(1000), 'y'.repeat(1000)]);
    expect(got[0].afterMs).toBeGreaterThanOrEqual(95);
    expect(got[1].afterMs).toBeGreaterThanOrEqual(195);
  });

  it('reorder lets a chunk skip the delay, but not overtake its own stream', async () => {
    const alone = await deliver({ delayMs: 100, reorder: 1 }, ['a']);
    expect(alone[0].afterMs).toBeLessThan(60);
    const startMs = performance.now();
    const got: Array<{ text: string; afterMs: number }> = [];
    await new Promise<void>((resolve) => {
      const line = new DelayLine({ delayMs: 100 }, new SeededRng(1), (c) => {
        got.push({ text: c.toString(), afterMs: performance.now() - startMs });
        if (got.length === 2) resolve();
      }, () => {});
      line.push(Buffer.from('a'));
      line.reshape({ delayMs: 100, reorder: 1 }, new SeededRng(2));
      line.push(Buffer.from('b'));
    });
    expect(got.map((g) => g.text).join('')).toBe('ab');
    expect(got[1].afterMs).toBeGreaterThanOrEqual(95);
  });
});
