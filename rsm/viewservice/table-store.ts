// rsm/viewservice/table-store.ts — where the view server keeps its table of views: on its own disk (one view server).
//
// The view server's rules (server.ts) decide the next table; a TableStore makes it durable and
// says when it is the committed table. LocalTableStore is the lectures' single view server: the
// table is persisted and committed at once. The replicated store (replicated-table.ts) commits
// it through a Raft group of view-server nodes first.
import type { Effects, NodeId, PersistOp } from '../core/types.ts';
import type { View, ViewServiceMessage } from './messages.ts';

/**
 * ViewTable: the view server's durable state — the current view, whether its primary
 * acknowledged it, and whether that primary reported the state transfer to the backup complete.
 */
export interface ViewTable {
  view: View;
  acked: boolean;
  backupReady: boolean;
}

/** INITIAL_TABLE: view 0, the empty view before any server pinged (it needs no ack). */
export const INITIAL_TABLE: ViewTable = { view: { viewnum: 0, primary: null, backup: null }, acked: true, backupReady: false };

/** ViewServerRecord: the single view server's only durable record (the log is reset to the latest). */
export interface ViewServerRecord extends ViewTable {
  t: 'vs';
}

/** TableListener: what the rules learn from a store. */
export interface TableListener {
  /** adopted: `table` is now committed; `fresh` when this node just started serving (new leader). */
  adopted(table: ViewTable, fresh: boolean, effects: Effects<ViewServiceMessage>): void;
}

/** TableStore: the committed table and the way to change it; one change at a time. */
export interface TableStore {
  /** committed: the committed table, or null while this node may not serve (not leader, not caught up). */
  readonly committed: ViewTable | null;
  /** busy: a change is on its way to commit; the rules decide nothing until it lands. */
  readonly busy: boolean;
  /** leaderHint: who serves pings instead of this node (when committed is null), if known. */
  readonly leaderHint: NodeId | null;
  /** commit asks for `next` to become the committed table; the listener hears when it is. */
  commit(next: ViewTable, effects: Effects<ViewServiceMessage>): void;
  tick(effects: Effects<ViewServiceMessage>): void;
  /** step handles a store message (the Raft group's), or returns false when msg is not one. */
  step(from: NodeId, msg: ViewServiceMessage, effects: Effects<ViewServiceMessage>): boolean;
  status(): Record<string, unknown>;
}

/** LocalTableStore: the single view server — a change is durable and committed in the same step. */
export class LocalTableStore implements TableStore {
  private table: ViewTable = INITIAL_TABLE;
  readonly busy = false;
  readonly leaderHint = null;

  constructor(private readonly listener: TableListener, restored: readonly unknown[]) {
    for (const record of restored) {
      const r = record as Partial<ViewServerRecord>;
      if (r.t !== 'vs' || r.view === undefined || typeof r.acked !== 'boolean') {
        throw new Error(`view server: unknown record ${JSON.stringify(record)}`);
      }
      this.table = { view: r.view, acked: r.acked, backupReady: r.backupReady === true };
    }
  }

  get committed(): ViewTable {
    return this.table;
  }

  commit(next: ViewTable, effects: Effects<ViewServiceMessage>): void {
    this.table = { view: { ...next.view }, acked: next.acked, backupReady: next.backupReady };
    const record: ViewServerRecord = { t: 'vs', ...this.table };
    const op: PersistOp = { kind: 'reset', records: [record] };
    effects.persist.push(op);
    this.listener.adopted(this.table, false, effects);
  }

  tick(): void {}

  step(): boolean {
    return false;
  }

  status(): Record<string, unknown> {
    return {};
  }
}
