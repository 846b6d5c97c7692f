// scripts/gen-history.ts — writes a large synthetic, linearizable multi-key cas-register history.
//
// Used by `npm run bench:checker` (and usable alone) to show the checker on a 1M-op history:
// independent keys, `concurrency` client threads, read/write/cas with a small value domain so
// cas both succeeds and fails, and a few `info` ops that did or did not take effect. Each op
// takes effect at a random instant between its invoke and its completion, so the history is
// linearizable by construction and the search must prove it (the expensive case).
import { closeSync, openSync, writeSync } from 'node:fs';
import { Command } from 'commander';
import { parsePositiveInt } from '../control/arg-parsers.ts';
import { SeededRng } from '../lib/rng.ts';

export interface GenOptions {
  ops: number;
  keys: number;
  concurrency: number;
  /** infoRate: fraction of writes/cas that complete as info (then take effect half the time). */
  infoRate: number;
  seed: number;
}

type Phase = 'invoke' | 'effect' | 'complete';

interface Thread {
  process: number;
  phase: Phase;
  timeNs: number;
  key: number;
  f: 'read' | 'write' | 'cas';
  value: unknown;
  outcome: 'ok' | 'fail' | 'info';
  result: unknown;
}

/** MinHeap of thread indexes ordered by the time of their next event. */
class ThreadHeap {
  private readonly items: number[] = [];
  constructor(private readonly threads: Thread[]) {}
  get size(): number { return this.items.length; }
  push(i: number): void {
    const a = this.items;
    a.push(i);
    let c = a.length - 1;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (this.less(a[p], a[c])) break;
      [a[p], a[c]] = [a[c], a[p]];
      c = p;
    }
  }
  pop(): number {
    const a = this.items;
    const top = a[0];
    const last = a.pop() as number;
    if (a.length > 0) {
      a[0] = last;
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        const r = l + 1;
        let m = p;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === p) break;
        [a[p], a[m]] = [a[m], a[p]];
        p = m;
      }
    }
    return top;
  }
  private less(x: number, y: number): boolean {
    const tx = this.threads[x].timeNs;
    const ty = this.threads[y].timeNs;
    return tx < ty || (tx === ty && x < y);
  }
}

/** generateHistory writes the history as JSONL to `path` and returns the number of lines. */
export function generateHistory(path: string, options: GenOptions): number {
  const rng = new SeededRng(options.seed);
  const registers = new Array<number | null>(options.keys).fill(null);
  const threads: Thread[] = [];
  for (let i = 0; i < options.concurrency; i += 1) {
    threads.push({ process: i, phase: 'invoke', timeNs: rng.int(1000), key: 0, f: 'read', value: null, outcome: 'ok', result: null });
  }
  const heap = new ThreadHeap(threads);
  threads.forEach((_, i) => heap.push(i));
  const fd = openSync(path, 'w');
  let buffer: string[] = [];
  let index = 0;
  let invoked = 0;
  const emit = (line: object): void => {
    buffer.push(JSON.stringify({ index: index++, ...line }));
    if (buffer.length >= 10_000) { writeSync(fd, buffer.join('\n') + '\n'); buffer = []; }
  };
  const span = (): number => 200_000 + rng.int(2_000_000);
  while (heap.size > 0) {
    const i = heap.pop();
    const t = threads[i];
    if (t.phase === 'invoke') {
      if (invoked >= options.ops) continue;
      invoked += 1;
      t.key = rng.int(options.keys);
      const roll = rng.next();
      t.f = roll < 0.5 ? 'read' : roll < 0.75 ? 'write' : 'cas';
      t.value = t.f === 'read' ? null : t.f === 'write' ? rng.int(5) : [rng.int(5), rng.int(5)];
      emit({ time: t.timeNs, type: 'invoke', process: t.process, f: t.f, key: t.key, value: t.value });
      t.outcome = t.f !== 'read' && rng.next() < options.infoRate ? 'info' : 'ok';
      t.phase = 'effect';
      t.timeNs += span();
    } else if (t.phase === 'effect') {
      // The linearization point: the op takes effect now (an info op only half the time).
      const applies = t.outcome !== 'info' || rng.next() < 0.5;
      const current = registers[t.key];
      if (t.f === 'read') t.result = current;
      else if (t.f === 'write') { if (applies) registers[t.key] = t.value as number; t.result = t.value; }
      else {
        const [expected, next] = t.value as [number, number];
        const matches = current === expected;
        if (applies && matches) registers[t.key] = next;
        if (t.outcome !== 'info') t.outcome = matches ? 'ok' : 'fail';
        t.result = t.value;
      }
      t.phase = 'complete';
      t.timeNs += span();
    } else {
      const error = t.outcome === 'info' ? 'timeout' : t.outcome === 'fail' ? 'cas mismatch' : undefined;
      const value = t.outcome === 'info' ? t.value : t.result;
      emit({ time: t.timeNs, type: t.outcome, process: t.process, f: t.f, key: t.key, value, ...(error ? { error } : {}) });
      // Jepsen's process model: after an info the thread continues as a new process.
      if (t.outcome === 'info') t.process += options.concurrency;
      t.phase = 'invoke';
      t.timeNs += rng.int(50_000);
    }
    if (t.phase !== 'invoke' || invoked < options.ops) heap.push(i);
  }
  if (buffer.length > 0) writeSync(fd, buffer.join('\n') + '\n');
  closeSync(fd);
  return index;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const program = new Command('gen-history')
    .description('write a synthetic linearizable multi-key cas-register history (JSONL); check it with --model multi-register')
    .requiredOption('-o, --out <file>', 'output JSONL file')
    .option('--ops <n>', 'operations (invoke + completion pairs)', parsePositiveInt('--ops'), 1_000_000)
    .option('--keys <n>', 'independent keys', parsePositiveInt('--keys'), 1000)
    .option('--concurrency <n>', 'client threads', parsePositiveInt('--concurrency'), 20)
    .option('--info-rate <p>', 'fraction of writes/cas completing as info', Number, 0.002)
    .option('--seed <n>', 'random seed', parsePositiveInt('--seed'), 1)
    .exitOverride();
  try {
    program.parse();
  } catch {
    process.exit(3);
  }
  const o = program.opts<{ out: string; ops: number; keys: number; concurrency: number; infoRate: number; seed: number }>();
  const lines = generateHistory(o.out, { ops: o.ops, keys: o.keys, concurrency: o.concurrency, infoRate: o.infoRate, seed: o.seed });
  process.stderr.write(`gen-history: wrote ${lines} lines (${o.ops} ops, ${o.keys} keys, concurrency ${o.concurrency}, seed ${o.seed}) to ${o.out}\n`);
}
