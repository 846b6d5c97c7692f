// history/knossos.ts — read Jepsen/Knossos EDN histories (and Porcupine's kv files) as Ops.
import { readEdnForms } from './edn.ts';
import { opFromRecord } from './op-record.ts';
import type { Op } from './op.ts';

/**
 * readKnossosOps streams the ops of an EDN history: either one map per line (Porcupine kv,
 * Jepsen history.edn) or one top-level vector/list of maps over many lines (Knossos data);
 * several top-level forms of either kind are read in order. Each map needs :type
 * (:invoke/:ok/:fail/:info), :process (integer or :nemesis) and :f; :value, :key, :time,
 * :index, :node and :error are taken when present (see op-record.ts). Without :index an op's
 * index is its position in the file; without :time it has none. Other keys are ignored.
 */
export async function* readKnossosOps(path: string): AsyncGenerator<Op> {
  let count = 0;
  for await (const item of readEdnForms(path, { streamTopLevelSeq: true })) {
    const ctx = { file: path, line: item.line, indexDefault: count, syntax: 'edn' } as const;
    yield opFromRecord(item.value, ctx);
    count += 1;
  }
}
