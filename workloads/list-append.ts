// workloads/list-append.ts — Elle's list-append: txns of appends and reads, checked for isolation anomalies.
import type { Op } from '../history/op.ts';
import type { Rng } from '../rsm/core/types.ts';
import { checkTxnWorkload, type ElleWorkloadResult } from './elle-check.ts';
import { finalReadGenerator, invokeTxn, TXN_KNOBS_DEFAULT, txnGenerator, validateKnobs, type TxnKnobs } from './txn-keys.ts';
import type { CheckOptions, KvClientLike, OpSpec, Workload, WorkloadContext } from './types.ts';

/**
 * makeListAppendWorkload: list-append with the given knobs. Each txn is 1..n micro-ops
 * ["append", k, v] / ["r", k, null]; every appended value is unique per key, so a read list
 * reveals the order of the appends it holds and Elle can infer ww, wr and rw edges from it.
 */
export function makeListAppendWorkload(knobs: TxnKnobs = TXN_KNOBS_DEFAULT): Workload {
  validateKnobs(knobs);
  return {
    name: 'list-append',
    description: 'Elle list-append: txns of appends and reads over rotating keys, checked for G0/G1/G2 anomalies (--consistency-model)',
    generator: (thread: number, rng: Rng, ctx: WorkloadContext) => txnGenerator('append', thread, rng, ctx, knobs),
    finalGenerator: (thread: number, ctx: WorkloadContext, mainOps: readonly Op[]) => finalReadGenerator(thread, ctx, mainOps),
    invoke: (client: KvClientLike, op: OpSpec) => invokeTxn(client, op, 'list-append'),
    check: (history: readonly Op[], opts: CheckOptions): Promise<ElleWorkloadResult> => Promise.resolve(checkTxnWorkload('list-append', history, opts)),
  };
}

/** listAppendWorkload: list-append with Elle's default knobs. */
export const listAppendWorkload: Workload = makeListAppendWorkload();
