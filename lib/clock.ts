// lib/clock.ts — wall-clock time given to cores and the harness: the Clock interface and FakeClock.

/** Clock: wall-clock milliseconds (skewable by the nemesis); FakeClock in tests. */
export interface Clock {
  nowMs(): number;
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
