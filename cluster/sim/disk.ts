// cluster/sim/disk.ts — a node's simulated durable log: what was fsynced survives a crash, the rest may not.
import type { PersistOp } from '../../rsm/core/types.ts';
import type { SeededRng } from '../../lib/rng.ts';
import type { VirtualTimers } from '../../lib/timers.ts';
import { freezeDeep } from './immutable.ts';
import { drawLatency, type LatencyKnob } from './knobs.ts';

/** SimDiskOptions: the disk's clock, randomness and behaviour. */
export interface SimDiskOptions {
  timers: VirtualTimers;
  rng: SeededRng;
  fsyncLatency: LatencyKnob;
  /** fsync: always (each persist is durable before it completes) or never (--bug no-fsync: completes at once). */
  fsync: 'always' | 'never';
  /** writebackMs: with fsync never, the OS writes dirty records back this often. */
  writebackMs: number;
  tornP: number;
}

/**
 * SimDisk: records as the file holds them. `synced` survives anything; `dirty` ops are in the
 * page cache: written, not yet durable. A crash keeps a random prefix of the dirty ops (what
 * the OS happened to write back) and may tear the last of them (the checksummed log then drops
 * it at replay, rsm/runtime/durable-log.ts). Persists complete in order (group commit).
 */
export class SimDisk {
  /**
   * synced, dirty: the records as written, frozen (freezeDeep), so the core that wrote them can
   * no more change them than it could change bytes in a file. A restart gets its own list of them.
   */
  private synced: unknown[] = [];
  private dirty: PersistOp[] = [];
  private lastDoneMs = 0;
  /** incarnation: bumped by crash, so completions scheduled before it do nothing. */
  private incarnation = 0;
  private writebackArmed = false;
  /** opsSynced: dirty ops ever made durable or dropped (dirty[0] is op number opsSynced). */
  private opsSynced = 0;

  constructor(private readonly o: SimDiskOptions) {}

  /**
   * records: what a node replays at start (the synced records plus surviving dirty ones). The
   * records themselves are shared, frozen: a core that changed one would throw (and fail the
   * run, cluster/sim/node.ts), so a copy of the list is enough; cloning every record on every
   * restart was the simulator's largest single cost after the cores.
   */
  records(): unknown[] {
    return this.synced.slice();
  }

  /** persist writes the ops (frozen: written records do not change) and calls done when they count as durable. */
  persist(ops: PersistOp[], done: () => void): void {
    for (const op of ops) this.dirty.push(freezeDeep(op));
    const incarnation = this.incarnation;
    if (this.o.fsync === 'never') {
      // Acknowledged at once: the data sits in the page cache until writeback (or a crash).
      this.armWriteback();
      done();
      return;
    }
    const t = this.o.timers;
    const dueMs = Math.max(this.lastDoneMs, t.nowMs() + drawLatency(this.o.rng, this.o.fsyncLatency));
    this.lastDoneMs = dueMs;
    const upTo = this.opsSynced + this.dirty.length;
    t.at(dueMs - t.nowMs(), () => {
      if (incarnation !== this.incarnation) return;
      this.sync(upTo - this.opsSynced);
      done();
    });
  }

  /** crash loses the page cache except a random prefix, whose last record may be torn. */
  crash(): { lost: number; torn: boolean } {
    this.incarnation += 1;
    this.lastDoneMs = 0;
    this.writebackArmed = false;
    const dirtyCount = this.dirty.length;
    if (dirtyCount === 0) return { lost: 0, torn: false };
    let kept = this.o.rng.int(dirtyCount + 1);
    const torn = kept > 0 && this.o.rng.next() < this.o.tornP;
    if (torn) kept -= 1;
    this.sync(kept);
    const lost = this.dirty.length;
    this.opsSynced += lost;
    this.dirty = [];
    return { lost, torn };
  }

  /** sync makes the first `count` dirty ops durable. */
  private sync(count: number): void {
    const ops = this.dirty.splice(0, Math.max(0, count));
    this.opsSynced += ops.length;
    for (const op of ops) {
      if (op.kind === 'append') this.synced.push(op.record);
      else this.synced = [...op.records];
    }
  }

  private armWriteback(): void {
    if (this.writebackArmed) return;
    this.writebackArmed = true;
    const incarnation = this.incarnation;
    this.o.timers.at(this.o.writebackMs, () => {
      if (incarnation !== this.incarnation) return;
      this.writebackArmed = false;
      this.sync(this.dirty.length);
    });
  }
}

