// db/example-kv.ts — a DB of your own, worked example: examples/own-db/kv-server.mjs (one node, HTTP) under splitbrain.
//
// README "Testing your own system" walks through this file. Copy it next to it as db/<yours>.ts,
// point `SERVER` at your program, change `launch` to your command line and `client` to your API,
// and add one line to DBS in db/registry.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PortSpec } from '../cluster/types.ts';
import type { MicroOp } from '../history/op.ts';
import type { Completion, KvClientLike } from '../workloads/types.ts';
import { findExecutable, missingExecutable, type Executable } from './requirements.ts';
import type { ClientContext, Db, DbOptions } from './types.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** SERVER: the program each node runs; SPLITBRAIN_EXAMPLE_KV_SERVER_BIN points elsewhere (your build, or a test's missing path). */
export const SERVER: Executable = {
  name: 'example-kv-server',
  candidates: [path.join(REPO_ROOT, 'examples/own-db/kv-server.mjs')],
  install: 'it ships in examples/own-db/ (git checkout examples/own-db)',
};

/** PORTS: one client port; no peer port (one node, no replication). */
const PORTS: readonly PortSpec[] = [{ name: 'http', client: true, peer: false, dockerPort: 7000 }];
/** In the image: the server script, run by the image's node. */
const IMAGE_SERVER = '/opt/example-kv/kv-server.mjs';
const IMAGE_NODE = '/usr/bin/node';
/** On an ssh host: the server script, uploaded into the run's program dir and run by the host's node. */
const REMOTE_SERVER = 'kv-server.mjs';
const REQUEST_TIMEOUT_MS = 1500;
const PROBE_TIMEOUT_MS = 1000;

/** serverScript: the server this machine has (copied into an image, uploaded to ssh hosts); `missing` refused a run without it. */
function serverScript(): string {
  return findExecutable(SERVER) ?? SERVER.candidates[0];
}

/** serverArgs: the command line after the program, the same locally and in a container. */
function serverArgs(listen: string, dataDir: string, node: string): string[] {
  const colon = listen.lastIndexOf(':');
  return ['--host', listen.slice(0, colon), '--port', listen.slice(colon + 1), '--data', dataDir, '--id', node];
}

/**
 * call: one HTTP exchange, as a Completion. The rule every client must keep: `fail` only when
 * the request certainly did not take effect — a 409 (compare mismatch) or 400 (refused) answer,
 * or a connection refused (nothing was sent). A timeout, a reset or a 5xx may have applied:
 * `info`. A read changes nothing, so a read that did not answer is `fail`.
 */
async function call(url: string, method: string, body: unknown, isRead: boolean): Promise<{ completion: Completion; json?: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(url, { method, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    const message = code ?? (error as Error).message;
    return { completion: { type: isRead || code === 'ECONNREFUSED' ? 'fail' : 'info', error: message } };
  }
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.ok) return { completion: { type: 'ok' }, json };
  const error = typeof json.error === 'string' ? json.error : `HTTP ${res.status}`;
  const certain = res.status === 409 || res.status === 400 || isRead;
  return { completion: { type: certain ? 'fail' : 'info', error }, json };
}

/** ExampleKvClient: the workload client over the server's HTTP API. */
class ExampleKvClient implements KvClientLike {
  constructor(private readonly base: string, private readonly node: string) {}

  async read(key: string): Promise<Completion> {
    const r = await call(`${this.base}/kv/${encodeURIComponent(key)}`, 'GET', undefined, true);
    return r.completion.type === 'ok' ? { type: 'ok', value: r.json?.value ?? null, node: this.node } : { ...r.completion, node: this.node };
  }

  async write(key: string, value: unknown): Promise<Completion> {
    return { ...(await call(`${this.base}/kv/${encodeURIComponent(key)}`, 'PUT', value, false)).completion, node: this.node };
  }

  async cas(key: string, expected: unknown, value: unknown): Promise<Completion> {
    return { ...(await call(`${this.base}/cas/${encodeURIComponent(key)}`, 'POST', { expected, value }, false)).completion, node: this.node };
  }

  async txn(ops: MicroOp[]): Promise<Completion> {
    const readOnly = ops.every(([f]) => f === 'r');
    const r = await call(`${this.base}/txn`, 'POST', ops, readOnly);
    return r.completion.type === 'ok' ? { type: 'ok', value: r.json?.value, node: this.node } : { ...r.completion, node: this.node };
  }
}

/** exampleKvDb: one node running kv-server.mjs. It has no replication, so it refuses more nodes. */
export function exampleKvDb(options: DbOptions): Db {
  if (options.nodeCount !== 1) throw new Error(`--nodes: --db example-kv runs one node (it does not replicate); got ${options.nodeCount}, pass --nodes 1`);
  return {
    name: 'example-kv',
    description: 'worked example: examples/own-db/kv-server.mjs, one node over HTTP',
    nodes: ['n1'],
    allNodes: ['n1'],
    ports: PORTS,
    support: {
      // One node: there is nothing to partition. Kills test its fsync, pauses its timeouts.
      clusters: { local: ['kill', 'pause', 'clock'], docker: ['kill', 'pause', 'clock'], ssh: ['kill', 'pause', 'clock'] },
      notes: { local: 'one node: nothing to partition', docker: 'one node: nothing to partition', ssh: 'one node: nothing to partition' },
      workloads: ['register', 'set', 'counter', 'list-append', 'rw-register'],
      partitionClients: false,
    },
    missing: () => missingExecutable('example-kv', SERVER),
    launch: (site) => {
      const args = serverArgs(site.listen('http'), site.dataDir, site.node);
      if (site.kind === 'docker') return { command: IMAGE_NODE, args: [IMAGE_SERVER, ...args] };
      if (site.kind === 'ssh') return { command: 'node', args: [REMOTE_SERVER, ...args], cwd: site.programDir! };
      const server = findExecutable(SERVER);
      if (server === null) throw new Error(missingExecutable('example-kv', SERVER)!);
      return { command: server, args };
    },
    ready: async (probe) => {
      const res = await fetch(`http://${probe.address('http')}/health`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).catch(() => null);
      return res !== null && res.ok;
    },
    status: async (probe) => {
      const res = await fetch(`http://${probe.address('http')}/status`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }).catch(() => null);
      if (res === null || !res.ok) return null;
      return (await res.json().catch(() => null)) as Awaited<ReturnType<NonNullable<Db['status']>>>;
    },
    image: () => ({ name: 'example-kv', files: [{ target: IMAGE_SERVER, source: serverScript() }] }),
    // --cluster ssh: the script goes to each host (this machine must have it: `missing`); the host brings node.
    remoteFiles: () => [{ path: REMOTE_SERVER, data: fs.readFileSync(serverScript()) }],
    hostExecutables: [{ path: 'node', package: 'nodejs', majorMin: 20 }],
    client: (ctx: ClientContext) => new ExampleKvClient(`http://${ctx.address(ctx.node)}`, ctx.node),
  };
}
