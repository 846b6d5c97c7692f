// cluster/local/link-proxy.ts — a TCP proxy for one directed link that a partition can black-hole.
//
// While the link flows, each accepted connection is paired with a connection to the target
// and bytes are copied both ways. cut() stalls every pair: neither side is read any more, so
// bytes stop in both directions and the senders' buffers fill as on a dead network; new
// connections are accepted but never forwarded. restore() destroys the stalled and hanging
// connections (the peers see a reset and reconnect) and lets new connections through.
import * as net from 'node:net';

/** Target: where the proxy forwards to; null when the target is not known or not running. */
export type ProxyTarget = { host: string; port: number } | null;

/** LinkProxyStats: counters for tests and logs. */
export interface LinkProxyStats {
  accepted: number;
  forwarded: number;
  reset: number;
}

/** Pair: one proxied connection (upstream is null while it hangs). */
interface Pair {
  downstream: net.Socket;
  upstream: net.Socket | null;
  stalled: boolean;
}

/** LinkProxy: listen() once, cut()/restore() any number of times, close() at the end. */
export class LinkProxy {
  readonly stats: LinkProxyStats = { accepted: 0, forwarded: 0, reset: 0 };
  private server: net.Server | null = null;
  private readonly pairs = new Set<Pair>();
  private cutNow = false;
  private closed = false;
  private boundPort = 0;

  /** constructor takes a name for logs and a function giving the current target. */
  constructor(readonly name: string, private readonly target: () => ProxyTarget, private readonly host = '127.0.0.1') {}

  /** port is the listening port (0 before listen). */
  get port(): number {
    return this.boundPort;
  }

  get isCut(): boolean {
    return this.cutNow;
  }

  /** openConnections counts live proxied connections, stalled or not. */
  get openConnections(): number {
    return this.pairs.size;
  }

  /** listen binds a free port (or `port`) and returns it. */
  async listen(port = 0): Promise<number> {
    if (this.server !== null) throw new Error(`LinkProxy ${this.name}: already listening`);
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as net.AddressInfo).port;
    return this.boundPort;
  }

  /** cut black-holes the link: existing connections stall, new ones hang. */
  cut(): void {
    this.cutNow = true;
    for (const pair of this.pairs) this.stall(pair);
  }

  /** restore heals the link, resetting every connection that stalled or hung meanwhile. */
  restore(): void {
    this.cutNow = false;
    for (const pair of [...this.pairs]) {
      if (pair.stalled) this.reset(pair);
    }
  }

  /** resetAll destroys every connection (e.g. its target restarted on a new socket). */
  resetAll(): void {
    for (const pair of [...this.pairs]) this.reset(pair);
  }

  /** close stops listening and destroys every connection; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.resetAll();
    const server = this.server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(downstream: net.Socket): void {
    this.stats.accepted += 1;
    const pair: Pair = { downstream, upstream: null, stalled: false };
    this.pairs.add(pair);
    downstream.on('error', () => {});
    downstream.on('close', () => this.onClose(pair));
    if (this.closed) {
      this.reset(pair);
      return;
    }
    if (this.cutNow) {
      // Accepted, but never connected onwards: the client hangs as on a dead network.
      this.stall(pair);
      return;
    }
    const target = this.target();
    if (target === null) {
      this.reset(pair);
      return;
    }
    downstream.pause();
    const upstream = net.connect(target);
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    downstream.setNoDelay(true);
    upstream.on('error', () => {});
    upstream.on('close', () => this.onClose(pair));
    upstream.on('connect', () => {
      if (pair.stalled) return;
      this.stats.forwarded += 1;
      this.pipe(pair, downstream, upstream);
      this.pipe(pair, upstream, downstream);
    });
  }

  /** pipe copies from → to with backpressure, unless the pair is stalled. */
  private pipe(pair: Pair, from: net.Socket, to: net.Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (pair.stalled) return;
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!pair.stalled) from.resume();
    });
    from.on('end', () => {
      if (!pair.stalled) to.end();
    });
    from.resume();
  }

  private stall(pair: Pair): void {
    pair.stalled = true;
    pair.downstream.pause();
    pair.upstream?.pause();
  }

  /** onClose propagates a close only while the link flows: a cut link hides deaths too. */
  private onClose(pair: Pair): void {
    if (pair.stalled) return;
    this.reset(pair);
  }

  private reset(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    this.stats.reset += 1;
    pair.downstream.destroy();
    pair.upstream?.destroy();
  }
}
