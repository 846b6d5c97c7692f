// cluster/local/link-proxy.ts — a TCP proxy for one directed link that a partition can black-hole.
//
// While the link flows, each accepted connection is paired with a connection to the target
// and bytes are copied both ways. cut() stalls every pair: neither side is read any more, so
// bytes stop in both directions and the senders' buffers fill as on a dead network; new
// connections are accepted but never forwarded. restore() destroys the stalled and hanging
// connections (the peers see a reset and reconnect) and lets new connections through.
// shape() puts a packet fault on either direction: chunks are delayed, jittered, throttled or
// let through early (reordering against other connections) by a DelayLine (link-shaper.ts).
import * as net from 'node:net';
import type { Rng } from '../../lib/rng.ts';
import type { PacketShape } from '../types.ts';
import { DelayLine } from './link-shaper.ts';

/** Target: where the proxy forwards to; null when the target is not known or not running. */
export type ProxyTarget = { host: string; port: number } | null;

/** LinkProxyStats: counters for tests and logs. */
export interface LinkProxyStats {
  accepted: number;
  forwarded: number;
  reset: number;
}

/** Shaping: a packet fault on one direction of the link, with its seeded source of choices. */
export interface Shaping {
  shape: PacketShape;
  rng: Rng;
}

/** Direction: forward is what the connecting side sends (downstream → upstream), backward the replies. */
type Direction = 'forward' | 'backward';

/** Pair: one proxied connection (upstream is null while it hangs); lines hold shaped chunks per direction. */
interface Pair {
  downstream: net.Socket;
  upstream: net.Socket | null;
  stalled: boolean;
  lines: Partial<Record<Direction, DelayLine>>;
}

/** NO_RNG: the source of an unshaped line, which draws nothing. */
const NO_RNG: Rng = { next: () => 0, int: () => 0 };

/** LinkProxy: listen() once, cut()/restore() any number of times, close() at the end. */
export class LinkProxy {
  readonly stats: LinkProxyStats = { accepted: 0, forwarded: 0, reset: 0 };
  private server: net.Server | null = null;
  private readonly pairs = new Set<Pair>();
  private cutNow = false;
  private readonly shaping: Partial<Record<Direction, Shaping>> = {};
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

  /**
   * shape sets (or, with null, clears) the packet fault on each direction. Chunks already held
   * are still delivered at their times, so a stream never loses its order.
   */
  shape(forward: Shaping | null, backward: Shaping | null): void {
    for (const [dir, s] of [['forward', forward], ['backward', backward]] as const) {
      if (s === null) delete this.shaping[dir];
      else this.shaping[dir] = s;
      for (const pair of this.pairs) pair.lines[dir]?.reshape(s?.shape ?? {}, s?.rng ?? NO_RNG);
    }
  }

  /** isShaped: some direction has a packet fault. */
  get isShaped(): boolean {
    return this.shaping.forward !== undefined || this.shaping.backward !== undefined;
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
    const pair: Pair = { downstream, upstream: null, stalled: false, lines: {} };
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
      this.pipe(pair, downstream, upstream, 'forward');
      this.pipe(pair, upstream, downstream, 'backward');
    });
  }

  /** pipe copies from → to with backpressure, unless the pair is stalled; shaped chunks go through a DelayLine. */
  private pipe(pair: Pair, from: net.Socket, to: net.Socket, dir: Direction): void {
    from.on('data', (chunk: Buffer) => {
      if (pair.stalled) return;
      const shaping = this.shaping[dir];
      let line = pair.lines[dir];
      if (line === undefined && shaping !== undefined) {
        line = new DelayLine(shaping.shape, shaping.rng, (c) => {
          if (!pair.stalled && !to.write(c)) from.pause();
        }, (full) => (full ? from.pause() : from.resume()));
        pair.lines[dir] = line;
      }
      // An unshaped link still drains what its line holds first, keeping the stream in order.
      if (line !== undefined && (shaping !== undefined || line.heldCount > 0)) line.push(chunk);
      else if (!to.write(chunk)) from.pause();
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
    // A cut link black-holes what it held too.
    for (const line of Object.values(pair.lines)) line.drop();
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
    for (const line of Object.values(pair.lines)) line.drop();
    pair.downstream.destroy();
    pair.upstream?.destroy();
  }
}
