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
// Wrong (by design): a single view server is a single point of failure; a dead primary with no
// usable backup stops the service for good.
// Replicated (--viewserver-replicas N > 1, the lectures' "what if the VS fails?"): the table
// {view, acked} is a Raft-replicated value; every change is committed before any server hears
// it, and only the group's leader applies the rules, so a minority of view-server nodes may fail.
// Persisted (table-store.ts): single, { t: 'vs', view, acked } after every change, so a restarted
// view server never goes back to an older view; replicated, the Raft group's log.
import {
  noEffects, type ClientRequest, type CoreFactory, type Effects, type NodeId, type NodeStatus, type ProtocolCore,
} from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import { readTunables, type Tunables, type View, type ViewServiceMessage } from './messages.ts';
import { RaftTableStore } from './replicated-table.ts';
import { INITIAL_TABLE, LocalTableStore, type TableListener, type TableStore, type ViewTable } from './table-store.ts';

class ViewServerCore implements ProtocolCore<ViewServiceMessage>, TableListener {
  readonly id: NodeId;
  private readonly store: TableStore;
  private nowTick = 0;
  private readonly lastPingTick = new Map<NodeId, number>();
  private readonly restarted = new Set<NodeId>();
  /** waiting: servers that pinged while a change was committing; they hear the new view at once. */
  private readonly waiting = new Set<NodeId>();

  constructor(id: NodeId, private readonly servers: NodeId[], private readonly tunables: Tunables,
    makeStore: (listener: TableListener) => TableStore, private readonly bugs: ReadonlySet<string>) {
    this.id = id;
    this.store = makeStore(this);
    if (this.store.committed !== null) this.adopted(this.store.committed, true, noEffects());
  }

  /** view: the committed view (view 0 while this node does not serve). */
  private get view(): View {
    return this.store.committed?.view ?? INITIAL_TABLE.view;
  }

  /** acked: the primary of the committed view pinged with its viewnum (view 0 needs no ack). */
  private get acked(): boolean {
    return this.store.committed?.acked ?? false;
  }

  /** backupReady: the primary's latest ping for this view said the state transfer completed. */
  private get backupReady(): boolean {
    return this.store.committed?.backupReady ?? false;
  }

  adopted(table: ViewTable, fresh: boolean, effects: Effects<ViewServiceMessage>): void {
    if (fresh) {
      // After a restart or a change of leader the view's servers get a full DeadPings grace
      // period before they are presumed dead: who pinged whom before is not known here.
      this.lastPingTick.clear();
      this.restarted.clear();
      for (const s of [table.view.primary, table.view.backup]) if (s !== null) this.lastPingTick.set(s, this.nowTick);
    }
    for (const to of this.waiting) effects.send.push({ to, msg: { type: 'view', view: { ...table.view } } });
    this.waiting.clear();
  }

  tick(): Effects<ViewServiceMessage> {
    this.nowTick += 1;
    const effects = noEffects<ViewServiceMessage>();
    this.store.tick(effects);
    this.maybeChangeView(effects);
    return effects;
  }

  step(from: NodeId, msg: ViewServiceMessage): Effects<ViewServiceMessage> {
    const effects = noEffects<ViewServiceMessage>();
    if (this.store.step(from, msg, effects)) {
      this.maybeChangeView(effects);
      return effects;
    }
    if (msg.type !== 'ping' || !this.servers.includes(from)) return effects;
    if (this.store.committed === null) {
      // Only the node holding the committed table answers pings; the others point at it.
      effects.send.push({ to: from, msg: { type: 'not-leader', leader: this.store.leaderHint } });
      return effects;
    }
    this.lastPingTick.set(from, this.nowTick);
    if (msg.viewnum === 0 && this.view.viewnum > 0 && this.inView(from)) this.restarted.add(from);
    if (msg.viewnum !== 0) this.restarted.delete(from);
    this.recordAck(from, msg.viewnum, msg.synced, effects);
    this.maybeChangeView(effects);
    if (this.store.busy) this.waiting.add(from);
    // The answer is always a committed view: a change still committing is sent once it lands.
    effects.send.push({ to: from, msg: { type: 'view', view: { ...this.view } } });
    return effects;
  }

  /** recordAck: Rule: the primary of view n acknowledges n by pinging with n; it reports the transfer. */
  private recordAck(from: NodeId, viewnum: number, synced: boolean, effects: Effects<ViewServiceMessage>): void {
    if (from !== this.view.primary || viewnum !== this.view.viewnum) return;
    // Rule: the view server learns that the state transfer completed from the primary's ping.
    // It is part of the table, so a new leader of a replicated view server knows it too.
    const backupReady = synced && this.view.backup !== null;
    if ((this.acked && this.backupReady === backupReady) || this.store.busy) return;
    this.store.commit({ view: { ...this.view }, acked: true, backupReady }, effects);
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

  /** maybeChangeView decides the next view, if the rules allow one now (and no change is committing). */
  private maybeChangeView(effects: Effects<ViewServiceMessage>): void {
    if (this.store.committed === null || this.store.busy) return;
    // Rule: do not move to view n+1 until the primary of view n acknowledged view n.
    if (!this.acked) return;
    const { primary, backup } = this.view;
    if (primary === null) {
      const first = this.servers.find((s) => !this.isDead(s));
      if (first !== undefined) this.newView(first, null, effects);
      return;
    }
    if (this.isDead(primary)) {
      // Rule: the primary of view n+1 must be the primary or backup of view n.
      // Rule: a backup whose state transfer did not complete is never promoted.
      // Rule: a dead primary with no usable backup leaves the service stuck, by design.
      // (--bug promote-unsynced skips the last rule: the new primary may hold none of the data.)
      const usable = this.backupReady || this.bugs.has('promote-unsynced');
      if (backup !== null && !this.isDead(backup) && usable) this.newView(backup, this.pickIdle(primary), effects);
      return;
    }
    if (backup !== null && this.isDead(backup)) {
      this.newView(primary, this.pickIdle(backup), effects);
      return;
    }
    if (backup === null) {
      const idle = this.pickIdle(null);
      if (idle !== null) this.newView(primary, idle, effects);
    }
  }

  private newView(primary: NodeId, backup: NodeId | null, effects: Effects<ViewServiceMessage>): void {
    assert(primary !== backup, 'primary and backup differ');
    assert(this.acked, 'a new view only after the ack of the current one');
    const old = this.view;
    assert(old.primary === null || primary === old.primary || primary === old.backup, 'primary of n+1 served in n');
    this.store.commit({ view: { viewnum: old.viewnum + 1, primary, backup }, acked: false, backupReady: false }, effects);
  }

  /** request: the view server serves no data; it points clients at the primary. */
  request(req: ClientRequest): Effects<ViewServiceMessage> {
    const effects = noEffects<ViewServiceMessage>();
    effects.reply.push({ reqId: req.reqId, outcome: 'reject', error: 'view server holds no data', redirect: this.view.primary });
    return effects;
  }

  status(): NodeStatus {
    const serving = this.store.committed !== null;
    return {
      id: this.id, protocol: 'viewservice', role: 'viewserver', view: this.view.viewnum,
      primary: serving ? this.view.primary : null, backup: serving ? this.view.backup : null,
      acked: this.acked, backupReady: this.backupReady, appliedIndex: 0, serving, ...this.store.status(),
    };
  }
}

/**
 * createViewServerCore builds one view-server node; config.peers lists the replica servers it
 * may recruit (its own id is ignored there). With config.viewServers naming more than one node
 * (`--viewserver-replicas N`), the table of views is committed through a Raft group of those
 * nodes (replicated-table.ts) and only its leader serves pings; otherwise it is the lectures'
 * single view server on its own disk. Options: `pingIntervalTicks` (default 10), `deadPings`
 * (default 5), and Raft's own options for the group (electionTicks, heartbeatTicks, ...).
 */
export const createViewServerCore: CoreFactory<ViewServiceMessage> = (config, restored) => {
  const group = config.viewServers ?? [config.id];
  const servers = config.peers.filter((p) => p !== config.id && !group.includes(p));
  const makeStore = group.length > 1
    ? (listener: TableListener): TableStore => new RaftTableStore(listener, config, group, restored)
    : (listener: TableListener): TableStore => new LocalTableStore(listener, restored);
  return new ViewServerCore(config.id, servers, readTunables(config), makeStore, config.bugs);
};
