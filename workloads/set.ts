// workloads/set.ts — unique adds to one list-valued key and whole-set reads, checked as Jepsen's set-full.
import type { Op } from '../history/op.ts';
import type { Rng } from '../lib/rng.ts';
import { checkSet } from './set-check.ts';
import { encodeSetRead } from './set-read.ts';
import type { WorkloadCheckOptions, Completion, KvClientLike, OpGenerator, OpSpec, Workload, WorkloadContext, WorkloadResult } from './types.ts';
import { listGenerator } from './types.ts';

/**
 * SET_KEY: the whole set lives in one key as a list, each add one atomic txn append. One key
 * makes a lost element observable: every read returns every element the replica holds, so an
 * acknowledged add missing from later reads is lost, not merely on some other key.
 */
export const SET_KEY = 'set';

/** READ_ODDS: one op in READ_ODDS is a read; the rest are adds. */
const READ_ODDS = 4;

/** setElement: thread t's i-th add adds t + i × concurrency, so elements are unique across threads. */
export function setElement(thread: number, addNumber: number, concurrency: number): number {
  return thread + addNumber * concurrency;
}

function generator(thread: number, rng: Rng, ctx: WorkloadContext): OpGenerator {
  let adds = 0;
  return {
    next: () => {
      if (rng.int(READ_ODDS) === 0) return { f: 'read', value: null };
      return { f: 'add', value: setElement(thread, adds++, ctx.concurrency) };
    },
  };
}

/** finalGenerator: after healing every thread reads the set once, through its own node. */
function finalGenerator(): OpGenerator {
  return listGenerator([{ f: 'read', value: null }]);
}

async function invoke(client: KvClientLike, op: OpSpec): Promise<Completion> {
  switch (op.f) {
    case 'add': {
      const done = await client.txn([['append', SET_KEY, op.value]]);
      // The completion carries the element (the invoke's value), not the txn's micro-ops.
      return { type: done.type, error: done.error, node: done.node };
    }
    case 'read': {
      // Every read returns the whole set: written as ranges it costs a line, not the set (set-read.ts).
      const done = await client.read(SET_KEY);
      return done.type === 'ok' ? { ...done, value: encodeSetRead(done.value) } : done;
    }
    default:
      throw new Error(`set: unknown f ${JSON.stringify(op.f)}`);
  }
}

async function check(history: readonly Op[], opts: WorkloadCheckOptions): Promise<WorkloadResult> {
  return checkSet(history, { timeoutMs: opts.timeoutMs });
}

/** setWorkload: Jepsen's set-full test over one list-valued key. */
export const setWorkload: Workload = {
  name: 'set',
  description: 'unique adds (txn append to one list key) and whole-set reads; lost, stale, unexpected, duplicated and never-read elements as Jepsen set-full',
  generator,
  finalGenerator,
  invoke,
  check,
};
