// rsm/kv/durable-kv.ts — a KvStateMachine whose every applied command is persisted, with compaction.
//
// The copy-based protocols (naive, primary-backup, async-backup, view service) keep no log of
// their own: their durable state is "the state machine plus a little protocol metadata".
// DurableKv emits one PersistOp per applied command in the same Effects as the reply, so a
// runtime that persists before replying never acknowledges a write it could lose on SIGKILL.
// Every `snapshotEvery` applies it compacts the log to one snapshot record.
import type { ClientCommand, KvResult, PersistOp } from '../core/types.ts';
import { KvStateMachine, type KvSnapshot } from './state-machine.ts';
import { assert } from '../../lib/assert.ts';

/**
 * DurableRecord: the shape of every record these cores persist.
 * - apply: one command applied to the state machine (duplicates are not recorded);
 * - snapshot: the whole state machine, written by compaction or state transfer (always first);
 * - meta: protocol metadata (epoch, sequence number, incarnation); the last one wins.
 * `meta` on apply/snapshot records carries the same metadata so one record suffices.
 */
export type DurableRecord =
  | { t: 'apply'; command: ClientCommand; meta?: unknown }
  | { t: 'snapshot'; snapshot: KvSnapshot; meta?: unknown }
  | { t: 'meta'; meta: unknown };

/** SNAPSHOT_EVERY_DEFAULT: applies between compactions (option `snapshotEvery`). */
export const SNAPSHOT_EVERY_DEFAULT = 1000;

function isRecord(value: unknown): value is DurableRecord {
  if (typeof value !== 'object' || value === null) return false;
  const t = (value as { t?: unknown }).t;
  return t === 'apply' || t === 'snapshot' || t === 'meta';
}

/** DurableKv: the state machine plus the records that rebuild it after a crash. */
export class DurableKv {
  sm = new KvStateMachine();
  /** meta is the latest protocol metadata persisted (undefined on a fresh node). */
  meta: unknown = undefined;
  private appliesSinceSnapshot = 0;

  constructor(private readonly snapshotEvery: number, restored: unknown[]) {
    assert(Number.isSafeInteger(snapshotEvery) && snapshotEvery > 0, 'snapshotEvery must be a positive integer');
    for (const record of restored) this.replay(record);
  }

  /** apply runs a command and records it; a duplicate gets its first result and no record. */
  apply(command: ClientCommand, persist: PersistOp[], meta?: unknown): KvResult {
    const duplicate = this.sm.isDuplicate(command);
    const result = this.sm.apply(command);
    if (meta !== undefined) this.meta = meta;
    if (duplicate && meta === undefined) return result;
    if (duplicate) {
      persist.push({ kind: 'append', record: { t: 'meta', meta } satisfies DurableRecord });
      return result;
    }
    this.appliesSinceSnapshot += 1;
    if (this.appliesSinceSnapshot >= this.snapshotEvery) this.compact(persist);
    else persist.push({ kind: 'append', record: { t: 'apply', command, meta } satisfies DurableRecord });
    return result;
  }

  /** install replaces the whole state (state transfer) and compacts the log to it. */
  install(snapshot: KvSnapshot, persist: PersistOp[], meta?: unknown): void {
    this.sm = KvStateMachine.restore(snapshot);
    if (meta !== undefined) this.meta = meta;
    this.compact(persist);
  }

  /** setMeta records new protocol metadata without touching the state machine. */
  setMeta(meta: unknown, persist: PersistOp[]): void {
    assert(meta !== undefined, 'setMeta needs a value');
    this.meta = meta;
    persist.push({ kind: 'append', record: { t: 'meta', meta } satisfies DurableRecord });
  }

  /** compact replaces the durable log with one snapshot record of the current state. */
  compact(persist: PersistOp[]): void {
    this.appliesSinceSnapshot = 0;
    const record: DurableRecord = { t: 'snapshot', snapshot: this.sm.snapshot(), meta: this.meta };
    persist.push({ kind: 'reset', records: [record] });
  }

  private replay(record: unknown): void {
    if (!isRecord(record)) throw new Error(`DurableKv: unknown record ${JSON.stringify(record)}`);
    if (record.t === 'apply') {
      this.sm.apply(record.command);
      this.appliesSinceSnapshot += 1;
    } else if (record.t === 'snapshot') {
      this.sm = KvStateMachine.restore(record.snapshot);
      this.appliesSinceSnapshot = 0;
    }
    if (record.meta !== undefined) this.meta = record.meta;
  }
}
