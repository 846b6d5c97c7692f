// cluster/local/link-shaper.ts — DelayLine: delays, jitters, throttles and reorders one direction of a proxied TCP stream.
//
// A TCP stream keeps its bytes in order, so a chunk is never delivered before the chunk ahead
// of it on the same connection; delay, jitter and the rate limit move whole chunks later, and
// "reorder" lets a chunk skip the delay (as netem's reorder sends some packets at once) so it
// overtakes what other connections still hold. Loss and duplication cannot be done on a
// stream: dropping or copying bytes would corrupt it, not lose a message.
import type { Rng } from '../../lib/rng.ts';
import type { PacketShape } from '../types.ts';

/** BACKLOG_BYTES_MAX: above this many held bytes the source is paused (backpressure). */
const BACKLOG_BYTES_MAX = 1 << 20;

/** DelayLine: push() chunks in stream order; each is written when its time comes. */
export class DelayLine {
  private readonly held: Array<{ chunk: Buffer; atMs: number }> = [];
  private heldBytes = 0;
  private lastAtMs = 0;
  private linkFreeAtMs = 0;
  private timer: NodeJS.Timeout | null = null;

  /**
   * write delivers a chunk (returns false when the receiver's buffer is full); backlog(true)
   * asks the source to pause, backlog(false) to resume.
   */
  constructor(
    private shape: PacketShape,
    private rng: Rng,
    private readonly write: (chunk: Buffer) => void,
    private readonly backlog: (full: boolean) => void,
  ) {}

  /** reshape changes the shape for chunks pushed from now on; held chunks keep their times (and the stream its order). */
  reshape(shape: PacketShape, rng: Rng): void {
    this.shape = shape;
    this.rng = rng;
  }

  /** push schedules one chunk. */
  push(chunk: Buffer): void {
    const nowMs = performance.now();
    const s = this.shape;
    let sentMs = nowMs;
    if (s.rateKbit !== undefined) {
      // The link sends one chunk at a time at rateKbit: bits / (kbit/s) = ms.
      sentMs = Math.max(nowMs, this.linkFreeAtMs) + (chunk.length * 8) / s.rateKbit;
      this.linkFreeAtMs = sentMs;
    }
    let delayMs = s.delayMs ?? 0;
    if (s.jitterMs !== undefined && s.jitterMs > 0) delayMs += (this.rng.next() * 2 - 1) * s.jitterMs;
    if (s.reorder !== undefined && this.rng.next() < s.reorder) delayMs = 0;
    const atMs = Math.max(sentMs + Math.max(0, delayMs), this.lastAtMs);
    this.lastAtMs = atMs;
    this.held.push({ chunk, atMs });
    this.heldBytes += chunk.length;
    if (this.heldBytes > BACKLOG_BYTES_MAX) this.backlog(true);
    this.arm();
  }

  /** drop forgets every held chunk (the link was cut or the connection reset). */
  drop(): void {
    this.held.length = 0;
    this.heldBytes = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** heldCount: chunks waiting (tests). */
  get heldCount(): number {
    return this.held.length;
  }

  private arm(): void {
    if (this.timer !== null || this.held.length === 0) return;
    const waitMs = Math.max(0, this.held[0].atMs - performance.now());
    this.timer = setTimeout(() => this.flush(), waitMs);
  }

  private flush(): void {
    this.timer = null;
    const nowMs = performance.now();
    while (this.held.length > 0 && this.held[0].atMs <= nowMs + 0.5) {
      const { chunk } = this.held.shift()!;
      this.heldBytes -= chunk.length;
      this.write(chunk);
    }
    if (this.heldBytes <= BACKLOG_BYTES_MAX / 2) this.backlog(false);
    this.arm();
  }
}
