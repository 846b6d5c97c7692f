// rsm/client/client.ts — KvClient: the workload-side client of the key-value service over HTTP.
//
// Every call returns ok, fail or info, so workloads never guess (Jepsen semantics):
//   HTTP 200, result ok                          → ok (with the value for reads/txns)
//   HTTP 200, result fail (cas mismatch)         → fail: applied without effect, definite
//   HTTP 409 reject                              → not applied; follow `redirect` (or try the next
//                                                  endpoint) with the SAME seq, a bounded number of
//                                                  times; when hops run out → fail
//   HTTP 400                                     → fail (the node refused to parse it)
//   HTTP 503/504, other statuses                 → info (may or may not have been applied)
//   timeout after sending                        → info
//   ECONNREFUSED (nothing was sent)              → not applied: try another endpoint where the mode
//                                                  allows, else fail
//   any socket error before the request was fully handed to the OS → not applied (as above)
//   connection reset / closed after sending      → info
// Each client has an id and a seq that grows by one per logical operation; the node's state
// machine deduplicates (clientId, seq), so resending the same seq after a reject is safe.
import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { KvCommand, MicroOp, Stamp } from '../core/types.ts';

/** ClientResult: the Jepsen-style completion of one operation; `node` is who answered last. */
export type ClientResult =
  | { type: 'ok'; value?: unknown; node?: string; stamp?: Stamp | null }
  | { type: 'fail'; error: string; node?: string }
  | { type: 'info'; error: string; node?: string };

/**
 * ClientMode: protocol-specific routing.
 * - single-node: always the preferred node; rejects are final.
 * - fanout: (naive) mutations go to every endpoint, reads to the preferred one.
 * - failover-on-timeout: (primary-backup) like follow-redirect, and after an info the client
 *   moves to the next endpoint for future requests (the op that timed out stays info).
 * - follow-redirect: (viewservice, raft, async-backup) follow rejects' redirects and remember
 *   whoever answered as the preferred node.
 */
export type ClientMode = 'single-node' | 'fanout' | 'failover-on-timeout' | 'follow-redirect';

/**
 * WORKLOAD_REQUEST_TIMEOUT_MS: one HTTP exchange of a workload client; past it the op is info (the
 * runner bounds the whole op). The real runs' clients (db/rsm.ts) and the simulated ones
 * (cluster/sim/knobs.ts) both wait this long.
 */
export const WORKLOAD_REQUEST_TIMEOUT_MS = 1500;

/** KvClientOptions configures one client. */
export interface KvClientOptions {
  /** endpoints maps node id → HTTP base URL, e.g. { n1: 'http://127.0.0.1:8001' }. */
  endpoints: Record<string, string>;
  preferred?: string;
  requestTimeoutMs?: number;
  mode?: ClientMode;
  clientId?: string;
  /** hopsMax bounds redirect/next-endpoint retries of one operation. */
  hopsMax?: number;
  /** agent lets several clients share keep-alive sockets; one is made otherwise. */
  agent?: http.Agent;
  /** transport replaces HTTP (the simulator delivers requests over its own network). */
  transport?: ClientTransport;
}

/**
 * ClientTransport: one exchange with one node, and the client's own waits. The default is
 * HTTP (httpTransport); cluster/sim gives one that runs on the simulated network and clock.
 */
export interface ClientTransport {
  attempt(node: string, body: { clientId: string; seq: number; cmd: KvCommand }): Promise<Attempt>;
  sleepMs(ms: number): Promise<void>;
  close(): void;
}

/** Attempt: what one exchange with one node told us. */
export type Attempt =
  | { kind: 'done'; result: ClientResult }
  | { kind: 'reject'; error: string; redirect: string | null }
  | { kind: 'not-sent'; error: string };

/** KvClient: one logical client (one Jepsen process). Not for concurrent calls: seq is per op. */
export class KvClient {
  readonly clientId: string;
  private seq = 0;
  private preferred: string;
  private readonly ids: string[];
  private readonly transport: ClientTransport;
  private readonly mode: ClientMode;
  private readonly hopsMax: number;

  constructor(private readonly options: KvClientOptions) {
    this.ids = Object.keys(options.endpoints);
    if (this.ids.length === 0) throw new Error('KvClient: endpoints must not be empty');
    this.preferred = options.preferred ?? this.ids[0];
    if (!this.ids.includes(this.preferred)) throw new Error(`KvClient: preferred ${this.preferred} is not an endpoint`);
    this.clientId = options.clientId ?? `c-${randomUUID()}`;
    this.mode = options.mode ?? 'follow-redirect';
    this.hopsMax = options.hopsMax ?? 2 * this.ids.length + 2;
    this.transport = options.transport ?? httpTransport(options.endpoints, options.requestTimeoutMs ?? 2000, options.agent);
  }

  /** node is the endpoint the next request goes to first. */
  get node(): string {
    return this.preferred;
  }

  read(key: string): Promise<ClientResult> {
    return this.run({ kind: 'read', key });
  }

  write(key: string, value: unknown): Promise<ClientResult> {
    return this.run({ kind: 'write', key, value });
  }

  cas(key: string, expected: unknown, value: unknown): Promise<ClientResult> {
    return this.run({ kind: 'cas', key, expected, value });
  }

  txn(ops: MicroOp[]): Promise<ClientResult> {
    return this.run({ kind: 'txn', ops });
  }

  /** close frees the keep-alive sockets (when the agent is the client's own). */
  close(): void {
    this.transport.close();
  }

  /** run executes one command with a fresh seq, routed by mode. */
  run(cmd: KvCommand): Promise<ClientResult> {
    this.seq += 1;
    const seq = this.seq;
    const mutates = cmd.kind !== 'read' && !(cmd.kind === 'txn' && cmd.ops.every(([f]) => f === 'r'));
    if (this.mode === 'fanout' && mutates) return this.fanout(cmd, seq);
    return this.routed(cmd, seq);
  }

  /** routed sends to the preferred node, then follows redirects / tries others as the mode allows. */
  private async routed(cmd: KvCommand, seq: number): Promise<ClientResult> {
    let target = this.preferred;
    let lastError = 'no attempt made';
    const roams = this.mode === 'follow-redirect' || this.mode === 'failover-on-timeout';
    for (let hop = 0; hop <= this.hopsMax; hop += 1) {
      const attempt = await this.transport.attempt(target, { clientId: this.clientId, seq, cmd });
      if (attempt.kind === 'done') {
        if (attempt.result.type === 'info' && this.mode === 'failover-on-timeout') this.preferred = this.nextAfter(target);
        else if (roams && attempt.result.type === 'ok') this.preferred = target;
        return attempt.result;
      }
      lastError = attempt.kind === 'reject' ? `rejected by ${target}: ${attempt.error}` : `${target}: ${attempt.error}`;
      if (!roams) break;
      const redirect = attempt.kind === 'reject' ? attempt.redirect : null;
      target = redirect !== null && redirect !== target && this.ids.includes(redirect) ? redirect : this.nextAfter(target);
      // Nodes that all reject (e.g. mid-election) would be hammered otherwise.
      if (hop >= this.ids.length - 1) await this.transport.sleepMs(Math.min(50 * (hop - this.ids.length + 2), 200));
    }
    return { type: 'fail', error: lastError, node: target };
  }

  /**
   * fanout sends a mutation to every endpoint with the same seq (naive protocol), one after
   * the other starting with the preferred (nearest) copy, as the lectures' client does: two
   * clients starting from different copies write them in opposite orders.
   */
  private async fanout(cmd: KvCommand, seq: number): Promise<ClientResult> {
    const start = Math.max(0, this.ids.indexOf(this.preferred));
    const order = [...this.ids.slice(start), ...this.ids.slice(0, start)];
    const attempts: Attempt[] = [];
    for (const id of order) attempts.push(await this.transport.attempt(id, { clientId: this.clientId, seq, cmd }));
    const done = attempts.filter((a): a is Extract<Attempt, { kind: 'done' }> => a.kind === 'done');
    const notApplied = attempts.length - done.length;
    if (notApplied === attempts.length) return { type: 'fail', error: 'no replica accepted the write', node: this.preferred };
    if (done.length === attempts.length) {
      const infos = done.filter((d) => d.result.type === 'info');
      if (infos.length > 0) return infos[0].result;
      const fails = done.filter((d) => d.result.type === 'fail');
      if (fails.length === done.length) return fails[0].result;
      if (fails.length === 0) return done[0].result;
    }
    // Applied at some replicas and not at others: as an operation on "the" register it is unknown.
    return { type: 'info', error: 'write reached only some replicas', node: this.preferred };
  }

  private nextAfter(id: string): string {
    const i = this.ids.indexOf(id);
    return this.ids[(i + 1) % this.ids.length];
  }
}

/** httpTransport: one HTTP POST /kv per attempt, bounded by timeoutMs, over a keep-alive agent. */
export function httpTransport(endpoints: Record<string, string>, timeoutMs: number, sharedAgent?: http.Agent): ClientTransport {
  const agent = sharedAgent ?? new http.Agent({ keepAlive: true, maxSockets: 4 });
  return {
    attempt: (id, request) => httpAttempt(agent, id, endpoints[id], JSON.stringify(request), timeoutMs),
    sleepMs,
    close: () => {
      if (sharedAgent === undefined) agent.destroy();
    },
  };
}

/** httpAttempt is one HTTP exchange with node `id`. */
function httpAttempt(agent: http.Agent, id: string, base: string, body: string, timeoutMs: number): Promise<Attempt> {
  return new Promise((resolve) => {
    let settled = false;
    let sent = false;
    const finish = (a: Attempt): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    const req = http.request(new URL('/kv', base), {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(sent
        ? { kind: 'done', result: { type: 'info', error: `timeout after ${timeoutMs} ms`, node: id } }
        : { kind: 'not-sent', error: `timeout before the request was sent` });
    }, timeoutMs);
    req.on('finish', () => {
      sent = true;
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || !sent) finish({ kind: 'not-sent', error: err.code ?? err.message });
      else finish({ kind: 'done', result: { type: 'info', error: err.code ?? err.message, node: id } });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => finish({ kind: 'done', result: { type: 'info', error: 'response interrupted', node: id } }));
      res.on('end', () => finish(interpret(id, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
    });
    req.end(body);
  });
}

/** interpret maps one HTTP answer to an Attempt (see the table at the top of the file). */
export function interpret(node: string, status: number, text: string): Attempt {
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Leave body empty: the status decides.
  }
  return interpretBody(node, status, body);
}

/** interpretBody: interpret on a body already parsed (the simulator's answers are JSON data, never text). */
export function interpretBody(node: string, status: number, body: Record<string, unknown>): Attempt {
  const error = typeof body.error === 'string' ? body.error : `HTTP ${status}`;
  if (status === 200 && body.outcome === 'ok') {
    const result = body.result as { type?: string; value?: unknown; error?: string; stamp?: Stamp | null } | undefined;
    if (result?.type === 'fail') return { kind: 'done', result: { type: 'fail', error: result.error ?? 'failed', node } };
    if (result?.type === 'ok') {
      // A gossip replica says which version it wrote or read; the history keeps it for the convergence checker.
      if (result.stamp !== undefined) return { kind: 'done', result: { type: 'ok', value: result.value, node, stamp: result.stamp } };
      return { kind: 'done', result: { type: 'ok', value: result.value, node } };
    }
  }
  if (status === 409) {
    const redirect = typeof body.redirect === 'string' ? body.redirect : null;
    return { kind: 'reject', error, redirect };
  }
  if (status === 400) return { kind: 'done', result: { type: 'fail', error: `bad request: ${error}`, node } };
  return { kind: 'done', result: { type: 'info', error, node } };
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
