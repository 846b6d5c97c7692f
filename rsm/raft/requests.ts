// rsm/raft/requests.ts — how a Raft node answers a client request: locally, as a leader read, or through the log.
import type { ClientCommand, ClientRequest } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import type { RaftCore } from './core.ts';
import { handleLeaderRead, serveLocalRead } from './reads.ts';
import { broadcastAppend } from './replication.ts';

/**
 * handleRequest: reads=any answers reads anywhere; otherwise only the leader serves. Leader
 * reads bypass the log unless reads=log (reads.ts); every other command is proposed.
 */
export function handleRequest(core: RaftCore, req: ClientRequest): void {
  const { command } = req;
  if (command.cmd.kind === 'read' && core.opts.reads === 'any') {
    serveLocalRead(core, req.reqId, command.cmd.key);
  } else if (core.role !== 'leader') {
    core.reply({ reqId: req.reqId, outcome: 'reject', error: `not the leader (${core.role})`, redirect: core.leaderId });
  } else if (command.cmd.kind === 'read' && core.opts.reads !== 'log') {
    handleLeaderRead(core, req.reqId, command.cmd.key);
  } else {
    propose(core, req.reqId, command);
  }
}

/**
 * propose appends a client command (Raft §5.3: the leader appends, then replicates), unless it
 * is already applied or already in the log; the request waits for its entry to apply.
 */
function propose(core: RaftCore, reqId: number, command: ClientCommand): void {
  assert(core.role === 'leader', () => `propose as ${core.role}`);
  if (core.sm.isDuplicate(command)) {
    // Already applied: the state machine returns the remembered reply without applying again.
    core.reply({ reqId, outcome: 'ok', result: core.sm.apply(command) });
    return;
  }
  let index = core.proposals.indexOf(command);
  if (index === undefined) {
    core.appendEntry({ term: core.term, cmd: command });
    index = core.log.lastIndex();
    broadcastAppend(core);
  }
  core.proposals.wait(index, reqId, command);
}
