// rsm/primary-backup/core.ts — attempt 2 of the lectures: primary/backup with client-side failover.
//
// Design: config.peers[0] is the intended primary, the others are backups. Whoever receives
// a client request acts as primary for it (it cannot know better): it applies the command,
// forwards it to every other replica and waits for their acks, bounded by a forward timeout;
// when a replica stops answering it carries on alone and replies ok. A replica receiving a
// forwarded update applies it. Each client fails over to a backup on its own timeout. Reads
// are served locally by whoever receives them.
// Right: with no faults and one client, every replica sees every write; a crashed backup does
// not stop the service.
// Wrong: a partition gives split brain — "C1 keeps using S1 as primary, with no backup; C2
// begins using S2": both sides complete conflicting writes, which are never reconciled (an
// update forwarded while cut off is not retransmitted). Concurrent clients on different
// replicas also apply writes in different orders. Reads may be stale.
import {
  noEffects, type ClientCommand, type ClientRequest, type CoreFactory, type Effects, type KvResult, type NodeId,
  type NodeStatus, type ProtocolCore,
} from '../core/types.ts';
import { DurableKv, SNAPSHOT_EVERY_DEFAULT } from '../kv/durable-kv.ts';
import { intOption } from '../core/support.ts';
import { assert } from '../../lib/assert.ts';

/** PrimaryBackupMessage: a forwarded update and its acknowledgement. */
export type PrimaryBackupMessage =
  | { type: 'forward'; forwardId: number; command: ClientCommand }
  | { type: 'forward-ack'; forwardId: number };

/** FORWARD_TIMEOUT_TICKS_DEFAULT: ticks to wait for backups' acks (option `forwardTimeoutTicks`). */
export const FORWARD_TIMEOUT_TICKS_DEFAULT = 20;
/**
 * ACTING_PRIMARY_TICKS: a backup that coordinated a client write this recently reports itself as
 * primary in its status (it is acting as one). Status only: no rule reads it.
 */
export const ACTING_PRIMARY_TICKS = 100;
/** PENDING_MAX: client requests waiting for acks at once; more are rejected. */
const PENDING_MAX = 10_000;

interface Pending {
  reqId: number;
  result: KvResult;
  waitingFor: Set<NodeId>;
  deadlineTick: number;
}

class PrimaryBackupCore implements ProtocolCore<PrimaryBackupMessage> {
  readonly id: NodeId;
  private readonly kv: DurableKv;
  private readonly others: NodeId[];
  private readonly pending = new Map<number, Pending>();
  private nowTick = 0;
  private forwardIdNext = 1;
  private readonly intendedPrimary: NodeId;
  /** The tick of the last client write this node coordinated (acted as primary for); -Infinity: none. */
  private coordinatedTick = -Infinity;

  constructor(id: NodeId, peers: NodeId[], private readonly forwardTimeoutTicks: number, snapshotEvery: number,
    restored: unknown[]) {
    assert(peers.includes(id), `${id} must be one of the peers`);
    this.id = id;
    this.others = peers.filter((p) => p !== id);
    this.intendedPrimary = peers[0];
    this.kv = new DurableKv(snapshotEvery, restored);
  }

  /** tick expires forwards: Rule: when the backup stops answering, carry on alone and reply ok. */
  tick(): Effects<PrimaryBackupMessage> {
    this.nowTick += 1;
    const effects = noEffects<PrimaryBackupMessage>();
    for (const [forwardId, p] of this.pending) {
      if (p.deadlineTick > this.nowTick) continue;
      this.pending.delete(forwardId);
      effects.reply.push({ reqId: p.reqId, outcome: 'ok', result: p.result });
    }
    return effects;
  }

  step(from: NodeId, msg: PrimaryBackupMessage): Effects<PrimaryBackupMessage> {
    const effects = noEffects<PrimaryBackupMessage>();
    if (msg.type === 'forward') {
      // Rule: a replica receiving a forwarded update applies it, whoever sent it.
      this.kv.apply(msg.command, effects.persist);
      effects.send.push({ to: from, msg: { type: 'forward-ack', forwardId: msg.forwardId } });
      return effects;
    }
    const p = this.pending.get(msg.forwardId);
    if (p === undefined) return effects; // a late ack after the timeout already replied
    p.waitingFor.delete(from);
    if (p.waitingFor.size === 0) {
      this.pending.delete(msg.forwardId);
      effects.reply.push({ reqId: p.reqId, outcome: 'ok', result: p.result });
    }
    return effects;
  }

  /** request: Rule: a replica that receives a client request acts as primary for it. */
  request(req: ClientRequest): Effects<PrimaryBackupMessage> {
    const effects = noEffects<PrimaryBackupMessage>();
    if (req.command.cmd.kind === 'read') {
      // Rule: reads are served locally by whoever receives them.
      effects.reply.push({ reqId: req.reqId, outcome: 'ok', result: { type: 'ok', value: this.kv.sm.read(req.command.cmd.key) } });
      return effects;
    }
    if (this.pending.size >= PENDING_MAX) {
      effects.reply.push({ reqId: req.reqId, outcome: 'reject', error: 'too many pending requests' });
      return effects;
    }
    const result = this.kv.apply(req.command, effects.persist);
    if (this.others.length === 0) {
      this.coordinatedTick = this.nowTick;
      effects.reply.push({ reqId: req.reqId, outcome: 'ok', result });
      return effects;
    }
    // Rule: apply, forward to the other replica(s), wait for the ack or the forward timeout.
    this.coordinatedTick = this.nowTick;
    const forwardId = this.forwardIdNext++;
    this.pending.set(forwardId, {
      reqId: req.reqId, result, waitingFor: new Set(this.others), deadlineTick: this.nowTick + this.forwardTimeoutTicks,
    });
    for (const to of this.others) effects.send.push({ to, msg: { type: 'forward', forwardId, command: req.command } });
    return effects;
  }

  status(): NodeStatus {
    // Every replica acts as primary for the writes it receives; peers[0] is only the intended one.
    // So the role is what the node does: the intended primary, or a backup that coordinated a
    // write within ACTING_PRIMARY_TICKS (the roles lane shows a split brain as two primaries).
    const acting = this.id === this.intendedPrimary || this.nowTick - this.coordinatedTick <= ACTING_PRIMARY_TICKS;
    return {
      id: this.id, protocol: 'primary-backup', role: acting ? 'primary' : 'backup',
      primary: this.intendedPrimary, appliedIndex: this.kv.sm.appliedIndex, pending: this.pending.size,
    };
  }
}

/**
 * createPrimaryBackupCore builds a replica. Options: `forwardTimeoutTicks` (default 20) bounds
 * the wait for a backup's ack; `snapshotEvery` (default 1000) sets log compaction.
 */
export const createPrimaryBackupCore: CoreFactory<PrimaryBackupMessage> = (config, restored) =>
  new PrimaryBackupCore(config.id, config.peers,
    intOption(config, 'forwardTimeoutTicks', FORWARD_TIMEOUT_TICKS_DEFAULT),
    intOption(config, 'snapshotEvery', SNAPSHOT_EVERY_DEFAULT), restored);
