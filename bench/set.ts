// bench/set.ts — `npm run bench:set`: the set checker's time as elements × reads grow.
//
// A history of `elements` acknowledged adds (10 processes) with `reads` reads spread among
// them; each read sees every element added so far except every 1000th (lost), written as
// integer ranges the way the set workload records them (workloads/set-read.ts). Elements × reads
// goes up to 10^10 here; the checker's work should follow the history's size (adds + ranges),
// not that product. The last row gives the same largest history a 1 ms budget: it must answer
// unknown, not run on (pairing the history comes first and is not bounded). Check time only
// (the history is built in memory, not parsed); CPU is user + system, GC threads included.
import os from 'node:os';
import type { Op } from '../history/op.ts';
import { checkSet } from '../workloads/set-check.ts';

const SIZES: Array<[elements: number, reads: number]> = [
  [10_000, 1_000],
  [100_000, 1_000],
  [100_000, 10_000],
  [1_000_000, 10_000],
];
const LOST_EVERY = 1000;

function setHistory(elements: number, reads: number): Op[] {
  const history: Op[] = [];
  const push = (op: Omit<Op, 'index' | 'time'>): void => {
    history.push({ index: history.length, time: history.length, ...op });
  };
  const readEvery = Math.max(1, Math.floor(elements / reads));
  let readsDone = 0;
  for (let e = 0; e < elements; e++) {
    const process = e % 10;
    push({ type: 'invoke', process, f: 'add', value: e });
    push({ type: 'ok', process, f: 'add', value: e });
    if ((e + 1) % readEvery !== 0 || readsDone >= reads) continue;
    // A read sees 0..e but the lost ones: one range between each two lost elements.
    const ranges: Array<[number, number]> = [];
    for (let lo = 0; lo <= e; lo += LOST_EVERY) {
      const hi = Math.min(e, lo + LOST_EVERY - 2);
      if (lo <= hi) ranges.push([lo, hi]);
    }
    push({ type: 'invoke', process: 10, f: 'read', value: null });
    push({ type: 'ok', process: 10, f: 'read', value: { ranges } });
    readsDone++;
  }
  return history;
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`bench:set on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${new Date().toISOString()}, load ${load()}`);
const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
console.log('elements | reads | elements × reads | ranges read | check wall | check CPU | verdict | lost');
console.log('---|---|---|---|---|---|---|---');
let largest: Op[] = [];
for (const [elements, reads] of SIZES) {
  const history = setHistory(elements, reads);
  const ranges = history.reduce((n, op) => n + (op.type === 'ok' && op.f === 'read' ? (op.value as { ranges: unknown[] }).ranges.length : 0), 0);
  const start = performance.now();
  const cpu = cpuMs();
  const result = checkSet(history, { timeoutMs: 120_000 });
  const ms = performance.now() - start;
  console.log(`${elements} | ${reads} | ${(elements * reads).toExponential(0)} | ${ranges} | ${ms.toFixed(0)} ms | ${(cpuMs() - cpu).toFixed(0)} ms | ${String(result.valid)} | ${result.lostCount}`);
  largest = history;
}
const start = performance.now();
const cpu = cpuMs();
const bounded = checkSet(largest, { timeoutMs: 1 });
console.log(`(largest, 1 ms budget) | | | | ${(performance.now() - start).toFixed(0)} ms | ${(cpuMs() - cpu).toFixed(0)} ms | ${String(bounded.valid)}: ${bounded.unknownReason ?? ''} |`);
console.log(`load at the end: ${load()}`);
