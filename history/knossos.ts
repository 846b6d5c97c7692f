// history/knossos.ts — read Jepsen/Knossos EDN histories (and Porcupine's kv files) as Ops.
import { readEdnForms } from './edn.ts';
import { VALUE_DEPTH_MAX } from './limits.ts';
import { openText, type TextInput } from './lines.ts';
import { opFromRecord } from './op-record.ts';
import type { Op } from './op.ts';

/**
 * readKnossosOps streams the ops of an EDN history: either one map per line (Porcupine kv,
 * Jepsen history.edn) or one top-level vector/list of maps over many lines (Knossos data);
 * several top-level forms of either kind are read in order. Each map needs :type
 * (:invoke/:ok/:fail/:info), :process (integer or :nemesis) and :f; :value, :key, :time,
 * :index, :node and :error are taken when present (see op-record.ts). Without :index an op's
 * index is its position in the file; without :time it has none. Other keys are ignored.
 * Values nest at most VALUE_DEPTH_MAX deep. `lines`, when given, receives each op's line.
 */
export async function* readKnossosOps(input: TextInput, lines?: number[]): AsyncGenerator<Op> {
  const source = openText(input);
  let count = 0;
  // Depth counts the top-level vector and the op's map around its value.
  const opts = { streamTopLevelSeq: true, depthMax: VALUE_DEPTH_MAX + 2 };
  for await (const item of readEdnForms(source, opts)) {
    const ctx = { file: source.name, line: item.line, indexDefault: count, syntax: 'edn' } as const;
    lines?.push(item.line);
    yield opFromRecord(item.value, ctx);
    count += 1;
  }
}
