// rsm/runtime/node-runtime.ts — drives one sans-I/O protocol core with real time, disk and sockets.
//
// The runtime ticks the core on a timer, feeds it peer messages and client requests, and
// carries out each Effects value through the EffectsQueue (effects-queue.ts): persist (await
// durable) → send → reply, strictly FIFO. Persists of successive batches are group-committed
// by the durable log.
import type {
  ClientCommand, ClientReply, Effects, KvResult, MembershipChange, NodeStatus, PersistOp, ProtocolCore,
} from '../core/types.ts';
import type { DurableLog } from './durable-log.ts';
import { EffectsQueue } from './effects-queue.ts';

/** RequestOutcome: a core's reply without the runtime's handle, or a runtime timeout. */
export type RequestOutcome =
  | { outcome: 'ok'; result: KvResult }
  | { outcome: 'reject'; error: string; redirect?: string | null }
  | { outcome: 'unknown'; error: string; timedOut?: boolean };

/** RuntimeSender: where outbound peer messages go (the TCP transport, or a test double). */
export interface RuntimeSender {
  send(to: string, msg: unknown): void;
}

/** NodeRuntimeOptions configures one runtime. */
export interface NodeRuntimeOptions {
  core: ProtocolCore;
  log: DurableLog;
  sender: RuntimeSender;
  tickMs: number;
  requestTimeoutMs: number;
  logLine?: (line: string) => void;
  /** pendingMax bounds client requests waiting for a reply; more are rejected at once. */
  pendingMax?: number;
  /** onFatal is told when a persist failed; the node program exits, as a crashed node would. */
  onFatal?: (err: Error) => void;
  /**
   * sendsEarly names peer messages that depend on no pending write, so they go out at once
   * instead of waiting for earlier persists (e.g. a Raft leader's AppendEntries). Messages to
   * the node itself always wait: cores use them to learn that their writes are durable.
   */
  sendsEarly?: (msg: unknown) => boolean;
  /** repliesEarly: the core's client replies never depend on a pending write (raft: see early-sends.ts). */
  repliesEarly?: boolean;
}

interface Pending {
  resolve: (outcome: RequestOutcome) => void;
  timer: NodeJS.Timeout;
}

/** NodeRuntime: start() begins ticking; request() hands a client command to the core. */
export class NodeRuntime {
  private readonly core: ProtocolCore;
  private readonly pending = new Map<number, Pending>();
  private readonly queue: EffectsQueue;
  private nextReqId = 1;
  private lastRole = 'none';
  private tickTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly logLine: (line: string) => void;
  private readonly pendingMax: number;
  /** fatal is set when persisting failed: the node must stop, since it can no longer keep promises. */
  fatal: Error | null = null;

  constructor(private readonly options: NodeRuntimeOptions) {
    if (!(options.tickMs > 0)) throw new Error(`NodeRuntime: tickMs must be > 0, got ${options.tickMs}`);
    if (!(options.requestTimeoutMs > 0)) throw new Error(`NodeRuntime: requestTimeoutMs must be > 0, got ${options.requestTimeoutMs}`);
    this.core = options.core;
    this.logLine = options.logLine ?? (() => {});
    this.pendingMax = options.pendingMax ?? 10_000;
    this.queue = new EffectsQueue({
      selfId: this.core.id,
      send: (to, msg) => options.sender.send(to, msg),
      // A message to itself loops back through step, later, as the network would deliver it.
      sendSelf: (msg) => setImmediate(() => this.onMessage(this.core.id, msg)),
      reply: (reply) => this.deliverReply(reply),
      persist: (ops, done) => {
        this.persist(ops).then(() => {
          if (this.fatal === null) done();
        }, (err: Error) => this.fail(err));
      },
      sendsEarly: options.sendsEarly,
      repliesEarly: options.repliesEarly,
    });
  }

  /** start begins the tick timer. */
  start(): void {
    if (this.tickTimer !== null) return;
    this.tickTimer = setInterval(() => {
      this.absorb(this.core.tick());
      this.logRoleChange();
    }, this.options.tickMs);
  }

  /** logRoleChange logs role/term changes (checked once a tick), so node logs show elections. */
  private logRoleChange(): void {
    const s = this.core.status();
    const now = `${s.role} term ${s.term ?? s.view ?? '-'}`;
    if (now !== this.lastRole) this.logLine(`role ${now} (was ${this.lastRole})`);
    this.lastRole = now;
  }

  /** onMessage feeds one peer message to the core. */
  onMessage(from: string, msg: unknown): void {
    if (this.stopped) return;
    this.absorb(this.core.step(from, msg));
  }

  /** request hands one client command to the core and resolves with its reply or a timeout. */
  request(command: ClientCommand): Promise<RequestOutcome> {
    return this.ask((reqId) => this.core.request({ reqId, command }));
  }

  /** changeMembership hands a membership change to a core that has them (raft), like a request. */
  changeMembership(change: MembershipChange): Promise<RequestOutcome> {
    const core = this.core;
    if (core.changeMembership === undefined) return Promise.resolve({ outcome: 'reject', error: 'this protocol has no membership changes' });
    return this.ask((reqId) => core.changeMembership!(reqId, change));
  }

  /** ask gives the core a request under a fresh reqId and resolves with its reply or a timeout. */
  private ask(hand: (reqId: number) => Effects<unknown>): Promise<RequestOutcome> {
    if (this.stopped) return Promise.resolve({ outcome: 'reject', error: 'node is shutting down' });
    if (this.pending.size >= this.pendingMax) {
      // Not handed to the core, so it certainly was not applied.
      return Promise.resolve({ outcome: 'reject', error: 'node overloaded: too many pending requests' });
    }
    const reqId = this.nextReqId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(reqId);
        resolve({ outcome: 'unknown', error: `no reply within ${this.options.requestTimeoutMs} ms`, timedOut: true });
      }, this.options.requestTimeoutMs);
      this.pending.set(reqId, { resolve, timer });
      this.absorb(hand(reqId));
    });
  }

  /** status returns the core's status. */
  status(): NodeStatus {
    return this.core.status();
  }

  /** stop halts ticking, waits for queued persists, and answers pending requests 'unknown'. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.tickTimer = null;
    try {
      await this.options.log.barrier();
    } catch {
      // The failure was already logged by the durable log.
    }
    for (const [reqId, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ outcome: 'unknown', error: 'node stopped before replying' });
      this.pending.delete(reqId);
    }
  }

  /** absorb hands one Effects value to the queue (persist → send → reply, FIFO). */
  private absorb(effects: Effects<unknown>): void {
    if (this.fatal !== null) return;
    this.queue.absorb(effects);
  }

  /** persist issues the ops in order and resolves when the last one is durable. */
  private persist(ops: PersistOp[]): Promise<void> {
    let last: Promise<void> = Promise.resolve();
    let append: unknown[] = [];
    for (const op of ops) {
      if (op.kind === 'append') {
        append.push(op.record);
        continue;
      }
      if (append.length > 0) last = this.options.log.append(append);
      append = [];
      last = this.options.log.reset(op.records);
    }
    if (append.length > 0) last = this.options.log.append(append);
    // The log processes ops FIFO, so the last op durable means every earlier one is.
    return last;
  }

  private deliverReply(reply: ClientReply): void {
    const p = this.pending.get(reply.reqId);
    // A reply after the request timed out is dropped: the client was already told 'unknown'.
    if (p === undefined) return;
    this.pending.delete(reply.reqId);
    clearTimeout(p.timer);
    if (reply.outcome === 'ok') p.resolve({ outcome: 'ok', result: reply.result });
    else if (reply.outcome === 'reject') p.resolve({ outcome: 'reject', error: reply.error, redirect: reply.redirect ?? null });
    else p.resolve({ outcome: 'unknown', error: reply.error });
  }

  /** fail stops the node's progress after a failed persist: continuing could break promises made. */
  private fail(err: Error): void {
    if (this.fatal !== null) return;
    this.fatal = err;
    this.logLine(`runtime: persist failed, node stops serving: ${err.message}`);
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.tickTimer = null;
    this.queue.clear();
    for (const [reqId, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ outcome: 'unknown', error: `persist failed: ${err.message}` });
      this.pending.delete(reqId);
    }
    this.options.onFatal?.(err);
  }
}
