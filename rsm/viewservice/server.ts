// rsm/viewservice/server.ts — the view server of attempt 3 (lab 2): decides the sequence of views.
//
// Design: the view server keeps the numbered sequence of views {viewnum, primary, backup}.
// Servers ping it every PingInterval ticks with the view they know; it answers with the
// current view. A server is dead after DeadPings missed intervals; a ping with viewnum 0
// from the primary or backup of the current view means it restarted (treated as dead until
// it pings the current view again). The view server moves to view n+1 only after the
// primary of view n acknowledged n, promotes only the backup of view n, and only a backup
// whose state transfer the primary reported complete; otherwise the service is stuck, by
// design. Idle servers are recruited as backups.
// Right: at most one primary can complete operations (its backup enforces the view); views
// never skip the acknowledgement, so no acknowledged write is lost on failover.
// Wrong (by design): the view server is a single point of failure; a dead primary with no
// usable backup stops the service for good; the view server itself is not replicated.
// Persisted: { t: 'vs', view, acked } after every change, so a restarted view server never
// goes back to an older view.
import {
  noEffects, type ClientRequest, type CoreFactory, type Effects, type NodeId, type NodeStatus, type PersistOp, type ProtocolCore,
} from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import { readTunables, type Tunables, type View, type ViewServiceMessage } from './messages.ts';

/** ViewServerRecord: the view server's only durable record (the log is reset to the latest). */
export interface ViewServerRecord {
  t: 'vs';
  view: View;
  acked: boolean;
}

class ViewServerCore implements ProtocolCore<ViewServiceMessage> {
  readonly id: NodeId;
  private view: View = { viewnum: 0, primary: null, backup: null };
  /** acked: the primary of the current view pinged with its viewnum (view 0 needs no ack). */
  private acked = true;
  /** backupReady: the primary's latest ping for this view said the state transfer completed. */
  private backupReady = false;
  private nowTick = 0;
  private readonly lastPingTick = new Map<NodeId, number>();
  private readonly restarted = new Set<NodeId>();

  constructor(id: NodeId, private readonly servers: NodeId[], private readonly tunables: Tunables, restored: unknown[]) {
    this.id = id;
    for (const record of restored) {
      const r = record as Partial<ViewServerRecord>;
      if (r.t !== 'vs' || r.view === undefined || typeof r.acked !== 'boolean') {
        throw new Error(`view server: unknown record ${JSON.stringify(record)}`);
      }
      this.view = r.view;
      this.acked = r.acked;
    }
    // After a restart the view's servers get a full DeadPings grace period before they are presumed dead.
    for (const s of [this.view.primary, this.view.backup]) if (s !== null) this.lastPingTick.set(s, 0);
  }

  tick(): Effects<ViewServiceMessage> {
    this.nowTick += 1;
    const effects = noEffects<ViewServiceMessage>();
    this.maybeChangeView(effects.persist);
    return effects;
  }

  step(from: NodeId, msg: ViewServiceMessage): Effects<ViewServiceMessage> {
    const effects = noEffects<ViewServiceMessage>();
    if (msg.type !== 'ping' || !this.servers.includes(from)) return effects;
    this.lastPingTick.set(from, this.nowTick);
    if (msg.viewnum === 0 && this.view.viewnum > 0 && this.inView(from)) this.restarted.add(from);
    if (msg.viewnum !== 0) this.restarted.delete(from);
    this.recordAck(from, msg.viewnum, msg.synced, effects.persist);
    this.maybeChangeView(effects.persist);
    effects.send.push({ to: from, msg: { type: 'view', view: { ...this.view } } });
    return effects;
  }

  /** recordAck: Rule: the primary of view n acknowledges n by pinging with n; it reports the transfer. */
  private recordAck(from: NodeId, viewnum: number, synced: boolean, persist: PersistOp[]): void {
    if (from !== this.view.primary || viewnum !== this.view.viewnum) return;
    // Rule: the view server learns that the state transfer completed from the primary's ping.
    this.backupReady = synced && this.view.backup !== null;
    if (this.acked) return;
    this.acked = true;
    this.persist(persist);
  }

  /** isDead: Rule: a server is dead after DeadPings missed ping intervals (or a restart ping). */
  private isDead(server: NodeId): boolean {
    if (this.restarted.has(server)) return true;
    const last = this.lastPingTick.get(server);
    if (last === undefined) return true;
    return this.nowTick - last >= this.tunables.deadPings * this.tunables.pingIntervalTicks;
  }

  private inView(server: NodeId): boolean {
    return server === this.view.primary || server === this.view.backup;
  }

  /** pickIdle: Rule: an idle (alive, not in the view) server is recruited as the new backup. */
  private pickIdle(exclude: NodeId | null): NodeId | null {
    for (const s of this.servers) {
      if (s !== exclude && !this.inView(s) && !this.isDead(s)) return s;
    }
    return null;
  }

  /** maybeChangeView decides the next view, if the rules allow one now. */
  private maybeChangeView(persist: PersistOp[]): void {
    // Rule: do not move to view n+1 until the primary of view n acknowledged view n.
    if (!this.acked) return;
    const { primary, backup } = this.view;
    if (primary === null) {
      const first = this.servers.find((s) => !this.isDead(s));
      if (first !== undefined) this.newView(first, null, persist);
      return;
    }
    if (this.isDead(primary)) {
      // Rule: the primary of view n+1 must be the primary or backup of view n.
      // Rule: a backup whose state transfer did not complete is never promoted.
      // Rule: a dead primary with no usable backup leaves the service stuck, by design.
      if (backup !== null && !this.isDead(backup) && this.backupReady) this.newView(backup, this.pickIdle(primary), persist);
      return;
    }
    if (backup !== null && this.isDead(backup)) {
      this.newView(primary, this.pickIdle(backup), persist);
      return;
    }
    if (backup === null) {
      const idle = this.pickIdle(null);
      if (idle !== null) this.newView(primary, idle, persist);
    }
  }

  private newView(primary: NodeId, backup: NodeId | null, persist: PersistOp[]): void {
    assert(primary !== backup, 'primary and backup differ');
    assert(this.acked, 'a new view only after the ack of the current one');
    const old = this.view;
    assert(old.primary === null || primary === old.primary || primary === old.backup, 'primary of n+1 served in n');
    this.view = { viewnum: old.viewnum + 1, primary, backup };
    this.acked = false;
    this.backupReady = false;
    this.persist(persist);
  }

  private persist(persist: PersistOp[]): void {
    const record: ViewServerRecord = { t: 'vs', view: { ...this.view }, acked: this.acked };
    persist.push({ kind: 'reset', records: [record] });
  }

  /** request: the view server serves no data; it points clients at the primary. */
  request(req: ClientRequest): Effects<ViewServiceMessage> {
    const effects = noEffects<ViewServiceMessage>();
    effects.reply.push({ reqId: req.reqId, outcome: 'reject', error: 'view server holds no data', redirect: this.view.primary });
    return effects;
  }

  status(): NodeStatus {
    return {
      id: this.id, protocol: 'viewservice', role: 'viewserver', view: this.view.viewnum, primary: this.view.primary,
      backup: this.view.backup, acked: this.acked, backupReady: this.backupReady, appliedIndex: 0,
    };
  }
}

/**
 * createViewServerCore builds the view server; config.peers lists the replica servers it may
 * recruit (its own id is ignored there). Options: `pingIntervalTicks` (default 10),
 * `deadPings` (default 5).
 */
export const createViewServerCore: CoreFactory<ViewServiceMessage> = (config, restored) =>
  new ViewServerCore(config.id, config.peers.filter((p) => p !== config.id), readTunables(config), restored);
