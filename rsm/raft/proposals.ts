// rsm/raft/proposals.ts — Proposals: the leader's client requests waiting for their entries to apply.
import type { ClientCommand, ClientReply, KvResult } from '../core/types.ts';
import type { Entry } from './types.ts';
import { assert } from '../../lib/assert.ts';

interface Waiter {
  reqId: number;
  clientId: string;
  seq: number;
}

/**
 * Proposals maps log indexes to the requests waiting on them, and clientId/seq to the index
 * already holding that command, so a retry waits for the same entry instead of appending twice.
 */
export class Proposals {
  private readonly waiters = new Map<number, Waiter[]>();
  private readonly indexByKey = new Map<string, number>();

  /** indexOf returns where this command already waits in the log, if it does. */
  indexOf(command: ClientCommand): number | undefined {
    return this.indexByKey.get(keyOf(command));
  }

  /** wait registers reqId as waiting for `command` at `index`. */
  wait(index: number, reqId: number, command: ClientCommand): void {
    const key = keyOf(command);
    const known = this.indexByKey.get(key);
    assert(known === undefined || known === index, () => `${key} waits at ${known}, not ${index}`);
    this.indexByKey.set(key, index);
    const list = this.waiters.get(index) ?? [];
    list.push({ reqId, clientId: command.clientId, seq: command.seq });
    this.waiters.set(index, list);
  }

  /** applied answers the requests waiting on `index` with the state machine's result. */
  applied(index: number, entry: Entry, result: KvResult | null): ClientReply[] {
    const list = this.waiters.get(index);
    if (list === undefined) return [];
    this.waiters.delete(index);
    const replies: ClientReply[] = [];
    for (const w of list) {
      // A leader never rewrites its own log, so its waiters always find their own command.
      assert(entry.cmd !== null && entry.cmd.clientId === w.clientId && entry.cmd.seq === w.seq, () => `entry ${index} is not the awaited command`);
      assert(result !== null, 'a client command has a result');
      replies.push({ reqId: w.reqId, outcome: 'ok', result });
      this.indexByKey.delete(keyOf(entry.cmd));
    }
    return replies;
  }

  /** abandon: on losing leadership the entries may still commit later, so the outcome is unknown. */
  abandon(): ClientReply[] {
    const replies: ClientReply[] = [];
    for (const list of this.waiters.values()) {
      for (const w of list) {
        replies.push({ reqId: w.reqId, outcome: 'unknown', error: 'leadership lost before the entry was applied' });
      }
    }
    this.waiters.clear();
    this.indexByKey.clear();
    return replies;
  }
}

function keyOf(command: ClientCommand): string {
  return `${command.clientId}\u0000${command.seq}`;
}
