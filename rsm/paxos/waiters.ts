// rsm/paxos/waiters.ts — the leader's client requests waiting for the slot holding their command to be applied.
import type { ClientCommand, ClientReply, KvResult } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import type { Value } from './types.ts';

interface Waiter {
  reqId: number;
  command: ClientCommand;
}

/**
 * Waiters maps slots to the requests waiting on them, and clientId/seq to the slot already
 * proposed for that command, so a retry waits for the same slot instead of taking another.
 */
export class Waiters {
  private readonly bySlot = new Map<number, Waiter[]>();
  private readonly slotByKey = new Map<string, number>();

  slotOf(command: ClientCommand): number | undefined {
    return this.slotByKey.get(keyOf(command));
  }

  /** slotOfAny: some slot with a waiter, if any (a snapshot must not skip past waiting clients). */
  slotOfAny(): number | undefined {
    return this.bySlot.keys().next().value;
  }

  wait(slot: number, reqId: number, command: ClientCommand): void {
    const key = keyOf(command);
    const known = this.slotByKey.get(key);
    assert(known === undefined || known === slot, `${key} waits at ${known}, not ${slot}`);
    this.slotByKey.set(key, slot);
    this.bySlot.set(slot, [...(this.bySlot.get(slot) ?? []), { reqId, command }]);
  }

  /**
   * applied answers the requests waiting on `slot`. A slot that was chosen with another value
   * (a later leader's) says nothing about where this command went: its outcome is unknown.
   */
  applied(slot: number, value: Value, result: KvResult | null): ClientReply[] {
    const list = this.bySlot.get(slot);
    if (list === undefined) return [];
    this.bySlot.delete(slot);
    return list.map((w) => {
      this.slotByKey.delete(keyOf(w.command));
      if (value !== null && result !== null && keyOf(value) === keyOf(w.command)) return { reqId: w.reqId, outcome: 'ok', result };
      return { reqId: w.reqId, outcome: 'unknown', error: `slot ${slot} was chosen with another value` };
    });
  }

  /** abandon: on losing leadership the proposals may still be chosen later, so the outcome is unknown. */
  abandon(): ClientReply[] {
    const replies: ClientReply[] = [];
    for (const list of this.bySlot.values()) {
      for (const w of list) replies.push({ reqId: w.reqId, outcome: 'unknown', error: 'leadership lost before the slot was chosen' });
    }
    this.bySlot.clear();
    this.slotByKey.clear();
    return replies;
  }
}

function keyOf(command: ClientCommand): string {
  return `${command.clientId}\u0000${command.seq}`;
}
