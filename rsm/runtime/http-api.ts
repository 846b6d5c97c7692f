// rsm/runtime/http-api.ts — the client-facing HTTP/1.1 JSON API of a node (curl-friendly).
//
//   POST /kv            {clientId, seq, cmd}    cmd: {kind:'read'|'write'|'cas'|'txn', ...}
//   GET  /kv/:key       ?clientId=&seq=         a read (ids optional: a fresh one-shot client)
//   PUT  /kv/:key       ?clientId=&seq=         a write; body is the JSON value (or raw text)
//   GET  /status                                 the core's status
//   POST /admin/clock-offset {offsetMs}          skew the wall clock the core sees (nemesis)
//   POST /admin/membership {op, node}            add or remove one server (raft; the membership nemesis)
//
// Answers: 200 {outcome:'ok', result} (result may be a definite {type:'fail'} cas mismatch);
// 409 {outcome:'reject', error, redirect} — certainly not applied; 503 {outcome:'unknown'} —
// the core could not tell; 504 {outcome:'unknown'} — no reply in time; 400 {outcome:'reject',
// error} malformed input, certainly not applied: a body over BODY_BYTES_MAX or nested deeper
// than REQUEST_DEPTH_MAX (json-limits.ts), bad JSON, a bad field, a key that is not valid
// percent-encoding. An oversized body is read to its end and discarded before the 400, so the
// client sees the answer rather than a reset (past BODY_DISCARD_BYTES_MAX the connection closes).
import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ClientCommand, KvCommand, MembershipChange, MicroOp, NodeStatus } from '../core/types.ts';
import { JsonLimitError, jsonDepth, parseBoundedJson, REQUEST_DEPTH_MAX } from './json-limits.ts';
import type { RequestOutcome } from './node-runtime.ts';

/** BODY_BYTES_MAX bounds a request body. */
export const BODY_BYTES_MAX = 1024 * 1024;
/** BODY_DISCARD_BYTES_MAX bounds how much of an oversized body is read (and dropped) before answering. */
export const BODY_DISCARD_BYTES_MAX = 64 * 1024 * 1024;

/** HttpApiHandlers: what the API calls into (the runtime, plus the clock skew hook). */
export interface HttpApiHandlers {
  request(command: ClientCommand): Promise<RequestOutcome>;
  status(): NodeStatus;
  setClockOffsetMs?(offsetMs: number): void;
  changeMembership?(change: MembershipChange): Promise<RequestOutcome>;
}

/** BadRequest: a client error; the message names the offending field. */
class BadRequest extends Error {
  /** closeConnection: the rest of the request was not read, so the connection cannot be reused. */
  constructor(message: string, readonly closeConnection = false) {
    super(message);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** parseKvCommand validates a KvCommand, naming the bad field on error. */
export function parseKvCommand(v: unknown, field = 'cmd'): KvCommand {
  if (!isObject(v)) throw new BadRequest(`${field} must be an object`);
  const key = v.key;
  switch (v.kind) {
    case 'read':
      if (typeof key !== 'string') throw new BadRequest(`${field}.key must be a string`);
      return { kind: 'read', key };
    case 'write':
      if (typeof key !== 'string') throw new BadRequest(`${field}.key must be a string`);
      if (!('value' in v)) throw new BadRequest(`${field}.value is missing`);
      return { kind: 'write', key, value: v.value };
    case 'cas':
      if (typeof key !== 'string') throw new BadRequest(`${field}.key must be a string`);
      if (!('expected' in v)) throw new BadRequest(`${field}.expected is missing`);
      if (!('value' in v)) throw new BadRequest(`${field}.value is missing`);
      return { kind: 'cas', key, expected: v.expected, value: v.value };
    case 'txn': {
      if (!Array.isArray(v.ops)) throw new BadRequest(`${field}.ops must be an array`);
      const ops = v.ops.map((op, i): MicroOp => {
        if (!Array.isArray(op) || op.length !== 3 || typeof op[1] !== 'string' || !['append', 'r', 'w', 'cas'].includes(op[0] as string)) {
          throw new BadRequest(`${field}.ops[${i}] must be ["append"|"r"|"w", key, value] or ["cas", key, [expected, new]]`);
        }
        if (op[0] === 'cas' && !(Array.isArray(op[2]) && op[2].length === 2)) {
          throw new BadRequest(`${field}.ops[${i}]: a cas micro-op's value must be [expected, new]`);
        }
        return op as MicroOp;
      });
      return { kind: 'txn', ops };
    }
    default:
      throw new BadRequest(`${field}.kind must be one of read, write, cas, txn`);
  }
}

/** parseClientCommand validates a POST /kv body. */
export function parseClientCommand(v: unknown): ClientCommand {
  if (!isObject(v)) throw new BadRequest('body must be a JSON object {clientId, seq, cmd}');
  if (typeof v.clientId !== 'string' || v.clientId.length === 0) throw new BadRequest('clientId must be a non-empty string');
  if (typeof v.seq !== 'number' || !Number.isSafeInteger(v.seq) || v.seq < 0) throw new BadRequest('seq must be a non-negative integer');
  return { clientId: v.clientId, seq: v.seq, cmd: parseKvCommand(v.cmd) };
}

/** idsFromQuery reads clientId/seq from a URL, or makes a one-shot client for curl users. */
function idsFromQuery(url: URL): { clientId: string; seq: number } {
  const clientId = url.searchParams.get('clientId');
  const seqText = url.searchParams.get('seq');
  if (clientId === null && seqText === null) return { clientId: `http-${randomUUID()}`, seq: 1 };
  if (clientId === null || clientId.length === 0) throw new BadRequest('clientId query parameter is missing');
  const seq = Number(seqText);
  if (seqText === null || !Number.isSafeInteger(seq) || seq < 0) throw new BadRequest('seq query parameter must be a non-negative integer');
  return { clientId, seq };
}

/**
 * readBody reads a body of at most BODY_BYTES_MAX. A longer one is read on and dropped, then
 * refused; one longer than BODY_DISCARD_BYTES_MAX (or announced so) is refused at once.
 */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const tooLarge = `body exceeds ${BODY_BYTES_MAX} bytes`;
  const announced = Number(req.headers['content-length'] ?? 0);
  if (announced > BODY_DISCARD_BYTES_MAX) return Promise.reject(new BadRequest(tooLarge, true));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > BODY_DISCARD_BYTES_MAX) {
        req.off('data', onData);
        req.pause();
        reject(new BadRequest(tooLarge, true));
      } else if (size <= BODY_BYTES_MAX) chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => (size > BODY_BYTES_MAX ? reject(new BadRequest(tooLarge)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/** parseJson parses a request body as bounded JSON (REQUEST_DEPTH_MAX levels). */
function parseJson(body: Buffer): unknown {
  try {
    return parseBoundedJson(body, REQUEST_DEPTH_MAX);
  } catch (err) {
    if (err instanceof JsonLimitError) throw new BadRequest(`body is ${/nested/.test(err.message) ? err.message : 'not valid JSON'}`);
    throw err;
  }
}

/** putValue: a PUT body is a JSON value, or (curl -d hello) bare text stored as a string. */
function putValue(body: Buffer): unknown {
  if (jsonDepth(body, REQUEST_DEPTH_MAX) > REQUEST_DEPTH_MAX) throw new BadRequest(`body is JSON nested deeper than ${REQUEST_DEPTH_MAX} levels`);
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** keyOf decodes the key of /kv/:key. */
function keyOf(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new BadRequest(`key ${JSON.stringify(encoded)} is not valid percent-encoding`);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** statusFor maps an outcome to its HTTP status code. */
export function statusFor(outcome: RequestOutcome): number {
  if (outcome.outcome === 'ok') return 200;
  if (outcome.outcome === 'reject') return 409;
  return outcome.timedOut === true ? 504 : 503;
}

/** publicBody: the JSON body answering an outcome (the simulator answers with the same bodies). */
export function publicBody(outcome: RequestOutcome): unknown {
  if (outcome.outcome === 'ok') return { outcome: 'ok', result: outcome.result };
  if (outcome.outcome === 'reject') return { outcome: 'reject', error: outcome.error, redirect: outcome.redirect ?? null };
  return { outcome: 'unknown', error: outcome.error };
}

async function route(h: HttpApiHandlers, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://node');
  const method = req.method ?? 'GET';
  const keyMatch = /^\/kv\/(.+)$/.exec(url.pathname);
  if (url.pathname === '/status' && method === 'GET') return send(res, 200, h.status());
  if (url.pathname === '/kv' && method === 'POST') {
    const command = parseClientCommand(parseJson(await readBody(req)));
    const outcome = await h.request(command);
    return send(res, statusFor(outcome), publicBody(outcome));
  }
  if (keyMatch !== null && (method === 'GET' || method === 'PUT')) {
    const key = keyOf(keyMatch[1]);
    const ids = idsFromQuery(url);
    let cmd: KvCommand = { kind: 'read', key };
    if (method === 'PUT') cmd = { kind: 'write', key, value: putValue(await readBody(req)) };
    const outcome = await h.request({ ...ids, cmd });
    return send(res, statusFor(outcome), publicBody(outcome));
  }
  if (url.pathname === '/admin/clock-offset' && method === 'POST' && h.setClockOffsetMs !== undefined) {
    const body = parseJson(await readBody(req));
    if (!isObject(body) || typeof body.offsetMs !== 'number' || !Number.isFinite(body.offsetMs)) {
      throw new BadRequest('offsetMs must be a finite number');
    }
    h.setClockOffsetMs(body.offsetMs);
    return send(res, 200, { ok: true, offsetMs: body.offsetMs });
  }
  if (url.pathname === '/admin/membership' && method === 'POST' && h.changeMembership !== undefined) {
    const body = parseJson(await readBody(req));
    if (!isObject(body) || (body.op !== 'add' && body.op !== 'remove')) throw new BadRequest('op must be "add" or "remove"');
    if (typeof body.node !== 'string' || body.node.length === 0) throw new BadRequest('node must be a non-empty string');
    const outcome = await h.changeMembership({ op: body.op, node: body.node });
    return send(res, statusFor(outcome), publicBody(outcome));
  }
  send(res, 404, { error: `no route ${method} ${url.pathname}` });
}

/** createHttpApi returns an HTTP server (not yet listening) serving the node's API. */
export function createHttpApi(h: HttpApiHandlers): http.Server {
  const server = http.createServer((req, res) => {
    route(h, req, res).catch((err: Error) => {
      if (res.headersSent) return;
      if (!(err instanceof BadRequest)) return send(res, 500, { outcome: 'unknown', error: err.message });
      // Unread body bytes would make the close a reset: say so, and close after the answer.
      if (err.closeConnection) res.setHeader('connection', 'close');
      send(res, 400, { outcome: 'reject', error: err.message });
    });
  });
  // Longer than the clients' idle sockets live, so a reused keep-alive socket is rarely closed
  // under a request in flight (that would turn into an avoidable 'info').
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  return server;
}
