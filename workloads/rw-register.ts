// workloads/rw-register.ts — Elle's rw-register: txns of writes and reads, checked for isolation anomalies.
import { TXN_KNOBS_DEFAULT, type TxnKnobs } from './txn-keys.ts';
import { makeTxnWorkload } from './txn-workload.ts';
import type { Workload } from './types.ts';

/**
 * makeRwRegisterWorkload: rw-register with the given knobs. Each txn is 1..n micro-ops
 * ["w", k, v] / ["r", k, null]; every written value is unique per key, so a read names the one
 * write it saw (wr) and Elle infers version orders from what writes and reads allow.
 */
export function makeRwRegisterWorkload(knobs: TxnKnobs = TXN_KNOBS_DEFAULT): Workload {
  return makeTxnWorkload({
    name: 'rw-register',
    writeF: 'w',
    description: 'Elle rw-register: txns of writes and reads over rotating keys, checked for G0/G1/G2 anomalies (--consistency-model)',
  }, knobs);
}

/** rwRegisterWorkload: rw-register with Elle's default knobs. */
export const rwRegisterWorkload: Workload = makeRwRegisterWorkload();
