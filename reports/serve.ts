// reports/serve.ts — a small HTTP server for the store: the run index, reports and run files.
import { createReadStream, existsSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { isInside, realPathOf } from './confine.ts';
import { escapeHtml } from './escape.ts';
import { REPORT_FILE, renderReport } from './render.ts';
import { isRunDir, listRuns, renderIndexHtml } from './store-index.ts';

/** ServeOptions: the store to serve and where to listen (127.0.0.1 and a free port by default). */
export interface ServeOptions {
  store: string;
  host?: string;
  port?: number;
}

/** StoreServer: a running server; close() stops it and its open connections. */
export interface StoreServer {
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'text/plain; charset=utf-8',
};
// Reports are self-contained: they need inline script and style and nothing from the network.
const HTML_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";
const SEGMENTS_MAX = 32;

/** StorePathError: a request path that is malformed (400) or leaves the store (403). */
export class StorePathError extends Error {
  constructor(readonly status: 400 | 403, message: string) {
    super(message);
  }
}

/**
 * resolveStorePath maps a URL path below /runs/ to a file inside `storeReal` (the store's real
 * path). Segments are decoded one by one, so an encoded `/`, `\` or `..` cannot form a
 * traversal; the result and its real path (symlinks followed in every part that exists) must
 * stay inside the store. The real path is returned: every later read and write uses it.
 */
export async function resolveStorePath(storeReal: string, urlPath: string): Promise<string> {
  const raw = urlPath.split('/').filter((s) => s !== '');
  if (raw.length > SEGMENTS_MAX) throw new StorePathError(400, 'path too long');
  const segments: string[] = [];
  for (const s of raw) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(s);
    } catch {
      throw new StorePathError(400, 'bad percent-encoding');
    }
    if (decoded === '..' || decoded === '.' || /[/\\\0]/.test(decoded)) throw new StorePathError(403, 'path leaves the store');
    segments.push(decoded);
  }
  const target = path.resolve(storeReal, ...segments);
  if (!isInside(storeReal, target)) throw new StorePathError(403, 'path leaves the store');
  // Resolved whether or not the file exists yet: report.html is written on first request.
  const real = await realPathOf(target);
  if (!isInside(storeReal, real)) throw new StorePathError(403, 'path leaves the store');
  return real;
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  const headers: Record<string, string> = { 'content-type': type, 'x-content-type-options': 'nosniff' };
  if (type.startsWith('text/html')) headers['content-security-policy'] = HTML_CSP;
  res.writeHead(status, headers);
  res.end(body);
}

async function serveFile(res: http.ServerResponse, file: string, urlPath: string): Promise<void> {
  const info = await stat(file);
  if (info.isDirectory()) {
    const names = (await readdir(file)).sort();
    const base = urlPath.endsWith('/') ? urlPath : `${urlPath}/`;
    const items = names.map((n) => `<li><a href="${escapeHtml(base + encodeURIComponent(n))}">${escapeHtml(n)}</a></li>`).join('');
    send(res, 200, 'text/html; charset=utf-8', `<!DOCTYPE html><meta charset="utf-8"><title>files</title><p><a href="/">all runs</a></p><ul>${items}</ul>`);
    return;
  }
  // Anything but our own HTML is sent as plain text: node logs and histories hold untrusted text.
  const type = CONTENT_TYPES[path.extname(file)] ?? 'text/plain; charset=utf-8';
  const headers: Record<string, string> = { 'content-type': type, 'content-length': String(info.size), 'x-content-type-options': 'nosniff' };
  if (type.startsWith('text/html')) headers['content-security-policy'] = HTML_CSP;
  res.writeHead(200, headers);
  await new Promise<void>((resolve, reject) => {
    createReadStream(file).on('error', reject).on('end', resolve).pipe(res);
  });
}

async function handle(storeReal: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  const urlPath = (req.url ?? '/').split('?')[0];
  if (urlPath === '/' || urlPath === '/index.html') {
    return send(res, 200, 'text/html; charset=utf-8', renderIndexHtml(storeReal, await listRuns(storeReal)));
  }
  if (!urlPath.startsWith('/runs/')) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  const file = await resolveStorePath(storeReal, urlPath.slice('/runs/'.length));
  if (!existsSync(file) && path.basename(file) === REPORT_FILE && (await isRunDir(path.dirname(file)))) {
    await renderReport(path.dirname(file), { confineTo: storeReal });
  }
  if (!existsSync(file)) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  await serveFile(res, file, urlPath);
}

/** startServer serves `store` until close(); it binds 127.0.0.1 unless `host` says otherwise. */
export async function startServer(opts: ServeOptions): Promise<StoreServer> {
  if (!existsSync(opts.store) || !(await stat(opts.store)).isDirectory()) {
    throw new Error(`serve: --store ${opts.store}: expected a directory`);
  }
  const storeReal = await realpath(opts.store);
  const server = http.createServer((req, res) => {
    handle(storeReal, req, res).catch((error: unknown) => {
      const status = error instanceof StorePathError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) send(res, status, 'text/plain; charset=utf-8', `${message}\n`);
      else res.destroy();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
