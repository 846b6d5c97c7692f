// rsm/paxos/early-sends.ts — which paxos messages a runtime may send before its pending writes are durable.

/**
 * paxosSendsEarly: a leader's Heartbeat names a ballot whose promise was durable before its
 * Prepare left; a Learn or Snapshot reports values already chosen — accepted by a majority
 * whose writes finished before their Accepted replies were sent, the leader's own accept in an
 * earlier batch of effects, which the runtime persisted before it sent that batch's Accepts.
 * So they need not wait behind the fsync of the batch in progress (under load a heartbeat stuck
 * behind fsyncs looks like a dead leader). Promise, Accepted, Nack, Accept and HeartbeatReply
 * wait for the writes they follow.
 */
export function paxosSendsEarly(msg: unknown): boolean {
  if (typeof msg !== 'object' || msg === null) return false;
  const type = (msg as { type?: unknown }).type;
  return type === 'Heartbeat' || type === 'Learn' || type === 'Snapshot';
}
