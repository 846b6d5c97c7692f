// bench/load.ts — the closed-loop load generator the rsm bench runs against every system alike.
//
// A cell is (system, op, concurrency): that many workers, each with its own key and one request
// outstanding, for a fixed duration. Throughput counts ok ops; latencies are of ok ops only.

/** Outcome: Jepsen's three completions, as the load generator counts them. */
export type Outcome = 'ok' | 'fail' | 'info';

/** LoadWorker: one closed-loop client of a system; a worker issues one request at a time. */
export interface LoadWorker {
  write(key: string, value: number): Promise<Outcome>;
  read(key: string): Promise<Outcome>;
}

/** LoadTarget: a running system the generator can open workers on. */
export interface LoadTarget {
  /** system names the column, e.g. "raft-3 (log reads)". */
  system: string;
  openWorker(index: number): LoadWorker;
}

/** CellResult: one (system, op, concurrency) measurement. */
export interface CellResult {
  system: string;
  op: 'write' | 'read';
  concurrency: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  fail: number;
  info: number;
}

/** OPS_PER_WORKER_MAX bounds one worker's loop whatever the duration. */
const OPS_PER_WORKER_MAX = 10_000_000;

/** percentile of an ascending array (nearest rank); NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** runCell runs one cell and returns its figures. */
export async function runCell(target: LoadTarget, op: 'write' | 'read', concurrency: number, durationMs: number): Promise<CellResult> {
  const latenciesMs: number[] = [];
  const counts = { ok: 0, fail: 0, info: 0 };
  const endAt = performance.now() + durationMs;
  const workers = Array.from({ length: concurrency }, async (_, w) => {
    const worker = target.openWorker(w);
    const key = `c${concurrency}-w${w}`;
    for (let i = 0; performance.now() < endAt && i < OPS_PER_WORKER_MAX; i += 1) {
      const start = performance.now();
      const outcome = op === 'write' ? await worker.write(key, i) : await worker.read(key);
      counts[outcome] += 1;
      if (outcome === 'ok') latenciesMs.push(performance.now() - start);
    }
  });
  const start = performance.now();
  await Promise.all(workers);
  const elapsedS = (performance.now() - start) / 1000;
  latenciesMs.sort((a, b) => a - b);
  return {
    system: target.system, op, concurrency, opsPerSec: counts.ok / elapsedS,
    p50Ms: percentile(latenciesMs, 50), p99Ms: percentile(latenciesMs, 99), ...counts,
  };
}

/** formatTable renders rows as a Markdown table with padded columns. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(fmt)].join('\n');
}

/** cellRow: one measurement as a table row. */
export function cellRow(r: CellResult): string[] {
  return [r.system, r.op, String(r.concurrency), r.opsPerSec.toFixed(0), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2), String(r.ok), String(r.fail), String(r.info)];
}

/** CELL_HEADER: the header matching cellRow. */
export const CELL_HEADER = ['system', 'op', 'conc', 'ops/s', 'p50 ms', 'p99 ms', 'ok', 'fail', 'info'];

/**
 * sideBySide: one row per (op, concurrency), one column per system, each cell
 * "ops/s (p50/p99 ms)", so raft and etcd line up.
 */
export function sideBySide(results: CellResult[]): string {
  const systems = [...new Set(results.map((r) => r.system))];
  const keys = [...new Set(results.map((r) => `${r.op}|${r.concurrency}`))];
  const rows = keys.map((k) => {
    const [op, conc] = k.split('|');
    return [op, conc, ...systems.map((s) => {
      const r = results.find((x) => x.system === s && `${x.op}|${x.concurrency}` === k);
      return r === undefined ? '-' : `${r.opsPerSec.toFixed(0)} (${r.p50Ms.toFixed(1)}/${r.p99Ms.toFixed(1)})`;
    })];
  });
  return formatTable(['op', 'conc', ...systems.map((s) => `${s} ops/s (p50/p99 ms)`)], rows);
}
