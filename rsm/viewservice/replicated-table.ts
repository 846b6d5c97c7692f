// rsm/viewservice/replicated-table.ts — the view server's table of views as a value replicated by a Raft group.
//
// The lectures end attempt 3 with "what happens if VS fails?" and answer it with consensus. Here
// each view-server node runs an unmodified RaftCore (rsm/raft) whose key-value state machine
// holds the table under one key; the view server's rules (server.ts) run on the leader only.
// - Sync on leadership: a new leader reads the table through the log (reads=log puts the read
//   in the log, so it sees every committed change) before it serves a single ping.
// - Change: every new table is a `cas` from the table this leader last saw committed; it is
//   adopted (and told to any server) only once Raft applied it, and a cas that finds another
//   table (a later leader changed it) drops this node back to "not serving, re-sync".
// - One change at a time (TableStore.busy), as the single view server makes one per step.
// Right: view changes are totally ordered and durable on a majority, so a minority of
// view-server nodes may crash or be cut off and the service still changes views. A deposed
// leader that has not noticed may answer pings with an older committed view; servers only
// move forward through views, and its own changes cannot commit.
import type { ClientCommand, ClientReply, CoreConfig, Effects, NodeId } from '../core/types.ts';
import { RaftCore } from '../raft/core.ts';
import type { RaftMessage } from '../raft/types.ts';
import type { ViewServiceMessage } from './messages.ts';
import { INITIAL_TABLE, type TableListener, type TableStore, type ViewTable } from './table-store.ts';

/** TABLE_KEY: the key of the Raft group's state machine that holds the table. */
export const TABLE_KEY = 'view-table';

type Msg = ViewServiceMessage;

export class RaftTableStore implements TableStore {
  private readonly raft: RaftCore;
  /** table: the committed table as this leader last saw it; null while not serving. */
  private table: ViewTable | null = null;
  /** servingTerm: the Raft term in which `table` was synced. */
  private servingTerm = 0;
  /** stored: the raw value under TABLE_KEY that `table` came from (null before the first change). */
  private stored: unknown = null;
  private syncReq: number | null = null;
  private changeReq: { reqId: number; next: ViewTable } | null = null;
  private reqIdNext = 1;
  private seq = 0;

  constructor(private readonly listener: TableListener, config: CoreConfig, group: readonly NodeId[], restored: readonly unknown[]) {
    // The group's Raft options are the view server's options, but the sync read must go
    // through the log (reads=log) whatever --option reads says; the bugs are the replicas'.
    this.raft = new RaftCore({ ...config, peers: [...group], options: { ...config.options, reads: 'log' }, bugs: new Set() }, restored);
  }

  get committed(): ViewTable | null {
    return this.table;
  }

  get busy(): boolean {
    return this.changeReq !== null;
  }

  get leaderHint(): NodeId | null {
    return this.raft.role === 'leader' ? this.raft.id : this.raft.leaderId;
  }

  commit(next: ViewTable, effects: Effects<Msg>): void {
    if (this.table === null || this.changeReq !== null) throw new Error('view server: commit while not serving or busy');
    const reqId = this.reqIdNext++;
    this.changeReq = { reqId, next: structuredClone(next) };
    this.absorb(this.raft.request({ reqId, command: this.command({ kind: 'cas', key: TABLE_KEY, expected: this.stored, value: next }) }), effects);
  }

  tick(effects: Effects<Msg>): void {
    this.absorb(this.raft.tick(), effects);
  }

  step(from: NodeId, msg: Msg, effects: Effects<Msg>): boolean {
    if (msg.type !== 'raft') return false;
    // Only the group's members speak Raft to us (the core asserts it).
    if (from === this.raft.id || this.raft.others.includes(from)) this.absorb(this.raft.step(from, msg.msg), effects);
    return true;
  }

  status(): Record<string, unknown> {
    return { group: 'raft', raftRole: this.raft.role, term: this.raft.term, raftLeader: this.leaderHint, commitIndex: this.raft.commitIndex };
  }

  /** command: each leadership is its own client of the state machine (a node leads a term once), so dedup never confuses two. */
  private command(cmd: ClientCommand['cmd']): ClientCommand {
    this.seq += 1;
    return { clientId: `viewserver/${this.raft.id}@${this.raft.term}`, seq: this.seq, cmd };
  }

  /** absorb carries out Raft's effects: its records and messages, and the answers to our own requests. */
  private absorb(fx: Effects<RaftMessage>, effects: Effects<Msg>): void {
    effects.persist.push(...fx.persist);
    for (const { to, msg } of fx.send) effects.send.push({ to, msg: { type: 'raft', msg } });
    for (const reply of fx.reply) this.onReply(reply, effects);
    this.keepServing(effects);
  }

  private onReply(reply: ClientReply, effects: Effects<Msg>): void {
    if (reply.reqId === this.syncReq) {
      this.syncReq = null;
      // A failed read, or one of an earlier leadership, is retried by keepServing while leader.
      if (reply.outcome !== 'ok' || reply.result.type !== 'ok' || this.servingTerm !== this.raft.term) return;
      this.stored = reply.result.value ?? null;
      this.table = this.stored === null ? structuredClone(INITIAL_TABLE) : structuredClone(this.stored as ViewTable);
      this.listener.adopted(this.table, true, effects);
      return;
    }
    if (this.changeReq === null || reply.reqId !== this.changeReq.reqId) return;
    const { next } = this.changeReq;
    this.changeReq = null;
    if (reply.outcome === 'ok' && reply.result.type === 'ok') {
      this.stored = structuredClone(next);
      this.table = next;
      this.listener.adopted(next, false, effects);
      return;
    }
    // Not committed, or the table moved under us: what is committed is unknown here, read it again.
    this.stopServing();
  }

  /** keepServing: serve only as the leader of the term the table was synced in; a new leader syncs first. */
  private keepServing(effects: Effects<Msg>): void {
    if (this.raft.role !== 'leader' || (this.table !== null && this.servingTerm !== this.raft.term)) {
      this.stopServing();
      return;
    }
    if (this.table !== null || this.syncReq !== null) return;
    this.servingTerm = this.raft.term;
    const reqId = this.reqIdNext++;
    this.syncReq = reqId;
    this.absorb(this.raft.request({ reqId, command: this.command({ kind: 'read', key: TABLE_KEY }) }), effects);
  }

  private stopServing(): void {
    this.table = null;
    this.changeReq = null;
    if (this.raft.role !== 'leader') this.syncReq = null;
  }
}
