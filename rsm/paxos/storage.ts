// rsm/paxos/storage.ts — builds the acceptor's durable records and rebuilds state from them on restart.
import type { PersistOp } from '../core/types.ts';
import { assert } from '../../lib/assert.ts';
import { Acceptor } from './acceptor.ts';
import type { AcceptedProposal, Ballot, PaxosRecord, SnapRecord, SnapshotData } from './types.ts';

/**
 * promiseOp persists the promised ballot (§2.3: "an acceptor must remember ... the number of the
 * highest-numbered prepare request to which it has responded"). With bug `forget-promise` it
 * is not written, and restoreState forgets the promise its accepted ballots imply.
 */
export function promiseOp(ballot: Ballot, bugs: ReadonlySet<string>): PersistOp | null {
  if (bugs.has('forget-promise')) return null;
  return { kind: 'append', record: { t: 'promise', ballot: { ...ballot } } satisfies PaxosRecord };
}

/** acceptOp persists an accepted proposal (§2.3: "the highest-numbered proposal it has ever accepted"). */
export function acceptOp(p: AcceptedProposal): PersistOp {
  return { kind: 'append', record: { t: 'accept', slot: p.slot, ballot: { ...p.ballot }, value: structuredClone(p.value) } satisfies PaxosRecord };
}

/** compactionOp replaces the durable log by the snapshot, the promise and the accepts after the snapshot. */
export function compactionOp(snapshot: SnapshotData | null, acceptor: Acceptor, bugs: ReadonlySet<string>): PersistOp {
  assert(acceptor.compactedThrough === (snapshot?.slot ?? 0), `acceptor compacted to ${acceptor.compactedThrough}, snapshot at ${snapshot?.slot ?? 0}`);
  const records: PaxosRecord[] = [];
  if (snapshot !== null) records.push({ t: 'snap', slot: snapshot.slot, data: snapshot.data });
  const promise = promiseOp(acceptor.promised, bugs);
  if (promise?.kind === 'append') records.push(promise.record as PaxosRecord);
  for (const p of acceptor.acceptedFrom(acceptor.compactedThrough + 1)) records.push({ t: 'accept', ...p });
  return { kind: 'reset', records: structuredClone(records) };
}

/** RestoredState: what a node rebuilds from its durable records after a crash. */
export interface RestoredState {
  acceptor: Acceptor;
  snapshot: SnapshotData | null;
}

/**
 * restoreState replays records in order; a record of unknown shape is a broken disk: throw.
 * Accepting under a ballot implies the promise for it, so the promise is at least the highest
 * accepted ballot — except with bug `forget-promise`, where a restarted acceptor has promised
 * nothing and will accept even below what it accepted before.
 */
export function restoreState(records: readonly unknown[], bugs: ReadonlySet<string>): RestoredState {
  let promised: Ballot | undefined;
  let snapshot: SnapshotData | null = null;
  const accepts: AcceptedProposal[] = [];
  for (const raw of records) {
    const record = raw as PaxosRecord;
    // String, not JSON.stringify: the message is built for every record replayed, valid or not.
    assert(typeof record === 'object' && record !== null, `bad record ${String(raw)}`);
    if (record.t === 'promise') promised = record.ballot;
    else if (record.t === 'accept') accepts.push({ slot: record.slot, ballot: record.ballot, value: record.value });
    else if (record.t === 'snap') snapshot = { slot: record.slot, data: record.data };
    else throw new Error(`paxos storage: unknown record ${JSON.stringify(raw)}`);
  }
  const forget = bugs.has('forget-promise');
  const acceptor = new Acceptor(forget ? undefined : promised);
  if (snapshot !== null) acceptor.compactTo(snapshot.slot);
  for (const p of accepts) acceptor.restoreAccepted(p, !forget);
  return { acceptor, snapshot };
}

/** snapRecord: the record of a snapshot (tests build restored logs with it). */
export function snapRecord(s: SnapshotData): SnapRecord {
  return { t: 'snap', slot: s.slot, data: s.data };
}
