// test/reports-serve.test.ts — `serve`: the run index, on-demand reports, and no way out of the store.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixtureRun } from './support/report-fixture.ts';
import { startServer, type StoreServer } from '../reports/serve.ts';

const temp = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-serve-test-'));
const store = path.join(temp, 'store');
let server: StoreServer;

/** get sends the path exactly as given (http.request does not normalise `..`). */
function get(urlPath: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: urlPath, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  await writeFixtureRun(path.join(store, 'register-fixture', '20261122T000000.000Z'));
  mkdirSync(path.join(store, 'other-test', '20261122T010000.000Z'), { recursive: true });
  writeFileSync(path.join(store, 'other-test', '20261122T010000.000Z', 'results.json'), JSON.stringify({ valid: true, anomalies: [] }));
  writeFileSync(path.join(temp, 'secret.txt'), 'top secret');
  // A symlink inside the store pointing outside it must not be followed.
  symlinkSync(temp, path.join(store, 'escape'));
  symlinkSync('20261122T000000.000Z', path.join(store, 'register-fixture', 'latest'));
  server = await startServer({ store });
});
afterAll(async () => {
  await server.close();
  rmSync(temp, { recursive: true, force: true });
});

describe('serve', () => {
  it('binds 127.0.0.1 by default', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('lists every run with its verdict and links to the report and files', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('register-fixture');
    expect(r.body).toContain('other-test');
    expect(r.body).toContain('badge v-false');
    expect(r.body).toContain('badge v-true');
    expect(r.body).toContain('href="/runs/register-fixture/20261122T000000.000Z/report.html"');
    expect(r.body).toContain('href="/runs/register-fixture/20261122T000000.000Z/history.jsonl"');
    // The anomaly text comes from results.json and is escaped.
    expect(r.body).not.toContain('<script>');
    expect((r.body.match(/<tr class=/g) ?? []).length).toBe(2);
  });

  it('renders a missing report on demand and serves it with a CSP that forbids the network', async () => {
    const r = await get('/runs/register-fixture/20261122T000000.000Z/report.html');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.body).toContain('id="report-data"');
  });

  it('serves run files as plain text and lists directories', async () => {
    const log = await get('/runs/register-fixture/20261122T000000.000Z/logs/n1.log');
    expect(log.status).toBe(200);
    expect(log.headers['content-type']).toContain('text/plain');
    expect(log.headers['x-content-type-options']).toBe('nosniff');
    expect(log.body).toContain('<script>');
    const dir = await get('/runs/register-fixture/20261122T000000.000Z/logs/');
    expect(dir.status).toBe(200);
    expect(dir.body).toContain('n1.log');
  });

  it('refuses every path outside the store', async () => {
    const attempts = [
      '/runs/../secret.txt',
      '/runs/../../../../etc/passwd',
      '/runs/%2e%2e/secret.txt',
      '/runs/%2E%2E/%2E%2E/etc/passwd',
      '/runs/..%2fsecret.txt',
      '/runs/register-fixture/..%2f..%2fsecret.txt',
      '/runs/..%5csecret.txt',
      '/runs/escape/secret.txt',
      '/runs/%00',
    ];
    for (const attempt of attempts) {
      const r = await get(attempt);
      expect(r.status, attempt).toBe(403);
      expect(r.body).not.toContain('top secret');
    }
    expect((await get('/runs/%E0%A4%A')).status).toBe(400);
    expect((await get('/etc/passwd')).status).toBe(404);
  });

  it('follows symlinks that stay inside the store', async () => {
    const r = await get('/runs/register-fixture/latest/test.json');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ seed: 42 });
  });
});
