// rsm/naive/core.ts — attempt 1 of the lectures: independent copies, the client writes to each.
//
// Design: two or more replicas that never talk to each other. The client library sends every
// write to EVERY replica itself and reads from any one; this core just applies what it is
// given to its local copy and replies ok.
// Right: simple; each copy is durable (applies are persisted before the reply).
// Wrong: replicas see concurrent writes from different clients in different orders, so the
// copies diverge even without any fault; a crashed copy misses writes forever; reads from
// different replicas disagree. Nothing here can detect or repair that — by design.
import {
  noEffects, type ClientRequest, type CoreFactory, type Effects, type NodeId, type NodeStatus, type ProtocolCore,
} from '../core/types.ts';
import { DurableKv, SNAPSHOT_EVERY_DEFAULT } from '../kv/durable-kv.ts';
import { intOption } from '../core/support.ts';

/** NaiveMessage: replicas exchange no messages; the type exists for the registry. */
export type NaiveMessage = never;

class NaiveCore implements ProtocolCore<NaiveMessage> {
  readonly id: NodeId;
  private readonly kv: DurableKv;

  constructor(id: NodeId, snapshotEvery: number, restored: unknown[]) {
    this.id = id;
    this.kv = new DurableKv(snapshotEvery, restored);
  }

  tick(): Effects<NaiveMessage> {
    return noEffects();
  }

  step(_from: NodeId, _msg: NaiveMessage): Effects<NaiveMessage> {
    // Rule: no messages between replicas; anything arriving is ignored.
    return noEffects();
  }

  /** request applies the command locally and replies ok: the client does the fan-out. */
  request(req: ClientRequest): Effects<NaiveMessage> {
    const effects = noEffects<NaiveMessage>();
    const result = this.kv.apply(req.command, effects.persist);
    effects.reply.push({ reqId: req.reqId, outcome: 'ok', result });
    return effects;
  }

  status(): NodeStatus {
    return { id: this.id, protocol: 'naive', role: 'replica', primary: null, appliedIndex: this.kv.sm.appliedIndex };
  }
}

/** createNaiveCore builds a naive replica; option `snapshotEvery` (default 1000) sets compaction. */
export const createNaiveCore: CoreFactory<NaiveMessage> = (config, restored) =>
  new NaiveCore(config.id, intOption(config, 'snapshotEvery', SNAPSHOT_EVERY_DEFAULT), restored);
