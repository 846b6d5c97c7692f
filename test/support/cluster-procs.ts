// test/support/cluster-procs.ts — starts real rsm node processes on loopback for tests and demos.
//
// Every child is recorded in one registry so afterEach/afterAll (and process exit) can kill
// whatever a test left behind. A node counts as started once it prints its "ready" line.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reservePorts } from '../../cluster/ports.ts';
import type { NodeSite } from '../../cluster/types.ts';
import { rsmNodeArgs } from '../../db/rsm.ts';
import { RSM_NODE_FLAGS, rsmNodeBundle } from '../../db/rsm-bundle.ts';
import { KvClient, type ClientMode } from '../../rsm/client/client.ts';
import type { MicroOp } from '../../history/op.ts';

/** REPO_ROOT: where a node (the bundled rsm/node/main.ts, db/rsm-bundle.ts) runs from. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const READY_TIMEOUT_MS = 15_000;
const EXIT_WAIT_MS = 5_000;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * freePort picks a free loopback port below the kernel's ephemeral range (cluster/ports.ts):
 * nodes restart on their ports, and an ephemeral port can meanwhile become some outgoing
 * connection's source port (a restart then fails with EADDRINUSE).
 */
export async function freePort(): Promise<number> {
  const [port] = await reservePorts(1, portsGiven);
  portsGiven.add(port);
  return port;
}

// portsGiven: what freePort handed out in this process, never handed out twice.
const portsGiven = new Set<number>();

/** NodeProc: one running (or exited) node process. */
export interface NodeProc {
  id: string;
  child: ChildProcess;
  /** stderr collects the node's log lines. */
  stderr: string[];
  httpUrl: string;
  exited: Promise<number | null>;
}

/** startNodeProc spawns one node with the given arguments and waits for its ready line. */
export async function startNodeProc(id: string, args: string[]): Promise<NodeProc> {
  const child = spawn(process.execPath, [...RSM_NODE_FLAGS, rsmNodeBundle().file, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  const stderr: string[] = [];
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  const httpUrl = await new Promise<string>((resolve, reject) => {
    let partial = '';
    const timer = setTimeout(() => reject(new Error(`${id}: no ready line in ${READY_TIMEOUT_MS} ms:\n${stderr.join('\n')}`)), READY_TIMEOUT_MS);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        stderr.push(line);
        if (process.env.RSM_PROC_LOG === '1') process.stderr.write(`${line}\n`);
        const m = / ready id=\S+ protocol=\S+ http=(\S+) peer=/.exec(line);
        if (m !== null) {
          clearTimeout(timer);
          resolve(`http://${m[1]}`);
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${id} exited with ${code} before ready:\n${stderr.join('\n')}`));
    });
  });
  return { id, child, stderr, httpUrl, exited };
}

/** ProcClusterOptions: a cluster of replicas (and a view server for viewservice). */
export interface ProcClusterOptions {
  protocol: string;
  replicas: string[];
  /** extraArgs go to every replica (e.g. ['--bug', 'no-fsync']). */
  extraArgs?: string[];
  tickMs?: number;
  requestTimeoutMs?: number;
}

/** ProcCluster: replicas (plus "vs" for viewservice) with fixed ports, so nodes can restart. */
export class ProcCluster {
  readonly procs = new Map<string, NodeProc>();
  private readonly httpPorts = new Map<string, number>();
  private readonly peerPorts = new Map<string, number>();
  readonly dataRoot: string;

  private constructor(private readonly options: ProcClusterOptions) {
    this.dataRoot = mkdtempSync(path.join(os.tmpdir(), 'rsm-procs-'));
  }

  /** start launches every node of a new cluster in parallel. */
  static async start(options: ProcClusterOptions): Promise<ProcCluster> {
    const cluster = new ProcCluster(options);
    for (const id of cluster.allIds()) {
      cluster.httpPorts.set(id, await freePort());
      cluster.peerPorts.set(id, await freePort());
    }
    try {
      await Promise.all(cluster.allIds().map((id) => cluster.startNode(id)));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get hasViewServer(): boolean {
    return this.options.protocol === 'viewservice';
  }

  allIds(): string[] {
    return this.hasViewServer ? ['vs', ...this.options.replicas] : [...this.options.replicas];
  }

  /** endpoints maps replica id → HTTP base URL (ports are fixed for the cluster's life). */
  endpoints(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const id of this.options.replicas) out[id] = `http://127.0.0.1:${this.httpPorts.get(id)}`;
    return out;
  }

  /** argsFor builds a node's command line: the rsm Db's (db/rsm.ts), with fixed ports and peers dialled directly. */
  argsFor(id: string): string[] {
    const o = this.options;
    const addr = (n: string, port: string): string => `127.0.0.1:${(port === 'http' ? this.httpPorts : this.peerPorts).get(n)}`;
    const allNodes = this.hasViewServer ? [...o.replicas, 'vs'] : [...o.replicas];
    const site: NodeSite = {
      kind: 'local',
      node: id,
      index: allNodes.indexOf(id),
      allNodes,
      dataDir: path.join(this.dataRoot, id),
      listen: (port) => addr(id, port),
      advertise: (port) => addr(id, port),
      dial: (other, port) => addr(other, port),
    };
    const rsm = { protocol: o.protocol, nodeCount: o.replicas.length, tickMs: o.tickMs ?? 10, requestTimeoutMs: o.requestTimeoutMs ?? 1000, extraArgs: o.extraArgs };
    return rsmNodeArgs(rsm, site);
  }

  /** startNode (re)starts one node from its data directory. */
  async startNode(id: string): Promise<NodeProc> {
    const existing = this.procs.get(id);
    if (existing !== undefined && existing.child.exitCode === null && existing.child.signalCode === null) {
      throw new Error(`ProcCluster.startNode: ${id} is running`);
    }
    const proc = await startNodeProc(id, this.argsFor(id));
    this.procs.set(id, proc);
    return proc;
  }

  /** kill signals one node and waits until it has exited. */
  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const proc = this.procs.get(id);
    if (proc === undefined) throw new Error(`ProcCluster.kill: no node ${id}`);
    proc.child.kill(signal);
    return waitExit(proc);
  }

  /** stop kills every node and removes the data directories. */
  async stop(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => {
      p.child.kill('SIGKILL');
      return waitExit(p);
    }));
    rmSync(this.dataRoot, { recursive: true, force: true });
  }
}

async function waitExit(proc: NodeProc): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), EXIT_WAIT_MS);
  });
  const result = await Promise.race([proc.exited, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    proc.child.kill('SIGKILL');
    return proc.exited;
  }
  return result;
}

/** killAllProcs SIGKILLs every node process still alive (use in afterEach/afterAll). */
export async function killAllProcs(): Promise<void> {
  const waits = [...live].map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  }));
  await Promise.all(waits);
}

/** waitWritable retries a probe write until one succeeds (bounded by timeoutMs). */
export async function waitWritable(endpoints: Record<string, string>, mode: ClientMode, timeoutMs = 10_000): Promise<void> {
  const client = new KvClient({ endpoints, mode, requestTimeoutMs: 1000 });
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  try {
    for (let i = 0; Date.now() < deadline; i += 1) {
      const r = await client.write('probe', i);
      if (r.type === 'ok') return;
      last = r;
      await new Promise((res) => setTimeout(res, 100));
    }
  } finally {
    client.close();
  }
  throw new Error(`waitWritable: no write succeeded in ${timeoutMs} ms; last ${JSON.stringify(last)}`);
}

/** getJson fetches a node's JSON endpoint (e.g. /status). */
export async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url);
  return (await res.json()) as Record<string, unknown>;
}

/**
 * writeStreamAndKill runs `concurrency` writers of distinct keys, SIGKILLs `victim` (one node or
 * several at once) after
 * killAfterMs, keeps writing for settleMs, and returns the acknowledged writes (key → value)
 * and how many of them were acknowledged after the kill.
 */
export async function writeStreamAndKill(
  c: ProcCluster, victim: string | string[], mode: ClientMode, concurrency: number, killAfterMs: number, settleMs = 0,
): Promise<{ acked: Map<string, number>; ackedAfterKill: number }> {
  const acked = new Map<string, number>();
  let stop = false;
  let killed = false;
  let ackedAfterKill = 0;
  const writers = Array.from({ length: concurrency }, async (_, w) => {
    const client = new KvClient({ endpoints: c.endpoints(), mode, requestTimeoutMs: 1000 });
    for (let i = 0; !stop && i < 100_000; i += 1) {
      const key = `w${w}-${i}`;
      const r = await client.write(key, i);
      if (r.type === 'ok') {
        acked.set(key, i);
        if (killed) ackedAfterKill += 1;
      } else if (mode === 'single-node') break;
    }
    client.close();
  });
  await new Promise((r) => setTimeout(r, killAfterMs));
  await Promise.all((Array.isArray(victim) ? victim : [victim]).map((v) => c.kill(v, 'SIGKILL')));
  killed = true;
  await new Promise((r) => setTimeout(r, settleMs));
  stop = true;
  await Promise.all(writers);
  return { acked, ackedAfterKill };
}

/** missingWrites reads back every acknowledged write and lists those not found ("key=value"). */
export async function missingWrites(endpoints: Record<string, string>, acked: Map<string, number>, mode: ClientMode): Promise<string[]> {
  const client = new KvClient({ endpoints, mode, requestTimeoutMs: 2000 });
  const missing: string[] = [];
  const keys = [...acked.keys()];
  try {
    // One txn of reads per chunk keeps the check fast.
    for (let i = 0; i < keys.length; i += 100) {
      const chunk = keys.slice(i, i + 100);
      const r = await client.txn(chunk.map((k): MicroOp => ['r', k, null]));
      if (r.type !== 'ok') throw new Error(`missingWrites: read-back txn answered ${JSON.stringify(r)}`);
      const values = new Map((r.value as Array<[string, string, unknown]>).map(([, k, v]) => [k, v]));
      for (const k of chunk) if (values.get(k) !== acked.get(k)) missing.push(`${k}=${JSON.stringify(values.get(k))}`);
    }
  } finally {
    client.close();
  }
  return missing;
}
