// control/runner/rate-limiter.ts — one token bucket shared by every client thread (the --rate cap).
import { REAL_TIMERS, sleepOn, type Timers } from '../../lib/timers.ts';

/**
 * RateLimiter hands out at most `ratePerS` tokens a second over all callers, with a burst of
 * `burst` tokens. Each take() reserves the next slot on a virtual schedule (GCRA), so callers
 * are served in call order and the long-run rate never exceeds ratePerS whatever the number of
 * threads. A rate of 0 or Infinity means no limit.
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private readonly burstMs: number;
  /** arrivalMs: GCRA's theoretical arrival time of the next token. */
  private arrivalMs = -Infinity;

  constructor(readonly ratePerS: number, readonly burst = 1, private readonly timers: Timers = REAL_TIMERS) {
    if (!(ratePerS >= 0)) throw new Error(`RateLimiter: rate must be >= 0, got ${ratePerS}`);
    if (!(Number.isSafeInteger(burst) && burst >= 1)) throw new Error(`RateLimiter: burst must be a positive integer, got ${burst}`);
    this.intervalMs = ratePerS === 0 || ratePerS === Infinity ? 0 : 1000 / ratePerS;
    this.burstMs = this.intervalMs * (burst - 1);
  }

  /** unlimited tells whether take() always succeeds at once. */
  get unlimited(): boolean {
    return this.intervalMs === 0;
  }

  /**
   * take waits for a token. It returns false, without consuming one, if the token would come
   * after `deadlineMs` (on the timers' clock) or the signal aborts first.
   */
  async take(deadlineMs = Infinity, signal?: AbortSignal): Promise<boolean> {
    if (this.intervalMs === 0) return signal?.aborted !== true;
    const now = this.timers.nowMs();
    const grantMs = Math.max(now, this.arrivalMs - this.burstMs);
    if (grantMs > deadlineMs) return false;
    this.arrivalMs = Math.max(this.arrivalMs, grantMs) + this.intervalMs;
    const waitMs = grantMs - now;
    if (waitMs >= 1 && !(await sleepOn(this.timers, waitMs, signal))) return false;
    return signal?.aborted !== true;
  }
}
