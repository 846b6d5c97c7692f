// history/knossos.ts — read Jepsen/Knossos EDN histories (and Porcupine's kv files) as Ops.
import { readEdnForms } from './edn.ts';
import { opFromRecord, type OpCheck } from './op-record.ts';
import type { Op } from './op.ts';

/**
 * readKnossosOps streams the ops of an EDN history: either one map per line (Porcupine kv,
 * Jepsen history.edn) or one top-level vector/list of maps over many lines (Knossos data);
 * several top-level forms of either kind are read in order. Each map needs :type
 * (:invoke/:ok/:fail/:info), :process (integer or :nemesis) and :f; :value, :key, :time,
 * :index, :node and :error are taken when present (see op-record.ts). Without :index an op's
 * index is its position in the file; without :time it has none. Other keys are ignored.
 * `check`, when given, inspects every op as well (see OpCheck).
 */
export async function* readKnossosOps(path: string, check?: OpCheck): AsyncGenerator<Op> {
  let count = 0;
  for await (const item of readEdnForms(path, { streamTopLevelSeq: true })) {
    const ctx = { file: path, line: item.line, indexDefault: count, syntax: 'edn', check } as const;
    yield opFromRecord(item.value, ctx);
    count += 1;
  }
}
