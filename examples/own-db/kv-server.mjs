#!/usr/bin/env node
// examples/own-db/kv-server.mjs — a tiny durable key-value server over HTTP: the "system of your own" in README "Testing your own system".
//
// It knows nothing of splitbrain. One process, one node: every write is appended to a log file
// and fsynced before it is acknowledged, and the log is replayed at start, so a SIGKILL loses
// nothing acknowledged. HTTP API (JSON bodies):
//   GET  /health                      200 once the log is replayed
//   GET  /kv/KEY                      200 {"value": V}  (V null when absent)
//   PUT  /kv/KEY    body V            200 {"ok": true}
//   POST /cas/KEY   {"expected": E, "value": V}   200 {"ok": true} | 409 {"error": "..."} (not applied)
//   POST /txn       [["r", K, null] | ["w", K, V] | ["append", K, V], ...]   200 {"value": [...completed micro-ops]}
// Usage: kv-server.mjs --port PORT --host HOST --data DIR [--id NAME]
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
if (args.port === undefined || args.data === undefined) {
  process.stderr.write('usage: kv-server.mjs --port PORT [--host HOST] --data DIR [--id NAME]\n');
  process.exit(2);
}
const id = args.id ?? 'kv';
mkdirSync(args.data, { recursive: true });
const logFile = join(args.data, 'kv.log');
const state = new Map();

/** apply changes the state by one logged write: [key, value]. */
function apply([key, value]) {
  state.set(key, value);
}

// Replay: every whole line of the log is a write; a torn last line (a crash mid-append) is ignored.
if (existsSync(logFile)) {
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    try {
      if (line !== '') apply(JSON.parse(line));
    } catch {
      break;
    }
  }
}
const fd = openSync(logFile, 'a');
process.on('exit', () => closeSync(fd));

/** persist appends writes and fsyncs before anyone is told they happened. */
function persist(writes) {
  if (writes.length === 0) return;
  appendFileSync(fd, writes.map((w) => `${JSON.stringify(w)}\n`).join(''));
  fsyncSync(fd);
  writes.forEach(apply);
}

const read = (key) => (state.has(key) ? state.get(key) : null);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function txn(mops) {
  const view = new Map();
  const get = (k) => (view.has(k) ? view.get(k) : read(k));
  const out = mops.map(([f, k, v]) => {
    if (f === 'r') return [f, k, get(k)];
    if (f === 'w') view.set(k, v);
    else if (f === 'append') view.set(k, [...(get(k) ?? []), v]);
    else throw new SyntaxError(`unknown micro-op ${JSON.stringify(f)}`);
    return [f, k, v];
  });
  persist([...view.entries()]);
  return out;
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    try {
      const url = new URL(req.url, 'http://x');
      const key = decodeURIComponent(url.pathname.split('/')[2] ?? '');
      if (url.pathname === '/health') return send(res, 200, { ok: true });
      if (url.pathname === '/status') return send(res, 200, { id, role: 'primary', primary: id });
      if (url.pathname.startsWith('/kv/') && req.method === 'GET') return send(res, 200, { value: read(key) });
      if (url.pathname.startsWith('/kv/') && req.method === 'PUT') {
        persist([[key, JSON.parse(body)]]);
        return send(res, 200, { ok: true });
      }
      if (url.pathname.startsWith('/cas/') && req.method === 'POST') {
        const { expected, value } = JSON.parse(body);
        if (!same(read(key), expected)) return send(res, 409, { error: `expected ${JSON.stringify(expected)}, found ${JSON.stringify(read(key))}` });
        persist([[key, value]]);
        return send(res, 200, { ok: true });
      }
      if (url.pathname === '/txn' && req.method === 'POST') return send(res, 200, { value: txn(JSON.parse(body)) });
      return send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    } catch (error) {
      // A request we could not parse changed nothing (400); anything else may have reached the log (500: unknown).
      return send(res, error instanceof SyntaxError ? 400 : 500, { error: String(error.message) });
    }
  });
});
server.listen(Number(args.port), args.host ?? '127.0.0.1', () => {
  process.stderr.write(`${new Date().toISOString()} ${id} listening on ${args.host ?? '127.0.0.1'}:${args.port}, ${state.size} keys replayed\n`);
});
