// rsm/paxos/requests.ts — how a Paxos node answers a client request: only the leader proposes, every command through a slot.
import type { ClientRequest } from '../core/types.ts';
import type { PaxosCore } from './core.ts';
import { proposeNext } from './proposer.ts';

/**
 * handleRequest: followers and candidates redirect to the leader they follow. The leader answers
 * a command already applied from the state machine's session table (client dedup), waits on
 * the slot of one already proposed, and otherwise proposes it in the next slot. Reads go
 * through a slot too, so they are linearizable like writes.
 */
export function handleRequest(core: PaxosCore, req: ClientRequest): void {
  const { command } = req;
  if (core.role !== 'leader') {
    core.reply({ reqId: req.reqId, outcome: 'reject', error: `not the leader (${core.role})`, redirect: core.leaderId });
    return;
  }
  if (core.sm.isDuplicate(command)) {
    core.reply({ reqId: req.reqId, outcome: 'ok', result: core.sm.apply(command) });
    return;
  }
  const slot = core.waiters.slotOf(command) ?? proposeNext(core, command);
  core.waiters.wait(slot, req.reqId, command);
}
