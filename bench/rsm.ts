// bench/rsm.ts — throughput and latency of the rsm protocols, raft on 3 and 5 nodes, and etcd.
//
//   npm run bench:rsm [-- --duration-ms 2000 --concurrency 1,10,100 --raft-nodes 3,5 --rounds 1
//                        --protocols naive,primary-backup,async-backup,viewservice --no-etcd]
//
// Every system runs on 127.0.0.1 with fsync on, and the same closed-loop load generator
// (bench/load.ts) drives it. Raft: writes and log reads on one cluster, ReadIndex reads on a
// second one (the read path is a node flag). etcd (Debian's etcd-server, 3 members, defaults,
// WAL fsync on) is driven through the etcd DB of the suite: its own gRPC client (npm etcd3,
// db/etcd/client.ts), not the JSON gateway, whose translation hop inside etcd would flatter
// raft; when etcd is not installed the bench says so and skips it. The other protocols get write cells on 3 nodes. Clients talk to the leader
// (raft follows redirects; etcd is sent to the member that reports itself leader). etcd stays
// up while each raft cluster runs, and each cell runs on raft then on etcd right after, round
// after round (--rounds), so both see the same background load; tables show the median round.
// The figures come from whatever machine runs this (printed first); on a 2-core machine the
// nodes and the load generator share the CPUs, so compare columns, don't quote absolutes.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { KvClient, type ClientMode, type ClientResult } from '../rsm/client/client.ts';
import { ProcCluster, killAllProcs } from '../test/support/cluster-procs.ts';
import { ETCD_BINARY, etcdVersion } from '../db/etcd/members.ts';
import { startEtcdBench, type EtcdBench } from './etcd.ts';
import {
  CELL_HEADER, cellRow, formatTable, runCell, sideBySide, type CellResult, type LoadTarget, type Outcome,
} from './load.ts';

/** MODES: how the client talks to each protocol. */
const MODES: Record<string, ClientMode> = {
  naive: 'fanout',
  'primary-backup': 'failover-on-timeout',
  'async-backup': 'follow-redirect',
  viewservice: 'follow-redirect',
  raft: 'follow-redirect',
  paxos: 'follow-redirect',
};
const WRITABLE_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 2000;
const WARMUP_MS = 1000;

type Row = CellResult | { system: string; error: string };

/** rsmTarget: KvClient workers; after an info a worker continues as a fresh client, as workloads do. */
function rsmTarget(system: string, endpoints: Record<string, string>, mode: ClientMode, agent: http.Agent): LoadTarget {
  const outcome = (r: ClientResult): Outcome => r.type;
  return {
    system,
    openWorker() {
      let client = new KvClient({ endpoints, mode, agent, requestTimeoutMs: REQUEST_TIMEOUT_MS });
      const renew = (r: ClientResult): Outcome => {
        if (r.type === 'info') client = new KvClient({ endpoints, mode, agent, requestTimeoutMs: REQUEST_TIMEOUT_MS, preferred: client.node });
        return outcome(r);
      };
      return {
        write: async (key, value) => renew(await client.write(key, value)),
        read: async (key) => renew(await client.read(key)),
      };
    },
  };
}

async function waitWritable(target: LoadTarget): Promise<void> {
  const worker = target.openWorker(0);
  const deadline = Date.now() + WRITABLE_TIMEOUT_MS;
  for (let i = 0; Date.now() < deadline; i += 1) {
    if ((await worker.write('bench-probe', i)) === 'ok') return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${target.system}: no write succeeded within ${WRITABLE_TIMEOUT_MS} ms`);
}

/** Plan: which cells to run; every round runs each cell on each live system in turn. */
interface Plan {
  ops: Array<'write' | 'read'>;
  concurrencies: number[];
  durationMs: number;
  rounds: number;
}

/**
 * runInterleaved runs each (op, concurrency) cell on every target back to back, round after
 * round, so that systems compared with each other see the same background load.
 */
async function runInterleaved(targets: LoadTarget[], plan: Plan): Promise<CellResult[]> {
  for (const t of targets) {
    await waitWritable(t);
    // Warm up (JIT, connections, first snapshot) so the first cell is not penalised.
    await runCell(t, 'write', 10, WARMUP_MS);
  }
  const rows: CellResult[] = [];
  for (let round = 0; round < plan.rounds; round += 1) {
    for (const op of plan.ops) {
      for (const c of plan.concurrencies) {
        for (const t of targets) {
          const r = await runCell(t, op, c, plan.durationMs);
          process.stderr.write(`${r.system} ${op} c=${c}: ${r.opsPerSec.toFixed(0)} ops/s p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms (fail ${r.fail}, info ${r.info})\n`);
          rows.push(r);
        }
      }
    }
  }
  return rows;
}

/** median keeps, per (system, op, concurrency), the measurement with the median throughput. */
function median(rows: CellResult[]): CellResult[] {
  const groups = new Map<string, CellResult[]>();
  for (const r of rows) {
    const k = `${r.system}|${r.op}|${r.concurrency}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((g) => g.sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor((g.length - 1) / 2)]);
}

/** withRsm runs body with a started rsm cluster's target and stops the cluster afterwards. */
async function withRsm(system: string, protocol: string, nodes: number, extraArgs: string[], body: (t: LoadTarget) => Promise<CellResult[]>): Promise<Row[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  let cluster: ProcCluster | null = null;
  try {
    const replicas = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
    cluster = await ProcCluster.start({ protocol, replicas, extraArgs });
    return await body(rsmTarget(system, cluster.endpoints(), MODES[protocol], agent));
  } catch (err) {
    return [{ system, error: (err as Error).message.split('\n')[0] }];
  } finally {
    agent.destroy();
    await cluster?.stop();
  }
}

function parseList(flag: string, text: string): number[] {
  const out = text.split(',').filter((s) => s !== '').map(Number);
  for (const n of out) if (!(Number.isSafeInteger(n) && n > 0)) throw new Error(`${flag}: bad value ${n}`);
  return out;
}

function machineLine(): string {
  const cpus = os.cpus();
  return `machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'duration-ms': { type: 'string', default: '2000' },
      protocols: { type: 'string', default: 'naive,primary-backup,async-backup,viewservice' },
      concurrency: { type: 'string', default: '1,10,100' },
      'raft-nodes': { type: 'string', default: '3,5' },
      'no-etcd': { type: 'boolean', default: false },
      rounds: { type: 'string', default: '1' },
    },
  });
  const durationMs = Number(values['duration-ms']);
  if (!(durationMs > 0)) throw new Error(`--duration-ms: expected a positive number, got ${values['duration-ms']}`);
  const protocols = values.protocols.split(',').filter((p) => p !== '');
  for (const p of protocols) if (MODES[p] === undefined) throw new Error(`--protocols: unknown ${p}; expected ${Object.keys(MODES).join(', ')}`);
  const concurrencies = parseList('--concurrency', values.concurrency);
  const raftNodes = parseList('--raft-nodes', values['raft-nodes']);
  const [rounds] = parseList('--rounds', values.rounds);
  const binary = values['no-etcd'] || !fs.existsSync(ETCD_BINARY) ? null : ETCD_BINARY;
  process.stdout.write(`${machineLine()}\n`);
  if (!values['no-etcd'] && binary === null) {
    process.stdout.write(`etcd: not installed (no ${ETCD_BINARY}), skipping the etcd comparison; on Debian: apt-get install etcd-server\n`);
  }

  const rw: Plan = { ops: ['write', 'read'], concurrencies, durationMs, rounds };
  const comparison: Row[] = [];
  let etcd: EtcdBench | null = null;
  try {
    if (binary !== null) {
      try {
        etcd = await startEtcdBench('etcd-3', 3, REQUEST_TIMEOUT_MS);
      } catch (err) {
        comparison.push({ system: 'etcd-3', error: (err as Error).message.split('\n')[0] });
      }
    }
    for (const n of raftNodes) {
      // etcd stays up and runs each cell right after raft's, under the same background load.
      comparison.push(...(await withRsm(`raft-${n}`, 'raft', n, [], (t) => runInterleaved(etcd === null ? [t] : [t, etcd.target], rw))));
      comparison.push(...(await withRsm(`raft-${n} readindex`, 'raft', n, ['--reads', 'readindex'], (t) => runInterleaved([t], { ...rw, ops: ['read'] }))));
      // Multi-Paxos beside raft: the same cells, reads through a slot like raft's log reads.
      comparison.push(...(await withRsm(`paxos-${n}`, 'paxos', n, [], (t) => runInterleaved([t], rw))));
    }
  } finally {
    await etcd?.stop();
  }
  const others: Row[] = [];
  for (const p of protocols) {
    if (p === 'raft' || p === 'paxos') continue;
    others.push(...(await withRsm(p, p, 3, [], (t) => runInterleaved([t], { ops: ['write'], concurrencies, durationMs, rounds }))));
  }

  const ok = (rows: Row[]): CellResult[] => median(rows.filter((r): r is CellResult => !('error' in r)));
  const errors = [...comparison, ...others].filter((r): r is { system: string; error: string } => 'error' in r);
  const etcdNote = binary === null ? 'etcd skipped' : `${etcdVersion(binary)}, 3 members, gRPC (npm etcd3), linearizable ranges`;
  process.stdout.write(`\nloopback, fsync always, raft tick 10 ms, ${durationMs} ms per cell, median of ${rounds} round(s), closed-loop workers (one key each); ${etcdNote}\n`);
  process.stdout.write(`raft reads: log (through the log) unless marked readindex; etcd reads are ReadIndex\n\n`);
  process.stdout.write(`${sideBySide(ok(comparison))}\n\n`);
  process.stdout.write(`${formatTable(CELL_HEADER, [...ok(comparison), ...ok(others)].map(cellRow))}\n`);
  for (const e of errors) process.stdout.write(`${e.system}: unavailable: ${e.error}\n`);
}

// etcd members are registered with cluster/cleanup.ts, which stops them on exit and signals.
function cleanup(): Promise<void> {
  return killAllProcs();
}

process.on('SIGINT', () => {
  void cleanup().then(() => process.exit(130));
});

main().then(
  () => cleanup().then(() => process.exit(0)),
  (err: Error) => {
    process.stderr.write(`bench:rsm: ${err.message}\n`);
    void cleanup().then(() => process.exit(3));
  },
);
