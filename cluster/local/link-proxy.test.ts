// cluster/local/link-proxy.test.ts — the partition proxy over real TCP echo servers.
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { portFree } from '../ports.ts';
import { LinkProxy } from './link-proxy.ts';

/** QUIET_MS: how long "nothing arrives" is watched for. */
const QUIET_MS = 150;

interface EchoServer {
  port: number;
  /** Server-side sockets, so a test can push bytes from the server. */
  sockets: net.Socket[];
  received: number;
  close(): Promise<void>;
}

async function echoServer(): Promise<EchoServer> {
  const state: EchoServer = { port: 0, sockets: [], received: 0, close: async () => {} };
  const server = net.createServer((s) => {
    state.sockets.push(s);
    s.on('data', (d) => {
      state.received += d.length;
      s.write(d);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () => new Promise((resolve) => {
    state.sockets.forEach((s) => s.destroy());
    server.close(() => resolve());
  });
  return state;
}

/** Client: a socket that collects what it reads and notices its close. */
interface Client {
  socket: net.Socket;
  data: string;
  closed: boolean;
}

async function connect(port: number): Promise<Client> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  const c: Client = { socket, data: '', closed: false };
  socket.on('data', (d) => (c.data += d.toString()));
  socket.on('close', () => (c.closed = true));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return c;
}

async function until(cond: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const quiet = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, QUIET_MS));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(): Promise<{ server: EchoServer; proxy: LinkProxy }> {
  const server = await echoServer();
  const proxy = new LinkProxy('a>b', () => ({ host: '127.0.0.1', port: server.port }));
  await proxy.listen();
  cleanups.push(() => server.close(), () => proxy.close());
  return { server, proxy };
}

describe('LinkProxy', () => {
  it('forwards both ways while the link flows', async () => {
    const { proxy } = await rig();
    const c = await connect(proxy.port);
    cleanups.push(async () => void c.socket.destroy());
    c.socket.write('hello');
    await until(() => c.data === 'hello', 'echo');
    expect(proxy.stats.forwarded).toBe(1);
  });

  it('a cut stalls existing connections in both directions without closing them', async () => {
    const { server, proxy } = await rig();
    const c = await connect(proxy.port);
    cleanups.push(async () => void c.socket.destroy());
    c.socket.write('x');
    await until(() => c.data === 'x', 'first echo');
    proxy.cut();
    c.socket.write('lost');
    server.sockets[0].write('from-server');
    await quiet();
    expect(server.received).toBe(1);
    expect(c.data).toBe('x');
    expect(c.closed).toBe(false);
  });

  it('new connections during a cut are accepted but never reach the target', async () => {
    const { server, proxy } = await rig();
    proxy.cut();
    const c = await connect(proxy.port);
    cleanups.push(async () => void c.socket.destroy());
    c.socket.write('anyone?');
    await quiet();
    expect(server.sockets).toHaveLength(0);
    expect(c.data).toBe('');
    expect(c.closed).toBe(false);
  });

  it('restore resets stalled and hanging connections; new ones flow again', async () => {
    const { proxy } = await rig();
    const stalled = await connect(proxy.port);
    proxy.cut();
    const hanging = await connect(proxy.port);
    proxy.restore();
    await until(() => stalled.closed && hanging.closed, 'both reset');
    const fresh = await connect(proxy.port);
    cleanups.push(async () => void fresh.socket.destroy());
    fresh.socket.write('again');
    await until(() => fresh.data === 'again', 'echo after heal');
    expect(proxy.openConnections).toBe(1);
  });

  it('a dying target closes the client while flowing, but not behind a cut', async () => {
    const { server, proxy } = await rig();
    const a = await connect(proxy.port);
    await until(() => server.sockets.length === 1, 'server accepted');
    server.sockets[0].destroy();
    await until(() => a.closed, 'close propagated');
    const b = await connect(proxy.port);
    await until(() => server.sockets.length === 2, 'second accepted');
    proxy.cut();
    server.sockets[1].destroy();
    await quiet();
    expect(b.closed).toBe(false);
    proxy.restore();
    await until(() => b.closed, 'reset at heal');
  });

  it('refuses (resets) when the target is down, and close frees the port', async () => {
    const { server, proxy } = await rig();
    await server.close();
    const c = await connect(proxy.port);
    await until(() => c.closed, 'reset when target down');
    const port = proxy.port;
    await proxy.close();
    await proxy.close();
    expect(await portFree(port)).toBe(true);
  });
});
