// lib/rng.ts — seeded randomness for the harness and the cores: the Rng interface and SeededRng (mulberry32).

/** Rng: a seeded random source; SeededRng in tests, schedules and the simulator. */
export interface Rng {
  /** next returns a float in [0, 1). */
  next(): number;
  /** int returns an integer in [0, n). */
  int(n: number): number;
}

/** SeededRng: the same seed gives the same sequence on every platform. */
export class SeededRng implements Rng {
  private state: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new Error(`SeededRng: seed must be a safe integer, got ${seed}`);
    this.state = (seed ^ 0x9e3779b9) >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    if (!(Number.isSafeInteger(n) && n > 0)) throw new Error(`SeededRng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** fork derives an independent generator, so adding a consumer does not shift the others. */
  fork(): SeededRng {
    return new SeededRng(Math.floor(this.next() * 2 ** 31));
  }
}
