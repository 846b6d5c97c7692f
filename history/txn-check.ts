// history/txn-check.ts — what an Elle history (list-append, rw-register) must look like, op by op.
import type { OpCheck, OpProblem, RecordSyntax } from './op-record.ts';
import type { Process } from './op.ts';

/** TxnWriteF: the write micro-op of the workload (list-append appends, rw-register writes). */
export type TxnWriteF = 'append' | 'w';

interface PendingTxn {
  index: number;
  mops: readonly (readonly unknown[])[];
}

/**
 * txnHistoryCheck returns an OpCheck for a transactional history: every client op is a `txn`
 * whose value is a vector of micro-ops [writeF k v] / [r k v] (keys strings or numbers, written
 * values not nil, list-append reads nil or a list); each process completes its txn before it
 * invokes the next, and an ok txn repeats its invoke's micro-ops (same f and key, in order)
 * with the values it read filled in. Nemesis ops pass unchecked. The check keeps state, so
 * one check reads one file.
 */
export function txnHistoryCheck(writeF: TxnWriteF): OpCheck {
  const pending = new Map<Process, PendingTxn>();
  return (op, syntax) => {
    if (op.process === 'nemesis') return undefined;
    const s = spelling(syntax);
    if (op.f !== 'txn') return { expected: `${s.field('f')} ${s.word('txn')} (an Elle history holds transactions only)`, got: op.f };
    const open = pending.get(op.process);
    if (op.type === 'invoke') {
      if (open !== undefined) {
        return { expected: `process ${op.process} to complete its txn (invoked at index ${open.index}) before invoking another`, got: 'a second invoke' };
      }
      const mops = mopsProblem(op.value, writeF, s);
      if (!Array.isArray(mops)) return mops;
      pending.set(op.process, { index: op.index, mops });
      return undefined;
    }
    if (open === undefined) return { expected: `an invoke by process ${op.process} before this ${op.type}`, got: 'none pending' };
    pending.delete(op.process);
    // fail and info txns keep their invoke's micro-ops (Elle's rule), so their value is free.
    if (op.type !== 'ok') return undefined;
    const mops = mopsProblem(op.value, writeF, s);
    if (!Array.isArray(mops)) return mops;
    const same = mops.length === open.mops.length &&
      mops.every((mop, i) => mop[0] === open.mops[i][0] && mop[1] === open.mops[i][1]);
    if (!same) {
      return { expected: `the ok txn to repeat the micro-ops of its invoke at index ${open.index} (same f and key, in order)`, got: op.value };
    }
    return undefined;
  };
}

interface Spelling {
  field(name: string): string;
  word(name: string): string;
  mops(writeF: TxnWriteF): string;
}

// spelling writes expectations the way the file does: :f :txn in EDN, "f": "txn" in JSON.
function spelling(syntax: RecordSyntax): Spelling {
  if (syntax === 'edn') {
    return {
      field: (name) => `:${name}`,
      word: (name) => `:${name}`,
      mops: (w) => `[:${w} k v] or [:r k ${w === 'append' ? 'nil|[v ...]' : 'v'}]`,
    };
  }
  return {
    field: (name) => `"${name}"`,
    word: (name) => `"${name}"`,
    mops: (w) => `["${w}", k, v] or ["r", k, ${w === 'append' ? 'null|[v, ...]' : 'v'}]`,
  };
}

// mopsProblem returns the micro-ops when the txn value is well formed, else the problem.
function mopsProblem(value: unknown, writeF: TxnWriteF, s: Spelling): (readonly unknown[])[] | OpProblem {
  const expected = `${s.field('value')} to be a vector of micro-ops ${s.mops(writeF)}`;
  if (!Array.isArray(value)) return { expected, got: value ?? null };
  for (const mop of value as unknown[]) {
    if (!Array.isArray(mop) || mop.length !== 3) return { expected, got: mop ?? null };
    const [f, key, v] = mop as unknown[];
    const keyOk = typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key));
    const valueOk = f === 'r'
      ? writeF === 'w' || v === null || v === undefined || Array.isArray(v)
      : f === writeF && v !== null && v !== undefined;
    if (!keyOk || !valueOk) return { expected, got: mop };
  }
  return value as (readonly unknown[])[];
}

/** txnCheckFor maps an Elle workload name to its check. */
export function txnCheckFor(workload: 'list-append' | 'rw-register'): OpCheck {
  return txnHistoryCheck(workload === 'list-append' ? 'append' : 'w');
}
