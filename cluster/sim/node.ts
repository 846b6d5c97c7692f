// cluster/sim/node.ts — one simulated node: drives a protocol core as rsm/runtime does, on virtual time, disk and network.
import type { Clock } from '../../lib/clock.ts';
import { SeededRng } from '../../lib/rng.ts';
import type { VirtualTimers } from '../../lib/timers.ts';
import type { ClientCommand, ClientReply, CoreConfig, CoreFactory, Effects, NodeStatus, ProtocolCore } from '../../rsm/core/types.ts';
import { EffectsQueue } from '../../rsm/runtime/effects-queue.ts';
import type { RequestOutcome } from '../../rsm/runtime/node-runtime.ts';
import type { SimDisk } from './disk.ts';
import { DeterminismViolation, guarded } from './guard.ts';
import { freezeDeep } from './immutable.ts';

/** SIM_EPOCH_MS: the wall-clock time virtual time 0 stands for (fixed, so clocks are reproducible). */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);

/** SimClock: a node's wall clock: epoch + t·(1 + drift) + offset, where t is virtual time. */
export class SimClock implements Clock {
  offsetMs: number;

  constructor(private readonly timers: VirtualTimers, initialOffsetMs: number, readonly driftPpm: number) {
    this.offsetMs = initialOffsetMs;
  }

  nowMs(): number {
    return SIM_EPOCH_MS + this.timers.nowMs() * (1 + this.driftPpm / 1e6) + this.offsetMs;
  }
}

/** SimNodeOptions: what one node is made of. */
export interface SimNodeOptions {
  id: string;
  factory: CoreFactory;
  /** config: the core's config without its clock and random source (the node owns those). */
  config: Omit<CoreConfig, 'clock' | 'rng'>;
  seed: number;
  timers: VirtualTimers;
  disk: SimDisk;
  clock: SimClock;
  tickMs: number;
  requestTimeoutMs: number;
  /** send carries a peer message over the simulated network. */
  send(to: string, msg: unknown): void;
  /** messageGuard: the shape check a real node applies to every peer message (none: the simulated wire does not corrupt). */
  messageGuard?: (msg: unknown) => string | null;
  sendsEarly?: (msg: unknown) => boolean;
  repliesEarly?: boolean;
  log(line: string): void;
  /** roleLines: log a line when the core's role or term changes (asks the core's status every tick). */
  roleLines: boolean;
}

/**
 * SimNode: up or down, and paused or not. Down, it holds only its disk. Paused (SIGSTOP), it
 * runs nothing: packets, requests and disk completions that arrive wait in `stopped` and run
 * in order on resume. A core that throws crashes its node, as an assert crashes a real one.
 */
export class SimNode {
  private core: ProtocolCore | null = null;
  private queue: EffectsQueue;
  private readonly pending = new Map<number, (outcome: RequestOutcome) => void>();
  private nextReqId = 1;
  /** incarnation: bumped on every start and crash; events of an older one do nothing. */
  private incarnation = 0;
  private paused = false;
  private stopped: Array<() => void> = [];
  private lastRole = 'none';
  private lastRoleName: string | null = null;
  private lastTerm: number | string | null = null;
  /** onTick: the tick event of incarnation `tickIncarnation`, made once per incarnation, not per tick (15,000 closures a raft run). */
  private onTick: (() => void) | null = null;
  private tickIncarnation = -1;
  /** tickCore: the core's tick, as a function call() can run without a new closure each time. */
  private readonly tickCore = (): Effects<unknown> => this.core!.tick();

  constructor(private readonly o: SimNodeOptions) {
    this.queue = this.makeQueue();
  }

  get up(): boolean {
    return this.core !== null;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** start boots the core from what the disk kept. */
  start(): void {
    if (this.core !== null) return;
    this.incarnation += 1;
    const records = this.o.disk.records();
    const config: CoreConfig = { ...this.o.config, clock: this.o.clock, rng: new SeededRng(this.o.seed) };
    this.core = this.call(() => this.o.factory(config, records));
    if (this.core === null) return;
    this.o.log(`started: replayed ${records.length} records`);
    this.scheduleTick(this.incarnation);
  }

  /** crash is kill -9 on a machine that also loses its page cache: volatile state and unsynced writes go. */
  crash(why = 'killed'): void {
    if (this.core === null) return;
    this.core = null;
    this.incarnation += 1;
    this.paused = false;
    this.stopped = [];
    this.queue.clear();
    this.queue = this.makeQueue();
    const { lost, torn } = this.o.disk.crash();
    this.o.log(`crashed (${why}): ${lost} unsynced disk ops lost${torn ? ', the last written record torn' : ''}`);
    this.lastRole = 'none';
    this.lastRoleName = null;
    this.lastTerm = null;
    const answers = [...this.pending.values()];
    this.pending.clear();
    for (const answer of answers) answer({ outcome: 'unknown', error: 'connection reset: node crashed' });
  }

  pause(): void {
    if (this.core !== null) this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const waiting = this.stopped;
    this.stopped = [];
    for (const run of waiting) run();
    if (this.core !== null) this.scheduleTick(this.incarnation);
  }

  /** deliver hands one peer message to the core (dropped if down, held if paused, dropped if malformed). */
  deliver(from: string, msg: unknown): void {
    if (this.core === null) return;
    if (this.paused) {
      this.stopped.push(() => this.deliver(from, msg));
      return;
    }
    const why = this.o.messageGuard?.(msg) ?? null;
    if (why !== null) {
      this.o.log(`dropped a malformed message from ${from}: ${why}`);
      return;
    }
    const core = this.core;
    this.absorb(this.call(() => core.step(from, msg)));
  }

  /** request hands a client command to the core; `answer` is called once (reply, timeout or crash). */
  request(command: ClientCommand, answer: (outcome: RequestOutcome) => void): void {
    if (this.core === null) {
      answer({ outcome: 'unknown', error: 'connection reset: node crashed' });
      return;
    }
    if (this.paused) {
      this.stopped.push(() => this.request(command, answer));
      return;
    }
    const reqId = this.nextReqId++;
    const incarnation = this.incarnation;
    this.pending.set(reqId, answer);
    this.o.timers.at(this.o.requestTimeoutMs, () => {
      if (incarnation !== this.incarnation || !this.pending.has(reqId)) return;
      this.pending.delete(reqId);
      answer({ outcome: 'unknown', error: `no reply within ${this.o.requestTimeoutMs} ms`, timedOut: true });
    });
    const core = this.core;
    this.absorb(this.call(() => core.request({ reqId, command })));
  }

  /** status: what GET /status would answer; null when down or paused (no answer in time). */
  status(): NodeStatus | null {
    const core = this.core;
    if (core === null || this.paused) return null;
    return this.call(() => core.status());
  }

  private scheduleTick(incarnation: number): void {
    // A fast clock ticks more often: ticks are counted on the node's own clock.
    const intervalMs = this.o.tickMs / (1 + this.o.clock.driftPpm / 1e6);
    if (this.tickIncarnation !== incarnation || this.onTick === null) {
      this.tickIncarnation = incarnation;
      this.onTick = () => {
        if (incarnation !== this.incarnation || this.core === null || this.paused) return;
        this.absorb(this.call(this.tickCore));
        if (this.o.roleLines) this.logRoleChange();
        if (incarnation === this.incarnation) this.scheduleTick(incarnation);
      };
    }
    this.o.timers.at(intervalMs, this.onTick);
  }

  private logRoleChange(): void {
    const core = this.core;
    if (core === null) return;
    const s = this.call(() => core.status());
    if (s === null) return;
    // Checked every tick: the line is built only when the role or term changed.
    const term = s.term ?? s.view ?? '-';
    if (s.role === this.lastRoleName && term === this.lastTerm) return;
    const now = `${s.role} term ${term}`;
    this.o.log(`role ${now} (was ${this.lastRole})`);
    this.lastRole = now;
    this.lastRoleName = s.role;
    this.lastTerm = term;
  }

  /** call runs core code under the determinism guard; a throw (a failed assert) crashes the node. */
  private call<T>(fn: () => T): T | null {
    try {
      return guarded(fn);
    } catch (error) {
      if (error instanceof DeterminismViolation) throw error;
      if (mutatedShared(error)) throw new DeterminismViolation(`${this.o.id}: the core changed a message or record it shares with another node or its disk (${(error as Error).message})`);
      this.crash(`the core threw: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }

  private absorb(effects: Effects<unknown> | null): void {
    if (effects === null || this.core === null) return;
    this.queue.absorb(effects);
  }

  private makeQueue(): EffectsQueue {
    const incarnation = (): number => this.incarnation;
    return new EffectsQueue({
      selfId: this.o.id,
      send: (to, msg) => this.o.send(to, msg),
      sendSelf: (msg) => {
        const at = incarnation();
        this.o.timers.at(0, () => {
          if (at === this.incarnation) this.deliver(this.o.id, freezeDeep(msg));
        });
      },
      reply: (reply) => this.deliverReply(reply),
      persist: (ops, done) => this.o.disk.persist(ops, () => {
        if (this.paused) this.stopped.push(done);
        else done();
      }),
      sendsEarly: this.o.sendsEarly,
      repliesEarly: this.o.repliesEarly,
    });
  }

  private deliverReply(reply: ClientReply): void {
    const answer = this.pending.get(reply.reqId);
    // A reply after the request timed out is dropped: the client was already told 'unknown'.
    if (answer === undefined) return;
    this.pending.delete(reply.reqId);
    if (reply.outcome === 'ok') answer({ outcome: 'ok', result: reply.result });
    else if (reply.outcome === 'reject') answer({ outcome: 'reject', error: reply.error, redirect: reply.redirect ?? null });
    else answer({ outcome: 'unknown', error: reply.error });
  }
}

/** mutatedShared: the error is a write to a frozen (shared by reference, cluster/sim/immutable.ts) object. */
function mutatedShared(error: unknown): boolean {
  return error instanceof TypeError && /read.only|not extensible|Cannot add property|Cannot delete property|Cannot assign/.test(error.message);
}
