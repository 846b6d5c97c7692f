// rsm/async-backup/core.ts — primary/backup where the primary acknowledges before the backup has the update.
//
// Design: config.peers[0] starts as primary. The primary applies a client command, persists it
// and REPLIES IMMEDIATELY; it forwards its numbered updates to the backups asynchronously, in
// order, on every heartbeat (every `heartbeatIntervalTicks`), retransmitting until acked; the
// replicate message doubles as the heartbeat. A backup rejects client requests (redirecting
// to the primary) while it hears from the primary; after `deadBeats` missed heartbeats it
// takes over as primary with a higher epoch and serves clients. A primary that learns of a
// higher epoch steps down and resynchronises from a full snapshot of the new primary.
// Right: fast (no round trip before the reply); a crashed backup costs nothing; one primary
// at a time in the common case; replicas converge after healing.
// Wrong: acknowledged writes not yet forwarded when the primary crashes (or is cut off) are
// lost on failover — and a returning old primary throws them away when it resynchronises.
// Under a partition both sides serve clients (the backup cannot tell a dead primary from a
// cut link). Reads are served locally by the primary and may be stale after a takeover.
import {
  noEffects, type ClientCommand, type ClientRequest, type CoreFactory, type Effects, type NodeId, type NodeStatus,
  type PersistOp, type ProtocolCore,
} from '../core/types.ts';
import type { KvSnapshot } from '../kv/state-machine.ts';
import { DurableKv, SNAPSHOT_EVERY_DEFAULT } from '../kv/durable-kv.ts';
import { intOption } from '../core/support.ts';
import { assert } from '../../lib/assert.ts';

/** ReplicatedUpdate: one update of the primary's replication stream; seq counts from 1 within the data. */
export interface ReplicatedUpdate {
  seq: number;
  command: ClientCommand;
}

/**
 * AsyncBackupMessage:
 * - replicate: the primary's heartbeat carrying the updates after the backup's last ack;
 * - replicate-ack: the backup's highest applied seq, or null when it needs a snapshot;
 *   with a higher epoch it tells an old primary to step down;
 * - snapshot: the primary's full state, for a backup that diverged or fell too far behind.
 */
export type AsyncBackupMessage =
  | { type: 'replicate'; epoch: number; entries: ReplicatedUpdate[] }
  | { type: 'replicate-ack'; epoch: number; seq: number | null }
  | { type: 'snapshot'; epoch: number; seq: number; snapshot: KvSnapshot };

/** Meta: the protocol state persisted with every record (DurableRecord.meta). */
interface Meta {
  epoch: number;
  primary: NodeId;
  seq: number;
  synced: boolean;
}

/** HEARTBEAT_INTERVAL_TICKS_DEFAULT: ticks between heartbeats (option `heartbeatIntervalTicks`). */
export const HEARTBEAT_INTERVAL_TICKS_DEFAULT = 5;
/** DEAD_BEATS_DEFAULT: missed heartbeats before a backup takes over (option `deadBeats`). */
export const DEAD_BEATS_DEFAULT = 5;
/** LOG_MAX: updates kept in memory for retransmission; a backup further behind gets a snapshot. */
const LOG_MAX = 10_000;
/** BATCH_MAX: updates per replicate message. */
const BATCH_MAX = 100;

class AsyncBackupCore implements ProtocolCore<AsyncBackupMessage> {
  readonly id: NodeId;
  private readonly kv: DurableKv;
  private meta: Meta;
  private readonly log: ReplicatedUpdate[] = [];
  /** ackedSeq: per backup, its last acked seq; undefined = not heard yet, null = needs a snapshot. */
  private readonly ackedSeq = new Map<NodeId, number | null | undefined>();
  private nowTick = 0;
  private lastHeardTick = 0;

  constructor(id: NodeId, private readonly peers: NodeId[], private readonly heartbeatIntervalTicks: number,
    private readonly deadBeats: number, snapshotEvery: number, restored: unknown[]) {
    assert(peers.includes(id), `${id} must be one of the peers`);
    this.id = id;
    this.kv = new DurableKv(snapshotEvery, restored);
    this.meta = (this.kv.meta as Meta | undefined) ?? { epoch: 0, primary: peers[0], seq: 0, synced: true };
  }

  private get isPrimary(): boolean {
    return this.meta.primary === this.id;
  }

  tick(): Effects<AsyncBackupMessage> {
    this.nowTick += 1;
    const effects = noEffects<AsyncBackupMessage>();
    if (this.isPrimary) {
      if (this.nowTick % this.heartbeatIntervalTicks === 0) this.replicateToBackups(effects);
    } else if (this.primaryPresumedDead()) {
      this.takeOver(effects.persist);
      this.replicateToBackups(effects);
    }
    return effects;
  }

  /** primaryPresumedDead: Rule: after N missed heartbeats the backup takes over (staggered by rank). */
  private primaryPresumedDead(): boolean {
    const at = this.peers.indexOf(this.meta.primary);
    const rank = (this.peers.indexOf(this.id) - at + this.peers.length) % this.peers.length;
    assert(rank > 0, 'a backup ranks after the primary');
    return this.nowTick - this.lastHeardTick >= this.deadBeats * this.heartbeatIntervalTicks * rank;
  }

  /** takeOver makes this backup the primary with the next epoch it owns (epochs are unique per node). */
  private takeOver(persist: PersistOp[]): void {
    const n = this.peers.length;
    const epoch = (Math.floor(this.meta.epoch / n) + 1) * n + this.peers.indexOf(this.id);
    assert(epoch > this.meta.epoch, 'a takeover raises the epoch');
    this.setMeta({ ...this.meta, epoch, primary: this.id }, persist);
    this.log.length = 0;
    this.ackedSeq.clear();
  }

  /** replicateToBackups: Rule: forward in order, asynchronously, retransmitting until acked. */
  private replicateToBackups(effects: Effects<AsyncBackupMessage>): void {
    for (const to of this.peers) {
      if (to === this.id) continue;
      const acked = this.ackedSeq.get(to);
      const epoch = this.meta.epoch;
      if (acked === undefined) {
        effects.send.push({ to, msg: { type: 'replicate', epoch, entries: [] } });
        continue;
      }
      const firstLogged = this.log.length > 0 ? this.log[0].seq : this.meta.seq + 1;
      if (acked === null || acked + 1 < firstLogged || acked > this.meta.seq) {
        effects.send.push({ to, msg: { type: 'snapshot', epoch, seq: this.meta.seq, snapshot: this.kv.sm.snapshot() } });
        continue;
      }
      const from = acked + 1 - firstLogged;
      effects.send.push({ to, msg: { type: 'replicate', epoch, entries: this.log.slice(from, from + BATCH_MAX) } });
    }
  }

  step(from: NodeId, msg: AsyncBackupMessage): Effects<AsyncBackupMessage> {
    const effects = noEffects<AsyncBackupMessage>();
    if (msg.type === 'replicate-ack') {
      this.onAck(from, msg.epoch, msg.seq, effects.persist);
      return effects;
    }
    // Epoch e belongs to peers[e mod n] (takeOver), so only its owner sends in it. Anyone else
    // claiming it is no primary of ours; dropping it keeps "same epoch, same primary" true.
    if (this.peers[msg.epoch % this.peers.length] !== from) return effects;
    if (msg.epoch < this.meta.epoch) {
      // A deposed primary: tell it the newer epoch so it steps down.
      effects.send.push({ to: from, msg: { type: 'replicate-ack', epoch: this.meta.epoch, seq: null } });
      return effects;
    }
    if (msg.epoch > this.meta.epoch) this.becomeBackup(from, msg.epoch, effects.persist);
    assert(this.meta.primary === from, 'same epoch, same primary');
    this.lastHeardTick = this.nowTick;
    if (msg.type === 'snapshot') {
      this.meta = { ...this.meta, seq: msg.seq, synced: true };
      this.kv.install(msg.snapshot, effects.persist, this.meta);
    } else if (this.meta.synced) {
      this.applyEntries(msg.entries, effects.persist);
    }
    const seq = this.meta.synced ? this.meta.seq : null;
    effects.send.push({ to: from, msg: { type: 'replicate-ack', epoch: this.meta.epoch, seq } });
    return effects;
  }

  /** becomeBackup follows a newer primary; our history may have diverged, so we wait for a snapshot. */
  private becomeBackup(primary: NodeId, epoch: number, persist: PersistOp[]): void {
    assert(epoch > this.meta.epoch, 'only a newer epoch deposes');
    this.setMeta({ ...this.meta, epoch, primary, synced: false }, persist);
    this.log.length = 0;
    this.ackedSeq.clear();
    this.lastHeardTick = this.nowTick;
  }

  private applyEntries(entries: ReplicatedUpdate[], persist: PersistOp[]): void {
    for (const entry of entries) {
      if (entry.seq !== this.meta.seq + 1) continue; // already applied, or a gap the primary will fill
      this.meta = { ...this.meta, seq: entry.seq };
      this.kv.apply(entry.command, persist, this.meta);
    }
  }

  private onAck(from: NodeId, epoch: number, seq: number | null, persist: PersistOp[]): void {
    if (epoch > this.meta.epoch) {
      this.becomeBackup(this.peers[epoch % this.peers.length], epoch, persist);
      return;
    }
    if (epoch === this.meta.epoch && this.isPrimary) this.ackedSeq.set(from, seq);
  }

  request(req: ClientRequest): Effects<AsyncBackupMessage> {
    const effects = noEffects<AsyncBackupMessage>();
    if (!this.isPrimary) {
      // Rule: the backup rejects client requests while it hears from the primary.
      effects.reply.push({ reqId: req.reqId, outcome: 'reject', error: 'not primary', redirect: this.meta.primary });
      return effects;
    }
    if (req.command.cmd.kind === 'read') {
      effects.reply.push({ reqId: req.reqId, outcome: 'ok', result: { type: 'ok', value: this.kv.sm.read(req.command.cmd.key) } });
      return effects;
    }
    // Rule: the primary applies and replies immediately; forwarding happens on the next heartbeat.
    const duplicate = this.kv.sm.isDuplicate(req.command);
    if (!duplicate) {
      this.meta = { ...this.meta, seq: this.meta.seq + 1 };
      this.log.push({ seq: this.meta.seq, command: req.command });
      if (this.log.length > LOG_MAX) this.log.shift();
    }
    const result = this.kv.apply(req.command, effects.persist, duplicate ? undefined : this.meta);
    effects.reply.push({ reqId: req.reqId, outcome: 'ok', result });
    return effects;
  }

  private setMeta(meta: Meta, persist: PersistOp[]): void {
    this.meta = meta;
    this.kv.setMeta(meta, persist);
  }

  status(): NodeStatus {
    return {
      id: this.id, protocol: 'async-backup', role: this.isPrimary ? 'primary' : 'backup', view: this.meta.epoch,
      primary: this.meta.primary, appliedIndex: this.kv.sm.appliedIndex, seq: this.meta.seq,
    };
  }
}

/**
 * createAsyncBackupCore builds a replica. Options: `heartbeatIntervalTicks` (default 5),
 * `deadBeats` (default 5) missed heartbeats before takeover, `snapshotEvery` (default 1000).
 */
export const createAsyncBackupCore: CoreFactory<AsyncBackupMessage> = (config, restored) =>
  new AsyncBackupCore(config.id, config.peers,
    intOption(config, 'heartbeatIntervalTicks', HEARTBEAT_INTERVAL_TICKS_DEFAULT),
    intOption(config, 'deadBeats', DEAD_BEATS_DEFAULT),
    intOption(config, 'snapshotEvery', SNAPSHOT_EVERY_DEFAULT), restored);
