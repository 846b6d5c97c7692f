// bench/rsm.ts — write throughput and latency of each protocol on a 3-node loopback cluster.
//
//   npm run bench:rsm [-- --duration-ms 3000 --protocols naive,raft --concurrency 1,10,100]
//
// For each protocol: start real node processes (fsync always), wait until a write succeeds,
// then for each concurrency run that many closed-loop writers (distinct keys, one outstanding
// write each) for a fixed duration; report ok writes per second and p50/p99 latency of ok
// writes, plus fail/info counts. Numbers are from a shared 2-core machine: compare, don't quote.
import * as http from 'node:http';
import { parseArgs } from 'node:util';
import { KvClient, type ClientMode } from '../rsm/client/client.ts';
import { ProcCluster, killAllProcs } from '../test/support/cluster-procs.ts';

/** MODES: how the client talks to each protocol. */
const MODES: Record<string, ClientMode> = {
  naive: 'fanout',
  'primary-backup': 'failover-on-timeout',
  'async-backup': 'follow-redirect',
  viewservice: 'follow-redirect',
  raft: 'follow-redirect',
};
const WRITABLE_TIMEOUT_MS = 15_000;

/** CellResult: one (protocol, concurrency) measurement. */
interface CellResult {
  protocol: string;
  concurrency: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  fail: number;
  info: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function waitWritable(endpoints: Record<string, string>, mode: ClientMode, agent: http.Agent): Promise<void> {
  const client = new KvClient({ endpoints, mode, agent, requestTimeoutMs: 1000 });
  const deadline = Date.now() + WRITABLE_TIMEOUT_MS;
  for (let i = 0; Date.now() < deadline; i += 1) {
    const r = await client.write('bench-probe', i);
    if (r.type === 'ok') return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no write succeeded within ${WRITABLE_TIMEOUT_MS} ms`);
}

async function runCell(protocol: string, endpoints: Record<string, string>, concurrency: number, durationMs: number, agent: http.Agent): Promise<CellResult> {
  const mode = MODES[protocol];
  const latenciesMs: number[] = [];
  const counts = { ok: 0, fail: 0, info: 0 };
  const endAt = performance.now() + durationMs;
  const workers = Array.from({ length: concurrency }, async (_, w) => {
    let client = new KvClient({ endpoints, mode, agent, requestTimeoutMs: 2000 });
    for (let i = 0; performance.now() < endAt && i < 10_000_000; i += 1) {
      const start = performance.now();
      const r = await client.write(`c${concurrency}-w${w}`, i);
      counts[r.type] += 1;
      if (r.type === 'ok') latenciesMs.push(performance.now() - start);
      // After an info the Jepsen process is done; a fresh client id continues, as workloads do.
      if (r.type === 'info') client = new KvClient({ endpoints, mode, agent, requestTimeoutMs: 2000, preferred: client.node });
    }
  });
  const start = performance.now();
  await Promise.all(workers);
  const elapsedS = (performance.now() - start) / 1000;
  latenciesMs.sort((a, b) => a - b);
  return {
    protocol, concurrency, opsPerSec: counts.ok / elapsedS,
    p50Ms: percentile(latenciesMs, 50), p99Ms: percentile(latenciesMs, 99), ...counts,
  };
}

function formatTable(rows: Array<CellResult | { protocol: string; error: string }>): string {
  const header = ['protocol', 'conc', 'writes/s', 'p50 ms', 'p99 ms', 'ok', 'fail', 'info'];
  const lines = rows.map((r) => ('error' in r
    ? [r.protocol, '-', `unavailable: ${r.error}`, '', '', '', '', '']
    : [r.protocol, String(r.concurrency), r.opsPerSec.toFixed(0), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2), String(r.ok), String(r.fail), String(r.info)]));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.filter((l) => !l[2].startsWith('unavailable')).map((l) => l[i].length)));
  const fmt = (cells: string[]): string => `| ${cells.map((c, i) => (c.startsWith('unavailable') ? c : c.padEnd(widths[i]))).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

async function benchProtocol(protocol: string, concurrencies: number[], durationMs: number): Promise<Array<CellResult | { protocol: string; error: string }>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  let cluster: ProcCluster | null = null;
  try {
    cluster = await ProcCluster.start({ protocol, replicas: ['n1', 'n2', 'n3'] });
    const endpoints = cluster.endpoints();
    await waitWritable(endpoints, MODES[protocol], agent);
    const rows: CellResult[] = [];
    for (const c of concurrencies) {
      const row = await runCell(protocol, endpoints, c, durationMs, agent);
      process.stderr.write(`${protocol} c=${c}: ${row.opsPerSec.toFixed(0)} writes/s p50 ${row.p50Ms.toFixed(2)} ms p99 ${row.p99Ms.toFixed(2)} ms\n`);
      rows.push(row);
    }
    return rows;
  } catch (err) {
    return [{ protocol, error: (err as Error).message.split('\n')[0] }];
  } finally {
    agent.destroy();
    await cluster?.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'duration-ms': { type: 'string', default: '3000' },
      protocols: { type: 'string', default: Object.keys(MODES).join(',') },
      concurrency: { type: 'string', default: '1,10,100' },
    },
  });
  const durationMs = Number(values['duration-ms']);
  const protocols = values.protocols.split(',');
  const concurrencies = values.concurrency.split(',').map(Number);
  if (!(durationMs > 0)) throw new Error(`--duration-ms: expected a positive number, got ${values['duration-ms']}`);
  for (const p of protocols) if (MODES[p] === undefined) throw new Error(`--protocols: unknown ${p}; expected ${Object.keys(MODES).join(', ')}`);
  for (const c of concurrencies) if (!(Number.isSafeInteger(c) && c > 0)) throw new Error(`--concurrency: bad value ${c}`);
  const rows: Array<CellResult | { protocol: string; error: string }> = [];
  for (const p of protocols) rows.push(...(await benchProtocol(p, concurrencies, durationMs)));
  process.stdout.write(`3 replicas on 127.0.0.1, fsync always, tick 10 ms, ${durationMs} ms per cell, closed-loop writers\n`);
  process.stdout.write(`${formatTable(rows)}\n`);
}

main().then(
  () => killAllProcs().then(() => process.exit(0)),
  (err: Error) => {
    process.stderr.write(`bench:rsm: ${err.message}\n`);
    void killAllProcs().then(() => process.exit(3));
  },
);
