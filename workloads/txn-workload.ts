// workloads/txn-workload.ts — the one shape of Elle's transactional workloads (list-append, rw-register).
import type { Op } from '../history/op.ts';
import type { ElleWorkload } from '../checker/elle/index.ts';
import type { Rng } from '../lib/rng.ts';
import { checkTxnWorkload, type ElleWorkloadResult } from './elle-check.ts';
import { finalReadGenerator, invokeTxn, txnGenerator, validateKnobs, type TxnKnobs } from './txn-keys.ts';
import type { WorkloadCheckOptions, KvClientLike, OpSpec, Workload, WorkloadContext } from './types.ts';

/** TxnWorkloadKind: what differs between the two workloads: the name and the write micro-op. */
export interface TxnWorkloadKind {
  name: ElleWorkload;
  writeF: 'append' | 'w';
  description: string;
}

/** makeTxnWorkload builds a txn workload: rotating keys, final reads of every key, checked by Elle. */
export function makeTxnWorkload(kind: TxnWorkloadKind, knobs: TxnKnobs): Workload {
  validateKnobs(knobs);
  return {
    name: kind.name,
    description: kind.description,
    generator: (thread: number, rng: Rng, ctx: WorkloadContext) => txnGenerator(kind.writeF, thread, rng, ctx, knobs),
    finalGenerator: (thread: number, ctx: WorkloadContext, drawn: readonly OpSpec[]) => finalReadGenerator(thread, ctx, drawn),
    invoke: (client: KvClientLike, op: OpSpec) => invokeTxn(client, op, kind.name),
    check: (history: readonly Op[], opts: WorkloadCheckOptions): Promise<ElleWorkloadResult> => Promise.resolve(checkTxnWorkload(kind.name, history, opts)),
  };
}
