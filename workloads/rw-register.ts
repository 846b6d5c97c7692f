// workloads/rw-register.ts — Elle's rw-register: txns of writes and reads, checked for isolation anomalies.
import type { Op } from '../history/op.ts';
import type { Rng } from '../rsm/core/types.ts';
import { checkTxnWorkload, type ElleWorkloadResult } from './elle-check.ts';
import { finalReadGenerator, invokeTxn, TXN_KNOBS_DEFAULT, txnGenerator, validateKnobs, type TxnKnobs } from './txn-keys.ts';
import type { CheckOptions, KvClientLike, OpSpec, Workload, WorkloadContext } from './types.ts';

/**
 * makeRwRegisterWorkload: rw-register with the given knobs. Each txn is 1..n micro-ops
 * ["w", k, v] / ["r", k, null]; every written value is unique per key, so a read names the one
 * write it saw (wr) and Elle infers version orders from what writes and reads allow.
 */
export function makeRwRegisterWorkload(knobs: TxnKnobs = TXN_KNOBS_DEFAULT): Workload {
  validateKnobs(knobs);
  return {
    name: 'rw-register',
    description: 'Elle rw-register: txns of writes and reads over rotating keys, checked for G0/G1/G2 anomalies (--consistency-model)',
    generator: (thread: number, rng: Rng, ctx: WorkloadContext) => txnGenerator('w', thread, rng, ctx, knobs),
    finalGenerator: (thread: number, ctx: WorkloadContext, mainOps: readonly Op[]) => finalReadGenerator(thread, ctx, mainOps),
    invoke: (client: KvClientLike, op: OpSpec) => invokeTxn(client, op, 'rw-register'),
    check: (history: readonly Op[], opts: CheckOptions): Promise<ElleWorkloadResult> => Promise.resolve(checkTxnWorkload('rw-register', history, opts)),
  };
}

/** rwRegisterWorkload: rw-register with Elle's default knobs. */
export const rwRegisterWorkload: Workload = makeRwRegisterWorkload();
