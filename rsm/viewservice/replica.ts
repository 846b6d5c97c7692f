// rsm/viewservice/replica.ts — a replica server of attempt 3 (lab 2): primary/backup driven by the view server.
//
// Design: the server pings the view server every PingInterval ticks with the view it knows and
// acts on every newer view it learns (from the view server, or from a peer's rejection). A
// replicated view server is pinged through its leader: a not-leader answer names it, and a
// silent node is left for the next one at the next ping. The
// primary of a view first transfers its FULL state to that view's backup, then forwards every
// client command — reads too, which proves it is still primary — to the backup, one at a
// time, and replies to the client only after the backup acknowledged. The backup applies a
// forward only from the primary of its current view, within the transfer stream it installed,
// and rejects client requests (redirecting to the primary); the primary rejects forwards.
// Right: linearizable. A primary cut off from the view server cannot complete anything once a
// new view exists, because its old backup (the new primary) refuses its forwards.
// Wrong (by design): unavailable while the view server is unreachable and the view must
// change; stuck for good if the primary dies with no synced backup; one command at a time.
// Persisted (DurableKv records): every applied command, snapshots (compaction and installed
// transfers), and meta { incarnation } bumped at each start so stream ids never repeat.
import {
  noEffects, type ClientRequest, type CoreFactory, type Effects, type NodeId, type NodeStatus, type PersistOp,
  type ProtocolCore,
} from '../core/types.ts';
import { DurableKv, SNAPSHOT_EVERY_DEFAULT } from '../kv/durable-kv.ts';
import { intOption } from '../core/support.ts';
import { assert } from '../../lib/assert.ts';
import { readTunables, type Tunables, type View, type ViewServiceMessage } from './messages.ts';

type Msg = ViewServiceMessage;
/** QUEUE_MAX: client requests a primary holds; more are rejected at once. */
const QUEUE_MAX = 1000;

/** ReplicaMeta: the replica's own durable metadata (DurableRecord.meta). */
interface ReplicaMeta {
  incarnation: number;
}

class ViewServiceReplicaCore implements ProtocolCore<Msg> {
  readonly id: NodeId;
  private readonly kv: DurableKv;
  private readonly incarnation: number;
  private view: View = { viewnum: 0, primary: null, backup: null };
  private nowTick = 0;
  private lastPingTick = -Infinity;
  /** viewServerAt: which view-server node we ping (the leader, as far as we know). */
  private viewServerAt = 0;
  /** answered: the node we ping answered with a view since our last regular ping. */
  private answered = true;
  /** redirected: we followed a not-leader hint since our last regular ping (one per interval). */
  private redirected = false;
  private streamCount = 0;
  // As primary: the transfer stream to this view's backup and whether it was acknowledged.
  private stream = '';
  private transferAcked = false;
  private transferSentTick = 0;
  private readonly queue: ClientRequest[] = [];
  private inFlight: { req: ClientRequest; index: number; sentTick: number } | null = null;
  private indexNext = 1;
  // As backup: the stream installed for the current view and the last forward applied.
  private backupStream: string | null = null;
  private backupIndex = 0;
  private backupLast: Extract<Msg, { type: 'forward-ack' }> | null = null;

  constructor(id: NodeId, private readonly viewServers: readonly NodeId[], private readonly tunables: Tunables,
    snapshotEvery: number, restored: unknown[], persistAtStart: PersistOp[]) {
    this.id = id;
    this.kv = new DurableKv(snapshotEvery, restored);
    const meta = this.kv.meta as ReplicaMeta | undefined;
    this.incarnation = (meta?.incarnation ?? 0) + 1;
    this.kv.setMeta({ incarnation: this.incarnation } satisfies ReplicaMeta, persistAtStart);
  }

  get role(): 'primary' | 'backup' | 'idle' {
    if (this.view.primary === this.id) return 'primary';
    return this.view.backup === this.id ? 'backup' : 'idle';
  }

  /** synced: the primary's state transfer to this view's backup completed (trivially, with none). */
  private get synced(): boolean {
    return this.role === 'primary' && (this.view.backup === null || this.transferAcked);
  }

  tick(): Effects<Msg> {
    this.nowTick += 1;
    const effects = noEffects<Msg>();
    // Rule: ping the view server every PingInterval ticks with the view we know.
    if (this.nowTick - this.lastPingTick >= this.tunables.pingIntervalTicks) {
      // A replicated view server whose node we ping stays silent: try the next node.
      if (!this.answered) this.viewServerAt = (this.viewServerAt + 1) % this.viewServers.length;
      this.answered = false;
      this.redirected = false;
      this.ping(effects);
    }
    if (this.role !== 'primary' || this.view.backup === null) return effects;
    const resendTick = this.nowTick - this.tunables.forwardTimeoutTicks;
    if (!this.transferAcked && this.transferSentTick <= resendTick) this.sendTransfer(effects);
    else if (this.inFlight !== null && this.inFlight.sentTick <= resendTick) this.sendForward(effects);
    return effects;
  }

  private ping(effects: Effects<Msg>): void {
    this.lastPingTick = this.nowTick;
    effects.send.push({ to: this.viewServers[this.viewServerAt], msg: { type: 'ping', viewnum: this.view.viewnum, synced: this.synced } });
  }

  /** onNotLeader: a view-server node that does not hold the table points at its leader; ask there, once per interval. */
  private onNotLeader(from: NodeId, leader: NodeId | null, effects: Effects<Msg>): void {
    if (from !== this.viewServers[this.viewServerAt]) return;
    const at = leader === null ? -1 : this.viewServers.indexOf(leader);
    this.viewServerAt = at >= 0 ? at : (this.viewServerAt + 1) % this.viewServers.length;
    this.answered = true; // the new node gets a full interval before we move on
    if (this.redirected) return;
    this.redirected = true;
    this.ping(effects);
  }

  step(from: NodeId, msg: Msg): Effects<Msg> {
    const effects = noEffects<Msg>();
    switch (msg.type) {
      case 'view':
        if (!this.viewServers.includes(from)) break;
        if (from === this.viewServers[this.viewServerAt]) this.answered = true;
        this.learnView(msg.view, effects);
        break;
      case 'not-leader':
        this.onNotLeader(from, msg.leader, effects);
        break;
      case 'transfer':
        this.onTransfer(from, msg, effects);
        break;
      case 'forward':
        this.onForward(from, msg, effects);
        break;
      case 'transfer-ack':
        if (this.role === 'primary' && msg.viewnum === this.view.viewnum && msg.stream === this.stream) {
          this.transferAcked = true;
          this.ping(effects); // tell the view server at once that the backup is now usable
          this.pump(effects);
        }
        break;
      case 'forward-ack':
        this.onForwardAck(msg, effects);
        break;
      case 'forward-reject':
        this.onForwardReject(msg, effects);
        break;
      case 'ping':
      case 'raft':
        break; // pings and the view-server group's Raft are for the view server
      default: {
        const never: never = msg;
        throw new Error(`unknown message ${JSON.stringify(never)}`);
      }
    }
    return effects;
  }

  /** learnView: Rule: servers that learn a newer view act on it (views only move forward). */
  private learnView(view: View, effects: Effects<Msg>): void {
    if (view.viewnum <= this.view.viewnum) return;
    const wasPrimary = this.role === 'primary';
    this.view = { ...view };
    this.backupStream = null; // a backup needs a fresh state transfer in every view
    this.backupLast = null;
    if (this.role === 'primary') {
      // Still primary (or newly promoted): the command in flight goes back to the queue; the new
      // backup gets our state first, which does not yet include that command.
      if (this.inFlight !== null) this.queue.unshift(this.inFlight.req);
      this.inFlight = null;
      this.startTransfer(effects);
    } else if (wasPrimary) {
      this.abandonRequests(effects);
    }
    this.ping(effects); // acknowledge the new view promptly
    this.pump(effects);
  }

  /** abandonRequests answers everything a deposed primary held: in flight is unknown, queued is rejected. */
  private abandonRequests(effects: Effects<Msg>): void {
    const redirect = this.view.primary;
    if (this.inFlight !== null) {
      effects.reply.push({ reqId: this.inFlight.req.reqId, outcome: 'unknown', error: 'primary replaced while forwarding' });
      this.inFlight = null;
    }
    for (const req of this.queue) effects.reply.push({ reqId: req.reqId, outcome: 'reject', error: 'not primary', redirect });
    this.queue.length = 0;
  }

  /** startTransfer: Rule: the primary transfers its FULL state to a new backup before forwarding. */
  private startTransfer(effects: Effects<Msg>): void {
    assert(this.role === 'primary', 'only the primary transfers state');
    this.streamCount += 1;
    this.stream = `${this.id}/${this.incarnation}/${this.streamCount}`;
    this.transferAcked = false;
    this.indexNext = 1;
    if (this.view.backup !== null) this.sendTransfer(effects);
  }

  private sendTransfer(effects: Effects<Msg>): void {
    assert(this.view.backup !== null, 'a transfer needs a backup');
    this.transferSentTick = this.nowTick;
    const msg: Msg = { type: 'transfer', viewnum: this.view.viewnum, stream: this.stream, snapshot: this.kv.sm.snapshot() };
    effects.send.push({ to: this.view.backup, msg });
  }

  /** isCurrentPrimary: Rule: the backup accepts transfers and forwards only from its view's primary. */
  private isCurrentPrimary(from: NodeId, viewnum: number): boolean {
    return this.role === 'backup' && viewnum === this.view.viewnum && from === this.view.primary;
  }

  private onTransfer(from: NodeId, msg: Extract<Msg, { type: 'transfer' }>, effects: Effects<Msg>): void {
    if (!this.isCurrentPrimary(from, msg.viewnum)) {
      this.reject(from, msg.stream, 0, 'not the primary of my view', false, effects);
      return;
    }
    // A retransmitted transfer of the installed stream must not roll back later forwards.
    if (this.backupStream !== msg.stream) {
      this.kv.install(msg.snapshot, effects.persist);
      this.backupStream = msg.stream;
      this.backupIndex = 0;
      this.backupLast = null;
    }
    effects.send.push({ to: from, msg: { type: 'transfer-ack', viewnum: msg.viewnum, stream: msg.stream } });
  }

  private onForward(from: NodeId, msg: Extract<Msg, { type: 'forward' }>, effects: Effects<Msg>): void {
    if (this.role === 'primary') {
      // Rule: the primary rejects updates forwarded to it (from a backup or anyone else).
      this.reject(from, msg.stream, msg.index, 'I am the primary', false, effects);
      return;
    }
    if (!this.isCurrentPrimary(from, msg.viewnum)) {
      // Rule: the backup rejects forwarded updates from a server that is not its view's primary.
      // Rule: so a primary cut off from the view server cannot complete anything once its old
      // backup adopted a newer view — the refusal also tells it that view.
      this.reject(from, msg.stream, msg.index, 'not the primary of my view', false, effects);
      return;
    }
    if (msg.stream !== this.backupStream) {
      this.reject(from, msg.stream, msg.index, 'no state transfer for this stream', true, effects);
      return;
    }
    if (msg.index === this.backupIndex && this.backupLast !== null) {
      effects.send.push({ to: from, msg: this.backupLast }); // a retransmission: same answer again
      return;
    }
    if (msg.index !== this.backupIndex + 1) return; // cannot happen with one command in flight
    const result = this.kv.apply(msg.command, effects.persist);
    this.backupIndex = msg.index;
    this.backupLast = { type: 'forward-ack', viewnum: msg.viewnum, stream: msg.stream, index: msg.index, result };
    effects.send.push({ to: from, msg: this.backupLast });
  }

  private reject(to: NodeId, stream: string, index: number, reason: string, needTransfer: boolean,
    effects: Effects<Msg>): void {
    effects.send.push({ to, msg: { type: 'forward-reject', view: { ...this.view }, stream, index, reason, needTransfer } });
  }

  /** onForwardAck: Rule: the primary applies and replies only after the backup acknowledged. */
  private onForwardAck(msg: Extract<Msg, { type: 'forward-ack' }>, effects: Effects<Msg>): void {
    const f = this.inFlight;
    if (this.role !== 'primary' || f === null) return;
    if (msg.viewnum !== this.view.viewnum || msg.stream !== this.stream || msg.index !== f.index) return;
    const result = this.kv.apply(f.req.command, effects.persist);
    assert(JSON.stringify(result) === JSON.stringify(msg.result), `primary and backup diverged on ${JSON.stringify(f.req.command)}`);
    effects.reply.push({ reqId: f.req.reqId, outcome: 'ok', result });
    this.inFlight = null;
    this.pump(effects);
  }

  private onForwardReject(msg: Extract<Msg, { type: 'forward-reject' }>, effects: Effects<Msg>): void {
    if (msg.view.viewnum > this.view.viewnum) {
      // Our backup moved on: a newer view exists, so we are (probably) no longer primary.
      this.learnView(msg.view, effects);
      return;
    }
    if (this.role === 'primary' && msg.needTransfer && msg.stream === this.stream && msg.view.viewnum === this.view.viewnum) {
      // The backup restarted and lost the stream: transfer again, then resend what was in flight.
      if (this.inFlight !== null) this.queue.unshift(this.inFlight.req);
      this.inFlight = null;
      this.startTransfer(effects);
    }
  }

  request(req: ClientRequest): Effects<Msg> {
    const effects = noEffects<Msg>();
    if (this.role !== 'primary') {
      // Rule: backups (and idle servers) reject client requests, redirecting to the primary.
      effects.reply.push({ reqId: req.reqId, outcome: 'reject', error: `not primary (${this.role})`, redirect: this.view.primary });
      return effects;
    }
    if (this.queue.length >= QUEUE_MAX) {
      effects.reply.push({ reqId: req.reqId, outcome: 'reject', error: 'primary queue full', redirect: this.id });
      return effects;
    }
    this.queue.push(req);
    this.pump(effects);
    return effects;
  }

  /** pump starts the next queued command once the backup is synced and nothing is in flight. */
  private pump(effects: Effects<Msg>): void {
    for (let n = 0; n < QUEUE_MAX && this.synced && this.inFlight === null && this.queue.length > 0; n += 1) {
      const req = this.queue.shift() as ClientRequest;
      if (this.view.backup === null) {
        // No backup in this view: the view server cannot promote anyone, so serving alone is safe.
        const result = this.kv.apply(req.command, effects.persist);
        effects.reply.push({ reqId: req.reqId, outcome: 'ok', result });
        continue;
      }
      // Rule: the primary forwards every command, reads included, and waits for the backup's ack.
      this.inFlight = { req, index: this.indexNext++, sentTick: this.nowTick };
      this.sendForward(effects);
    }
  }

  private sendForward(effects: Effects<Msg>): void {
    const f = this.inFlight;
    assert(f !== null && this.view.backup !== null, 'a forward needs a command and a backup');
    f.sentTick = this.nowTick;
    const msg: Msg = { type: 'forward', viewnum: this.view.viewnum, stream: this.stream, index: f.index, command: f.req.command };
    effects.send.push({ to: this.view.backup, msg });
  }

  status(): NodeStatus {
    return {
      id: this.id, protocol: 'viewservice', role: this.role, view: this.view.viewnum, primary: this.view.primary,
      backup: this.view.backup, synced: this.synced, appliedIndex: this.kv.sm.appliedIndex, queued: this.queue.length,
    };
  }
}

/**
 * createViewServiceReplicaCore builds a replica server; config.viewServer names the view
 * server, or config.viewServers its nodes when it is replicated (pings go to the node that
 * answers, following not-leader hints). Options: `pingIntervalTicks` (default 10), `forwardTimeoutTicks` (default 20),
 * `snapshotEvery` (default 1000). The start-up incarnation record is persisted on the first tick.
 */
export const createViewServiceReplicaCore: CoreFactory<ViewServiceMessage> = (config, restored) => {
  if (config.viewServer === undefined) throw new Error('viewservice replica: config.viewServer is required');
  const persistAtStart: PersistOp[] = [];
  const viewServers = config.viewServers ?? [config.viewServer];
  const core = new ViewServiceReplicaCore(config.id, viewServers, readTunables(config),
    intOption(config, 'snapshotEvery', SNAPSHOT_EVERY_DEFAULT), restored, persistAtStart);
  return withPendingPersist(core, persistAtStart);
};

/** withPendingPersist prepends persist ops produced at construction to the core's first effects. */
function withPendingPersist(core: ViewServiceReplicaCore, pending: PersistOp[]): ProtocolCore<Msg> {
  const flush = (effects: Effects<Msg>): Effects<Msg> => {
    if (pending.length === 0) return effects;
    const ops = pending.splice(0, pending.length);
    return { ...effects, persist: [...ops, ...effects.persist] };
  };
  return {
    id: core.id,
    tick: () => flush(core.tick()),
    step: (from, msg) => flush(core.step(from, msg)),
    request: (req) => flush(core.request(req)),
    status: () => core.status(),
  };
}
