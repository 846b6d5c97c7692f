// test/rsm-client.test.ts — KvClient's mapping of HTTP outcomes to ok/fail/info, and its routing modes,
// against scripted HTTP servers.
import { afterEach, describe, expect, it } from 'vitest';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KvClient } from '../rsm/client/client.ts';
import { freePort } from './support/cluster-procs.ts';

type Script = (body: { clientId: string; seq: number }, res: http.ServerResponse, req: http.IncomingMessage) => void;

const servers: http.Server[] = [];
const clients: KvClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** scripted starts a server that records every request body and answers by script. */
async function scripted(script: Script): Promise<{ url: string; seen: Array<{ clientId: string; seq: number }> }> {
  const seen: Array<{ clientId: string; seq: number }> = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const body = JSON.parse(text) as { clientId: string; seq: number };
      seen.push(body);
      script(body, res, req);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const json = (res: http.ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const ok = (value?: unknown): Script => (_b, res) => json(res, 200, { outcome: 'ok', result: { type: 'ok', value } });
const reject = (redirect: string | null): Script => (_b, res) => json(res, 409, { outcome: 'reject', error: 'not primary', redirect });

function client(endpoints: Record<string, string>, opts: Partial<ConstructorParameters<typeof KvClient>[0]> = {}): KvClient {
  const c = new KvClient({ endpoints, requestTimeoutMs: 300, ...opts });
  clients.push(c);
  return c;
}

describe('KvClient outcome mapping', () => {
  it('200 ok → ok with value; 200 result fail → fail; 400 → fail; 503/504 → info', async () => {
    const a = await scripted(ok(5));
    expect(await client({ a: a.url }).read('k')).toEqual({ type: 'ok', value: 5, node: 'a' });
    const f = await scripted((_b, res) => json(res, 200, { outcome: 'ok', result: { type: 'fail', error: 'cas mismatch' } }));
    expect(await client({ f: f.url }).cas('k', 1, 2)).toEqual({ type: 'fail', error: 'cas mismatch', node: 'f' });
    const bad = await scripted((_b, res) => json(res, 400, { outcome: 'reject', error: 'cmd.key must be a string' }));
    expect(await client({ bad: bad.url }).read('k')).toMatchObject({ type: 'fail', error: expect.stringContaining('cmd.key') });
    for (const status of [503, 504]) {
      const u = await scripted((_b, res) => json(res, status, { outcome: 'unknown', error: 'no reply in time' }));
      expect(await client({ u: u.url }).write('k', 1)).toEqual({ type: 'info', error: 'no reply in time', node: 'u' });
    }
  });

  it('a request that was sent but got no answer in time → info', async () => {
    const hang = await scripted(() => {});
    const r = await client({ h: hang.url }, { mode: 'single-node' }).write('k', 1);
    expect(r).toMatchObject({ type: 'info', error: expect.stringContaining('timeout') });
  });

  it('a connection reset after the request was sent → info', async () => {
    const reset = await scripted((_b, _res, req) => req.socket.destroy());
    expect(await client({ r: reset.url }, { mode: 'single-node' }).write('k', 1)).toMatchObject({ type: 'info' });
  });

  it('connection refused (nothing sent) → fail in single-node mode', async () => {
    const port = await freePort();
    expect(await client({ d: `http://127.0.0.1:${port}` }, { mode: 'single-node' }).write('k', 1))
      .toMatchObject({ type: 'fail', error: expect.stringContaining('ECONNREFUSED') });
  });

  it('a reject is final in single-node mode', async () => {
    const a = await scripted(reject('b'));
    const b = await scripted(ok());
    expect(await client({ a: a.url, b: b.url }, { mode: 'single-node' }).write('k', 1)).toMatchObject({ type: 'fail' });
    expect(b.seen).toHaveLength(0);
  });
});

describe('KvClient routing', () => {
  it('follow-redirect: follows the redirect with the SAME seq, then sticks to the node that answered', async () => {
    const a = await scripted(reject('b'));
    const b = await scripted(ok());
    const c = client({ a: a.url, b: b.url }, { mode: 'follow-redirect' });
    expect(await c.write('k', 1)).toEqual({ type: 'ok', value: undefined, node: 'b' });
    expect(a.seen[0].seq).toBe(1);
    expect(b.seen[0]).toMatchObject({ clientId: a.seen[0].clientId, seq: 1 });
    expect(await c.write('k', 2)).toMatchObject({ type: 'ok', node: 'b' });
    expect(b.seen[1].seq).toBe(2);
    expect(a.seen).toHaveLength(1);
  });

  it('follow-redirect: a refused connection moves on to the next endpoint with the same seq', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const b = await scripted(ok());
    expect(await client({ a: down, b: b.url }, { mode: 'follow-redirect' }).write('k', 1)).toMatchObject({ type: 'ok', node: 'b' });
    expect(b.seen[0].seq).toBe(1);
  });

  it('follow-redirect: bounded hops, then fail, when everyone rejects', async () => {
    const a = await scripted(reject('b'));
    const b = await scripted(reject('a'));
    const r = await client({ a: a.url, b: b.url }, { mode: 'follow-redirect', hopsMax: 5 }).write('k', 1);
    expect(r).toMatchObject({ type: 'fail', error: expect.stringContaining('rejected') });
    expect(a.seen.length + b.seen.length).toBe(6);
  });

  it('failover-on-timeout: the timed-out op is info, and later ops go to the next endpoint', async () => {
    const hang = await scripted(() => {});
    const b = await scripted(ok());
    const c = client({ a: hang.url, b: b.url }, { mode: 'failover-on-timeout' });
    expect(await c.write('k', 1)).toMatchObject({ type: 'info', node: 'a' });
    expect(c.node).toBe('b');
    expect(await c.write('k', 2)).toMatchObject({ type: 'ok', node: 'b' });
    expect(b.seen.map((s) => s.seq)).toEqual([2]);
  });

  it('fanout: writes go to every replica with one seq; reads to one; partial success is info', async () => {
    const a = await scripted(ok());
    const b = await scripted(ok());
    const c = client({ a: a.url, b: b.url }, { mode: 'fanout' });
    expect(await c.write('k', 1)).toMatchObject({ type: 'ok' });
    expect(a.seen.map((s) => s.seq)).toEqual([1]);
    expect(b.seen.map((s) => s.seq)).toEqual([1]);
    expect(await c.read('k')).toMatchObject({ type: 'ok', node: 'a' });
    expect(b.seen).toHaveLength(1);

    const down = `http://127.0.0.1:${await freePort()}`;
    expect(await client({ a: a.url, d: down }, { mode: 'fanout' }).write('k', 1)).toMatchObject({ type: 'info' });
    expect(await client({ d: down }, { mode: 'fanout' }).write('k', 1)).toMatchObject({ type: 'fail' });
  });
});
