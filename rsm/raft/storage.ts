// rsm/raft/storage.ts — builds Raft's persisted records and rebuilds state from them on restart.
import type { NodeId, PersistOp } from '../core/types.ts';
import type { KvSnapshot } from '../kv/state-machine.ts';
import { RaftLog } from './log.ts';
import type { Entry, RaftRecord, SnapshotRecord } from './types.ts';
import { assert } from '../../lib/assert.ts';

/**
 * hardStateOp persists currentTerm and votedFor. With bug `no-persist-vote` the vote is left
 * out — it looks harmless because the term is kept — so after a crash the node has forgotten
 * whom it voted for in this term and may grant a second vote: two leaders in one term.
 */
export function hardStateOp(term: number, vote: NodeId | null, bugs: ReadonlySet<string>): PersistOp {
  const persistedVote = bugs.has('no-persist-vote') ? null : vote;
  return { kind: 'append', record: { t: 'hs', term, vote: persistedVote } satisfies RaftRecord };
}

/**
 * entriesOp persists "truncate from `from`, then append entries". The entries are not copied:
 * log entries are never mutated once appended (a truncation drops them, it does not edit them),
 * and copying every entry on the hot path cost measurable CPU.
 */
export function entriesOp(from: number, entries: Entry[]): PersistOp {
  assert(Number.isSafeInteger(from) && from >= 1, () => `entries record from ${from}`);
  return { kind: 'append', record: { t: 'ents', from, entries: entries.slice() } satisfies RaftRecord };
}

/**
 * compactionOp replaces the whole durable log by the snapshot (if any), the hard state and the
 * entries after the snapshot: records stay bounded by what is not yet snapshotted.
 */
export function compactionOp(
  snapshot: SnapshotRecord | null, term: number, vote: NodeId | null, log: RaftLog, bugs: ReadonlySet<string>,
): PersistOp {
  assert(log.snapshotIndex === (snapshot?.index ?? 0), () => `log compacted to ${log.snapshotIndex}, snapshot at ${snapshot?.index ?? 0}`);
  const hs = hardStateOp(term, vote, bugs);
  assert(hs.kind === 'append', 'hard state op appends');
  const records: RaftRecord[] = snapshot === null ? [hs.record as RaftRecord] : [snapshot, hs.record as RaftRecord];
  if (log.lastIndex() > log.snapshotIndex) {
    records.push({ t: 'ents', from: log.firstIndex(), entries: log.slice(log.firstIndex(), log.lastIndex() + 1) });
  }
  return { kind: 'reset', records: structuredClone(records) };
}

/** RestoredState: what a node rebuilds from its durable records after a crash. */
export interface RestoredState {
  term: number;
  vote: NodeId | null;
  log: RaftLog;
  snapshot: SnapshotRecord | null;
}

/** restoreState replays records in order; a record of unknown shape is a broken disk: throw. */
export function restoreState(records: readonly unknown[], peers: readonly NodeId[]): RestoredState {
  const state: RestoredState = { term: 0, vote: null, log: new RaftLog(peers), snapshot: null };
  for (const raw of records) {
    const record = raw as RaftRecord;
    // String, not JSON.stringify: the message is built for every record replayed, valid or not.
    assert(typeof record === 'object' && record !== null, () => `bad record ${String(raw)}`);
    if (record.t === 'hs') {
      assert(Number.isSafeInteger(record.term) && record.term >= state.term, () => `hard state term ${record.term} after ${state.term}`);
      state.term = record.term;
      state.vote = record.vote;
    } else if (record.t === 'ents') {
      assert(record.from > state.log.snapshotIndex && record.from <= state.log.lastIndex() + 1, () => `entries record from ${record.from} does not fit the log`);
      state.log.truncateFrom(record.from);
      // Replaying what was persisted: a bug may have written decreasing terms, keep them as written.
      state.log.append(record.entries, false);
    } else if (record.t === 'snap') {
      state.log.compactTo(record.index, record.term, record.conf ?? peers);
      state.snapshot = record;
    } else {
      throw new Error(`raft storage: unknown record ${JSON.stringify(raw)}`);
    }
  }
  return state;
}

/** snapshotRecord builds the record for a state machine snapshot at (index, term). */
export function snapshotRecord(index: number, term: number, data: KvSnapshot, conf: readonly NodeId[]): SnapshotRecord {
  assert(Number.isSafeInteger(index) && index >= 1, () => `snapshot index ${index}`);
  return { t: 'snap', index, term, data, conf: [...conf] };
}
