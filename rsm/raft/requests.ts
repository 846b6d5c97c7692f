// rsm/raft/requests.ts — how a Raft node answers a client request: locally, as a leader read, or through the log.
import type { ClientRequest } from '../core/types.ts';
import type { RaftCore } from './core.ts';
import { handleLeaderRead, serveLocalRead } from './reads.ts';

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
    core.propose(req.reqId, command);
  }
}
