// db/etcd/txn-plan.ts — a micro-op txn as etcd's guarded write: what it reads, writes and returns.
//
// Jepsen's etcd append workload: read every key the txn touches (one revision), run the
// micro-ops on that snapshot here, then commit the written keys in one etcd txn whose compares
// pin each touched key's mod revision to the one read (0 for an absent key). A compare that
// fails means another writer got in between: the txn did not apply and may be retried.
import type { MicroOp } from '../../history/op.ts';
import { assert } from '../../lib/assert.ts';

/** Snapshot: each touched key's value (null when absent) and mod revision (0 when absent). */
export type Snapshot = ReadonlyMap<string, { value: unknown; modRevision: string }>;

/** TxnPlan: what the txn returns if it commits, and the keys it writes with their new values. */
export interface TxnPlan {
  completed: MicroOp[];
  writes: Map<string, unknown>;
}

/** touchedKeys: the distinct keys of a txn, in first-use order. */
export function touchedKeys(mops: readonly MicroOp[]): string[] {
  return [...new Set(mops.map((mop) => mop[1]))];
}

/**
 * planTxn runs the micro-ops on the snapshot: reads see the txn's own earlier writes, appends
 * extend the list read (or start one). Returns an error string instead when the txn cannot
 * apply whatever the timing (an append to a non-list, a cas that does not match).
 */
export function planTxn(mops: readonly MicroOp[], snapshot: Snapshot): TxnPlan | { error: string } {
  const writes = new Map<string, unknown>();
  const current = (key: string): unknown => {
    if (writes.has(key)) return writes.get(key);
    const read = snapshot.get(key);
    assert(read !== undefined, `planTxn: key ${key} was not read`);
    return read.value;
  };
  const completed: MicroOp[] = [];
  for (const mop of mops) {
    const key = mop[1];
    switch (mop[0]) {
      case 'r':
        completed.push(['r', key, structuredClone(current(key))]);
        break;
      case 'w':
        writes.set(key, mop[2]);
        completed.push(['w', key, mop[2]]);
        break;
      case 'append': {
        const list = current(key);
        if (list !== null && !Array.isArray(list)) return { error: `append to key ${key}, which holds a non-list value` };
        writes.set(key, [...((list as unknown[] | null) ?? []), mop[2]]);
        completed.push(['append', key, mop[2]]);
        break;
      }
      case 'cas': {
        const [expected, next] = mop[2];
        if (JSON.stringify(current(key)) !== JSON.stringify(expected)) return { error: `cas mismatch on key ${key}` };
        writes.set(key, next);
        completed.push(['cas', key, [expected, next]]);
        break;
      }
      default: {
        const never: never = mop;
        return { error: `unknown micro-op ${JSON.stringify(never)}` };
      }
    }
  }
  return { completed, writes };
}
