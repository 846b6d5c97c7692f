// rsm/core/clock.ts — clocks given to cores: the real wall clock and a FakeClock for tests.
import type { Clock } from './types.ts';

/** SystemClock reads the (possibly faked, possibly skewed) wall clock of the process. */
export class SystemClock implements Clock {
  nowMs(): number {
    return Date.now();
  }
}

/** FakeClock: time moves only when a test says so. */
export class FakeClock implements Clock {
  constructor(private ms = 0) {}
  nowMs(): number {
    return this.ms;
  }
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    this.ms += ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}
