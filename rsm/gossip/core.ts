// rsm/gossip/core.ts — eventual consistency: every replica accepts writes, anti-entropy spreads them.
//
// Design (the lectures' "replicas exchange updates with sequence numbers; marking mail read is
// only replicated in the background"): any replica serves reads and writes from its own copy
// and acknowledges at once (after persisting). Each write gets a Lamport stamp (clock, node id)
// and a sequence number at its origin (store.ts). Every `gossipIntervalTicks` a replica sends
// its version vector to one peer drawn at random (Demers et al. 1987 §1.3: anti-entropy with a
// random partner); the peer answers with every entry the vector does not cover plus its own
// vector, and the first replica answers that with what the peer lacks (push-pull). Conflicting
// writes to a key resolve to the highest stamp (last writer wins), so replicas that have seen
// the same writes hold the same values, whatever order the writes arrived in.
// Right: available on every side of any partition; converges once the network heals.
// Wrong (on purpose): not linearizable — a read on a replica that has not heard of a write
// returns the older value (a stale read), and of two concurrent writes the lower stamp is
// silently overwritten, acknowledged or not.
import {
  noEffects, type ClientRequest, type CoreFactory, type Effects, type NodeId, type NodeStatus, type ProtocolCore,
} from '../core/types.ts';
import type { Rng } from '../../lib/rng.ts';
import { intOption } from '../core/support.ts';
import { valuesEqual } from '../kv/state-machine.ts';
import { assert } from '../../lib/assert.ts';
import { LwwStore, SNAPSHOT_EVERY_DEFAULT, type Entry, type VersionVector } from './store.ts';
import { GOSSIP_INTERVAL_TICKS_DEFAULT } from './options.ts';

/**
 * GossipMessage:
 * - digest: the sender's version vector, asking for what it lacks;
 * - updates: the entries the receiver's vector (`vv` of the digest) did not cover, with the
 *   sender's own vector; `replyWanted` asks the receiver to push back what the sender lacks.
 */
export type GossipMessage =
  | { type: 'digest'; vv: VersionVector }
  | { type: 'updates'; entries: Entry[]; vv: VersionVector; replyWanted: boolean };


class GossipCore implements ProtocolCore<GossipMessage> {
  readonly id: NodeId;
  private readonly store: LwwStore;
  private readonly others: NodeId[];
  private nowTick = 0;
  private mergedCount = 0;

  constructor(id: NodeId, peers: NodeId[], private readonly rng: Rng, private readonly gossipIntervalTicks: number,
    private readonly antiEntropy: boolean, snapshotEvery: number, restored: unknown[]) {
    assert(peers.includes(id), `${id} must be one of the peers`);
    this.id = id;
    this.others = peers.filter((p) => p !== id);
    this.store = new LwwStore(id, snapshotEvery, restored);
  }

  tick(): Effects<GossipMessage> {
    this.nowTick += 1;
    const effects = noEffects<GossipMessage>();
    if (this.nowTick % this.gossipIntervalTicks === 0) this.startAntiEntropy(effects);
    return effects;
  }

  /** startAntiEntropy: Rule anti-entropy-round: send our version vector to one random peer (Demers §1.3). */
  private startAntiEntropy(effects: Effects<GossipMessage>): void {
    // The planted bug: updates never leave the replica that accepted them.
    if (!this.antiEntropy || this.others.length === 0) return;
    const to = this.others[this.rng.int(this.others.length)];
    effects.send.push({ to, msg: { type: 'digest', vv: this.store.version() } });
  }

  step(from: NodeId, msg: GossipMessage): Effects<GossipMessage> {
    const effects = noEffects<GossipMessage>();
    if (msg.type === 'digest') {
      // Rule anti-entropy-diff: answer a digest with everything it does not cover, and our vector.
      effects.send.push({ to: from, msg: { type: 'updates', entries: this.store.missingFrom(msg.vv), vv: this.store.version(), replyWanted: true } });
      return effects;
    }
    const changed = this.store.mergeFrom(msg.entries, msg.vv, effects.persist);
    this.mergedCount += changed.length;
    if (msg.replyWanted) {
      // Push-pull: the peer's vector tells what it lacks of ours; send it, asking nothing back.
      const missing = this.store.missingFrom(msg.vv);
      if (missing.length > 0) effects.send.push({ to: from, msg: { type: 'updates', entries: missing, vv: this.store.version(), replyWanted: false } });
    }
    return effects;
  }

  request(req: ClientRequest): Effects<GossipMessage> {
    const effects = noEffects<GossipMessage>();
    const { command } = req;
    const cmd = command.cmd;
    if (cmd.kind === 'read') {
      // Rule read-locally: answer from this replica's copy, whatever the others hold (may be stale).
      const entry = this.store.get(cmd.key);
      effects.reply.push({ reqId: req.reqId, outcome: 'ok', result: { type: 'ok', value: entry?.value ?? null, stamp: entry?.stamp ?? null } });
      return effects;
    }
    const remembered = this.store.session(command);
    if (remembered !== undefined) {
      effects.reply.push({ reqId: req.reqId, outcome: 'ok', result: remembered });
      return effects;
    }
    if (cmd.kind === 'txn') {
      // A transaction over several keys has no meaning under per-key last-writer-wins: refused, definitely.
      effects.reply.push({ reqId: req.reqId, outcome: 'ok', result: { type: 'fail', error: 'gossip: transactions are not supported' } });
      return effects;
    }
    if (cmd.kind === 'cas') {
      // The compare is against this replica's copy only: two replicas may both succeed.
      const current = this.store.get(cmd.key)?.value ?? null;
      if (!valuesEqual(current, cmd.expected)) {
        const result = { type: 'fail' as const, error: `cas mismatch: expected ${JSON.stringify(cmd.expected)}, found ${JSON.stringify(current)}` };
        this.store.rememberFail(command, result, effects.persist);
        effects.reply.push({ reqId: req.reqId, outcome: 'ok', result });
        return effects;
      }
    }
    // Rule accept-locally: stamp, persist and acknowledge now; anti-entropy spreads it later.
    const result = this.store.writeLocal(command, cmd.key, cmd.value, effects.persist);
    effects.reply.push({ reqId: req.reqId, outcome: 'ok', result });
    return effects;
  }

  status(): NodeStatus {
    // Every replica serves clients: none is primary.
    return { id: this.id, protocol: 'gossip', role: 'replica', primary: null, appliedIndex: this.mergedCount, version: this.store.version() };
  }
}

/**
 * createGossipCore builds a replica. Options: `gossipIntervalTicks` (default 5), `snapshotEvery`
 * (default 1000 deltas). Bug `no-anti-entropy`: no digests are ever sent.
 */
export const createGossipCore: CoreFactory<GossipMessage> = (config, restored) =>
  new GossipCore(config.id, config.peers, config.rng,
    intOption(config, 'gossipIntervalTicks', GOSSIP_INTERVAL_TICKS_DEFAULT),
    !config.bugs.has('no-anti-entropy'),
    intOption(config, 'snapshotEvery', SNAPSHOT_EVERY_DEFAULT), restored);
