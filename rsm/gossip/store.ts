// rsm/gossip/store.ts — a last-writer-wins map with a version vector, durable as deltas plus snapshots.
//
// Every key holds the write with the highest Lamport stamp seen (stamp.ts). Each write also
// carries its origin's sequence number (the origin is the stamp's node), and the version vector
// says, per origin, up to which sequence number this replica holds every write or one that
// supersedes it on its key — the summary anti-entropy compares (Demers et al., "Epidemic
// Algorithms for Replicated Database Maintenance", PODC 1987, §1.3 anti-entropy; Bayou §5,
// version vectors). Persisted state is the map, the vector, the clock and the dedup table.
import type { ClientCommand, KvResult, NodeId, PersistOp, Stamp } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import { compareStamps, LamportClock } from './stamp.ts';

/** Entry: the winning write of one key: its value, its stamp, and its sequence number at its origin (stamp[1]). */
export interface Entry {
  key: string;
  value: unknown;
  stamp: Stamp;
  seq: number;
}

/** VersionVector: per origin node, the highest sequence number covered; absent = 0. */
export type VersionVector = Array<[NodeId, number]>;

/** Session: a client's last command and its reply, so a retry is answered, not applied again. */
type Session = { seq: number; result: KvResult };

/**
 * GossipRecord: what the store persists.
 * - delta: entries that changed, with the vector, clock and (for a client write) its session;
 * - snapshot: the whole store (compaction), always the first record after a reset.
 */
export type GossipRecord =
  | { t: 'delta'; entries: Entry[]; vv: VersionVector; clock: number; session?: [string, Session] }
  | { t: 'snapshot'; entries: Entry[]; vv: VersionVector; clock: number; sessions: Array<[string, Session]> };

/** SNAPSHOT_EVERY_DEFAULT: delta records between compactions (option `snapshotEvery`). */
export const SNAPSHOT_EVERY_DEFAULT = 1000;

export class LwwStore {
  private readonly entries = new Map<string, Entry>();
  private readonly vv = new Map<NodeId, number>();
  private readonly sessions = new Map<string, Session>();
  private readonly clock: LamportClock;
  private deltasSinceSnapshot = 0;

  constructor(private readonly self: NodeId, private readonly snapshotEvery: number, restored: unknown[]) {
    assert(Number.isSafeInteger(snapshotEvery) && snapshotEvery > 0, 'snapshotEvery must be a positive integer');
    let clock = 0;
    for (const raw of restored) clock = this.replay(raw as GossipRecord);
    this.clock = new LamportClock(clock, self);
  }

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  /** version is this replica's version vector (what a digest sends). */
  version(): VersionVector {
    return [...this.vv.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** session returns the remembered reply when `command` is a retry (same client, seq not newer). */
  session(command: ClientCommand): KvResult | undefined {
    const s = this.sessions.get(command.clientId);
    if (s === undefined || command.seq > s.seq) return undefined;
    return command.seq === s.seq ? s.result : { type: 'fail', error: `stale request: seq ${command.seq} < last applied ${s.seq}` };
  }

  /** writeLocal: Rule accept-locally: stamp the write (Lamport IR1), number it at this origin, keep it. */
  writeLocal(command: ClientCommand, key: string, value: unknown, persist: PersistOp[]): KvResult {
    const stamp = this.clock.stampLocalWrite();
    const seq = (this.vv.get(this.self) ?? 0) + 1;
    const entry: Entry = { key, value, stamp, seq };
    assert(this.wins(entry), 'a fresh local stamp beats every stamp this replica has seen');
    this.entries.set(key, entry);
    this.vv.set(this.self, seq);
    const result: KvResult = { type: 'ok', stamp };
    this.remember(command, result, [entry], persist);
    return result;
  }

  /** rememberFail records a definite fail (a cas mismatch) so its retry gets the same answer. */
  rememberFail(command: ClientCommand, result: KvResult, persist: PersistOp[]): void {
    assert(result.type === 'fail', 'only fails are remembered without a write');
    this.remember(command, result, [], persist);
  }

  /** missingFrom: Rule anti-entropy-diff: every entry whose write the peer's vector does not cover. */
  missingFrom(peer: VersionVector): Entry[] {
    const covered = new Map(peer);
    return [...this.entries.values()].filter((e) => e.seq > (covered.get(e.stamp[1]) ?? 0));
  }

  /**
   * mergeFrom: Rule last-writer-wins: keep each received entry only if its stamp beats ours, and
   * witness it (Lamport IR2). Then the vector takes the pointwise max with the sender's: the
   * sender sent everything our digest did not cover, so what its vector covers we now hold or
   * supersede. Returns the entries that changed.
   */
  mergeFrom(received: Entry[], senderVersion: VersionVector, persist: PersistOp[]): Entry[] {
    const changed: Entry[] = [];
    for (const entry of received) {
      this.clock.witness(entry.stamp);
      if (!this.wins(entry)) continue;
      this.entries.set(entry.key, entry);
      changed.push(entry);
    }
    let vvMoved = false;
    for (const [node, seq] of senderVersion) {
      if (seq > (this.vv.get(node) ?? 0)) {
        this.vv.set(node, seq);
        vvMoved = true;
      }
    }
    if (changed.length > 0 || vvMoved) this.persistDelta(changed, undefined, persist);
    return changed;
  }

  /** wins: the entry's stamp is higher than the one its key holds (or the key has none). */
  private wins(entry: Entry): boolean {
    const current = this.entries.get(entry.key);
    return current === undefined || compareStamps(entry.stamp, current.stamp) > 0;
  }

  private remember(command: ClientCommand, result: KvResult, entries: Entry[], persist: PersistOp[]): void {
    const session: Session = { seq: command.seq, result };
    this.sessions.set(command.clientId, session);
    this.persistDelta(entries, [command.clientId, session], persist);
  }

  private persistDelta(entries: Entry[], session: [string, Session] | undefined, persist: PersistOp[]): void {
    this.deltasSinceSnapshot += 1;
    if (this.deltasSinceSnapshot >= this.snapshotEvery) {
      this.deltasSinceSnapshot = 0;
      const snapshot: GossipRecord = {
        t: 'snapshot', entries: [...this.entries.values()], vv: this.version(), clock: this.clock.now, sessions: [...this.sessions.entries()],
      };
      persist.push({ kind: 'reset', records: [snapshot] });
      return;
    }
    const record: GossipRecord = { t: 'delta', entries, vv: this.version(), clock: this.clock.now };
    if (session !== undefined) record.session = session;
    persist.push({ kind: 'append', record });
  }

  /** replay applies one restored record and returns the clock it carried. */
  private replay(record: GossipRecord): number {
    if (record?.t !== 'delta' && record?.t !== 'snapshot') throw new Error(`gossip store: unknown record ${JSON.stringify(record)}`);
    if (record.t === 'snapshot') {
      this.entries.clear();
      this.sessions.clear();
      for (const [id, s] of record.sessions) this.sessions.set(id, s);
      this.deltasSinceSnapshot = 0;
    } else {
      if (record.session !== undefined) this.sessions.set(record.session[0], record.session[1]);
      this.deltasSinceSnapshot += 1;
    }
    for (const entry of record.entries) this.entries.set(entry.key, entry);
    this.vv.clear();
    for (const [node, seq] of record.vv) this.vv.set(node, seq);
    return record.clock;
  }
}
