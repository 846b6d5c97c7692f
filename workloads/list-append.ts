// workloads/list-append.ts — Elle's list-append: txns of appends and reads, checked for isolation anomalies.
import { TXN_KNOBS_DEFAULT, type TxnKnobs } from './txn-keys.ts';
import { makeTxnWorkload } from './txn-workload.ts';
import type { Workload } from './types.ts';

/**
 * makeListAppendWorkload: list-append with the given knobs. Each txn is 1..n micro-ops
 * ["append", k, v] / ["r", k, null]; every appended value is unique per key, so a read list
 * reveals the order of the appends it holds and Elle can infer ww, wr and rw edges from it.
 */
export function makeListAppendWorkload(knobs: TxnKnobs = TXN_KNOBS_DEFAULT): Workload {
  return makeTxnWorkload({
    name: 'list-append',
    writeF: 'append',
    description: 'Elle list-append: txns of appends and reads over rotating keys, checked for G0/G1/G2 anomalies (--consistency-model)',
  }, knobs);
}

/** listAppendWorkload: list-append with Elle's default knobs. */
export const listAppendWorkload: Workload = makeListAppendWorkload();
