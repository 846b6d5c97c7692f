// lib/timers.ts — the runner's time: real (performance.now + setTimeout) or virtual (a seeded simulation's event queue).
import { onAbort } from './abort-watch.ts';

/** TimerId: a handle returned by setTimer. */
export type TimerId = number | NodeJS.Timeout;

/**
 * Timers: a monotonic clock in ms and one-shot timers on it. The runner (threads, nemesis
 * timeline, rate limiter, op timeouts) takes time only from here, so the same runner works on
 * real time and on a simulator's virtual time.
 */
export interface Timers {
  nowMs(): number;
  setTimer(fn: () => void, ms: number): TimerId;
  clearTimer(id: TimerId): void;
}

/** REAL_TIMERS: performance.now and the event loop's timers. */
export const REAL_TIMERS: Timers = {
  nowMs: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimer: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** sleepOn waits `ms` on `timers`; false if the signal aborted first. */
export function sleepOn(timers: Timers, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  return new Promise((resolve) => {
    const id = timers.setTimer(() => {
      stop?.();
      resolve(true);
    }, Math.max(0, ms));
    const stop = signal === undefined ? undefined : onAbort(signal, () => {
      timers.clearTimer(id);
      resolve(false);
    });
  });
}

/** VirtualEvent: one entry of the event queue; ties on dueMs go in scheduling order. */
interface VirtualEvent {
  dueMs: number;
  seq: number;
  fn: () => void;
  /** wakes: the event may resolve promises, so the microtask queue is drained after it. */
  wakes: boolean;
  cancelled: boolean;
}

/** DRIVE_EVENTS_MAX bounds one drive() (a runaway simulation ends with an error, not a hang). */
const DRIVE_EVENTS_MAX = 200_000_000;

/**
 * VirtualTimers: a discrete-event clock. Time moves only when drive() takes the next event off
 * the queue, so a run's order of events depends on nothing but what was scheduled and when
 * (ties in scheduling order). Events that may resolve promises (every setTimer, and any
 * event that calls wake()) are followed by a full drain of the microtask queue before time
 * moves on, so async code awaiting virtual timers runs exactly as it would on real time.
 */
export class VirtualTimers implements Timers {
  private now = 0;
  private seq = 0;
  private woken = false;
  private heap: VirtualEvent[] = [];
  private readonly byId = new Map<number, VirtualEvent>();
  /** cancelledCount: cancelled events still in the heap (a run's op timeouts: 10 s each, most of the heap). */
  private cancelledCount = 0;
  /** eventCount: events run so far (for benchmarks and runaway bounds). */
  eventCount = 0;

  nowMs(): number {
    return this.now;
  }

  setTimer(fn: () => void, ms: number): TimerId {
    const event = this.push(ms, fn, true);
    this.byId.set(event.seq, event);
    return event.seq;
  }

  clearTimer(id: TimerId): void {
    const event = this.byId.get(id as number);
    if (event === undefined) return;
    event.cancelled = true;
    this.byId.delete(event.seq);
    this.cancelledCount += 1;
    // Dead events deepen the heap every push and pop pays for: drop them once they are half of it.
    if (this.cancelledCount * 2 > this.heap.length && this.heap.length >= COMPACT_SIZE_MIN) this.compact();
  }

  /** at schedules a simulator event `ms` from now; it does not drain unless it calls wake(). */
  at(ms: number, fn: () => void): void {
    this.push(ms, fn, false);
  }

  /** wake: the running event resolved a promise; drain microtasks before the next event. */
  wake(): void {
    this.woken = true;
  }

  /** pendingCount: events in the queue (cancelled ones included until they surface or are compacted away). */
  get pendingCount(): number {
    return this.heap.length;
  }

  /**
   * drive runs events until `done` settles and returns its value. It throws if the queue runs
   * dry while `done` is still pending (nothing could ever settle it).
   */
  async drive<T>(done: Promise<T>): Promise<T> {
    let settled = false;
    done.then(() => (settled = true), () => (settled = true));
    await drain();
    for (let n = 0; !settled; n += 1) {
      if (n >= DRIVE_EVENTS_MAX) throw new Error(`VirtualTimers: more than ${DRIVE_EVENTS_MAX} events in one drive`);
      const event = this.pop();
      if (event === undefined) throw new Error(`VirtualTimers: nothing scheduled at ${this.now} ms and the driven task is still pending`);
      if (event.cancelled) {
        this.cancelledCount -= 1;
        continue;
      }
      // Only setTimer's events are in byId (they wake); `at` events, most of a run's, are not.
      if (event.wakes) this.byId.delete(event.seq);
      this.now = event.dueMs;
      this.woken = false;
      this.eventCount += 1;
      event.fn();
      if (event.wakes || this.woken) await drain();
    }
    return done;
  }

  // The heap moves a hole instead of swapping pairs: one write per level, no temporaries.
  private push(ms: number, fn: () => void, wakes: boolean): VirtualEvent {
    if (!(ms >= 0) || !Number.isFinite(ms)) ms = 0;
    const event: VirtualEvent = { dueMs: this.now + ms, seq: this.seq++, fn, wakes, cancelled: false };
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      // The new event has the highest seq, so it goes above a parent only if strictly earlier.
      if (!(event.dueMs < p.dueMs)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
    return event;
  }

  private pop(): VirtualEvent | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) this.siftDown(0, last);
    return top;
  }

  /** siftDown puts `event` at the hole `i` or below it, moving earlier children up. */
  private siftDown(i: number, event: VirtualEvent): void {
    const heap = this.heap;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(heap[r], heap[l]) ? r : l;
      if (!before(heap[c], event)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = event;
  }

  /** compact drops the cancelled events and rebuilds the heap (Floyd); the order of the rest is unchanged, as it is total. */
  private compact(): void {
    this.heap = this.heap.filter((e) => !e.cancelled);
    this.cancelledCount = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i -= 1) this.siftDown(i, this.heap[i]);
  }
}

/** COMPACT_SIZE_MIN: a heap smaller than this is not worth compacting. */
const COMPACT_SIZE_MIN = 64;

function before(a: VirtualEvent, b: VirtualEvent): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
}

/**
 * YIELD_EVERY: one drain in this many goes through the event loop (setImmediate), so signals,
 * worker messages and progress polls still get their turn during a long drive.
 */
const YIELD_EVERY = 256;
let drains = 0;

/**
 * drain resolves after every queued microtask has run. A nextTick callback runs only once the
 * microtask queue is empty, so awaiting one drains it as setImmediate does, without a turn of
 * the event loop (an epoll call each: a tenth of the simulator's time).
 */
function drain(): Promise<void> {
  drains += 1;
  if (drains % YIELD_EVERY === 0) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => process.nextTick(resolve));
}
