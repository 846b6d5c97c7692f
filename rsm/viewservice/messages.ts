// rsm/viewservice/messages.ts — the view service's wire messages, the View record and shared tunables.
import type { ClientCommand, CoreConfig, KvResult, NodeId } from '../core/types.ts';
import type { KvSnapshot } from '../kv/state-machine.ts';
import type { RaftMessage } from '../raft/types.ts';
import { intOption } from '../core/support.ts';

/** View: one numbered view; view 0 is the empty view before any server pinged. */
export interface View {
  viewnum: number;
  primary: NodeId | null;
  backup: NodeId | null;
}

/**
 * ViewServiceMessage:
 * - ping (server → view server): "I know view `viewnum`" (0 after a restart); from the primary
 *   of the current view it acknowledges that view, and `synced` says the state transfer to that
 *   view's backup completed (the view server only promotes a backup reported synced);
 * - view (view server → server): the current (committed) view, the reply to every ping;
 * - not-leader (view-server node → server): a replicated view server's node that does not hold
 *   the committed table (not the Raft leader, or not yet synced) points at `leader` if known;
 * - raft (view-server node ↔ view-server node): a Raft message of the replicated table's group;
 * - transfer / transfer-ack (primary ↔ backup): the primary's full state for a backup of `view`,
 *   tagged with a `stream` id that later forwards must carry;
 * - forward / forward-ack (primary ↔ backup): the `index`-th command of a stream, and the
 *   backup's result for it;
 * - forward-reject (backup or primary → sender): refused, with the refuser's view so a stale
 *   primary learns it was replaced; `needTransfer` asks for a fresh state transfer.
 */
export type ViewServiceMessage =
  | { type: 'ping'; viewnum: number; synced: boolean }
  | { type: 'view'; view: View }
  | { type: 'not-leader'; leader: NodeId | null }
  | { type: 'raft'; msg: RaftMessage }
  | { type: 'transfer'; viewnum: number; stream: string; snapshot: KvSnapshot }
  | { type: 'transfer-ack'; viewnum: number; stream: string }
  | { type: 'forward'; viewnum: number; stream: string; index: number; command: ClientCommand }
  | { type: 'forward-ack'; viewnum: number; stream: string; index: number; result: KvResult }
  | { type: 'forward-reject'; view: View; stream: string; index: number; reason: string; needTransfer: boolean };

/**
 * VIEWSERVICE_BUGS: the bugs `--bug` can switch on for viewservice (its view server reads them):
 * - promote-unsynced: the view server promotes the backup of a dead primary even when the
 *   primary never reported the state transfer to it complete (rsm/viewservice/server.ts), so a
 *   backup recruited after a replacement can become primary with none of the data.
 */
export const VIEWSERVICE_BUGS: readonly string[] = ['promote-unsynced'];

/** PING_INTERVAL_TICKS_DEFAULT: ticks between pings (option `pingIntervalTicks`; lab 2: 100 ms). */
export const PING_INTERVAL_TICKS_DEFAULT = 10;
/** DEAD_PINGS_DEFAULT: missed ping intervals before a server is dead (option `deadPings`). */
export const DEAD_PINGS_DEFAULT = 5;
/** FORWARD_TIMEOUT_TICKS_DEFAULT: ticks before a transfer or forward is resent (option `forwardTimeoutTicks`). */
export const FORWARD_TIMEOUT_TICKS_DEFAULT = 20;

/** Tunables: the view service's timing options, read from config.options. */
export interface Tunables {
  pingIntervalTicks: number;
  deadPings: number;
  forwardTimeoutTicks: number;
}

/** readTunables reads the tunables with their documented defaults. */
export function readTunables(config: CoreConfig): Tunables {
  return {
    pingIntervalTicks: intOption(config, 'pingIntervalTicks', PING_INTERVAL_TICKS_DEFAULT),
    deadPings: intOption(config, 'deadPings', DEAD_PINGS_DEFAULT),
    forwardTimeoutTicks: intOption(config, 'forwardTimeoutTicks', FORWARD_TIMEOUT_TICKS_DEFAULT),
  };
}

/** sameView compares two views field by field. */
export function sameView(a: View, b: View): boolean {
  return a.viewnum === b.viewnum && a.primary === b.primary && a.backup === b.backup;
}
