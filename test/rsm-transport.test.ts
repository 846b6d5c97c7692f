// test/rsm-transport.test.ts — peer transport over real TCP through a cuttable proxy.
import { afterEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import fc from 'fast-check';
import { FrameReader, Transport, encodeFrame } from '../rsm/runtime/transport.ts';

/** TcpProxy: a plain TCP forwarder that can cut every connection through it (as the cluster does). */
class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private cutOff = false;
  private server: net.Server | null = null;
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      if (this.cutOff) return client.destroy();
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as net.AddressInfo).port;
  }

  cut(): void {
    this.cutOff = true;
    for (const s of this.sockets) s.destroy();
  }

  heal(): void {
    this.cutOff = false;
  }

  async close(): Promise<void> {
    this.cut();
    const server = this.server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('FrameReader', () => {
  it('reassembles frames split at every byte boundary', () => {
    const bytes = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame('x'), encodeFrame([1, 2])]);
    const reader = new FrameReader();
    const out: unknown[] = [];
    for (let i = 0; i < bytes.length; i += 1) out.push(...reader.push(bytes.subarray(i, i + 1)));
    expect(out).toEqual([{ a: 1 }, 'x', [1, 2]]);
  });

  it('returns the same frames however the stream is chunked (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.jsonValue(), { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
      (values, cuts) => {
        const bytes = Buffer.concat(values.map(encodeFrame));
        const reader = new FrameReader();
        const out: unknown[] = [];
        let at = 0;
        for (let i = 0; at < bytes.length; i += 1) {
          const size = cuts[i % cuts.length];
          out.push(...reader.push(bytes.subarray(at, at + size)));
          at += size;
        }
        expect(out).toEqual(values.map((v) => JSON.parse(JSON.stringify(v))));
      },
    ), { numRuns: 200 });
  });

  it('reassembles a 4 MiB frame delivered in 64 KiB chunks', () => {
    const big = { blob: 'x'.repeat(4 * 1024 * 1024) };
    const bytes = encodeFrame(big);
    const reader = new FrameReader();
    const out: unknown[] = [];
    for (let at = 0; at < bytes.length; at += 65536) out.push(...reader.push(bytes.subarray(at, at + 65536)));
    expect(out).toEqual([big]);
  });
});

describe('Transport', () => {
  it('identifies peers by hello (not address), survives a cut proxy link and reconnects', async () => {
    const got: Array<[string, unknown]> = [];
    const b = new Transport({ id: 'b', peers: new Map(), listen: '127.0.0.1:0', onMessage: (from, msg) => got.push([from, msg]) });
    const bAddr = await b.start();
    cleanups.push(() => b.close());
    const proxy = new TcpProxy(bAddr.port);
    await proxy.start();
    cleanups.push(() => proxy.close());
    const a = new Transport({
      id: 'a', peers: new Map([['b', `127.0.0.1:${proxy.port}`]]), listen: '127.0.0.1:0',
      onMessage: () => {}, backoffMsMin: 10, backoffMsMax: 50,
    });
    await a.start();
    cleanups.push(() => a.close());

    // Keep sending until the connection is up; early messages may be queued or dropped.
    await waitFor(() => {
      a.send('b', { n: 'first' });
      return got.length > 0;
    });
    expect(got[0]).toEqual(['a', { n: 'first' }]);

    proxy.cut();
    await new Promise((r) => setTimeout(r, 100));
    const before = got.length;
    for (let i = 0; i < 50; i += 1) a.send('b', { n: i }); // must not block or throw
    await new Promise((r) => setTimeout(r, 100));
    // Lost, not delayed: whether dropped in backoff or written into a socket the proxy kills.
    expect(got.length).toBe(before);

    proxy.heal();
    await waitFor(() => {
      a.send('b', { n: 'after-heal' });
      return got.some(([, m]) => (m as { n: unknown }).n === 'after-heal');
    });
    expect(got.every(([from]) => from === 'a')).toBe(true);
  });

  it('keeps FIFO order on one link and bounds the queue while connecting', async () => {
    const got: unknown[] = [];
    const b = new Transport({ id: 'b', peers: new Map(), listen: '127.0.0.1:0', onMessage: (_f, msg) => got.push(msg) });
    const bAddr = await b.start();
    cleanups.push(() => b.close());
    const a = new Transport({ id: 'a', peers: new Map([['b', `127.0.0.1:${bAddr.port}`]]), listen: '127.0.0.1:0', onMessage: () => {}, queueMax: 10 });
    await a.start();
    cleanups.push(() => a.close());
    // Sent synchronously, before the connect completes: only the newest 10 survive.
    // Messages are JSON objects (the receiving transport closes a link that carries anything else).
    for (let i = 0; i < 25; i += 1) a.send('b', { i });
    await waitFor(() => got.length >= 10);
    expect(got).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24].map((i) => ({ i })));
    for (let i = 100; i < 1100; i += 1) a.send('b', { i });
    await waitFor(() => got.length >= 1010);
    expect(got.slice(10)).toEqual(Array.from({ length: 1000 }, (_, i) => ({ i: 100 + i })));
  });

  it('drops messages to a peer that is down without blocking', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const a = new Transport({ id: 'a', peers: new Map([['dead', `127.0.0.1:${port}`]]), listen: '127.0.0.1:0', onMessage: () => {} });
    await a.start();
    cleanups.push(() => a.close());
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 100; i += 1) a.send('dead', i);
    expect(a.stats.dropped).toBeGreaterThanOrEqual(100);
    expect(() => a.send('nobody', 1)).toThrow(/unknown peer/);
  });
});
