// rsm/runtime/transport.ts — node-to-node messaging over TCP with length-prefixed JSON frames.
//
// Each node keeps one outbound connection per peer, used only to send; it receives on the
// connections other nodes opened to it. The connecting side first sends a hello frame naming
// itself, because peers cannot be identified by address: the local cluster routes traffic
// through TCP proxies that cut links. Sending never blocks: while a peer is connecting or its
// socket is backed up, messages wait in a bounded queue (oldest dropped when full); while a
// peer is known down (waiting to reconnect), messages are dropped. Cores retransmit.
//
// Nothing a peer sends can crash the node: a frame over FRAME_BYTES_MAX or nested past
// STORED_DEPTH_MAX, malformed JSON, a hello naming no known peer, or a message that is not a
// JSON object closes that connection (logged); a message we cannot encode is dropped (logged).
import * as net from 'node:net';
import type { NodeId } from '../core/types.ts';
import { encodeBoundedJson, JsonLimitError, parseBoundedJson, STORED_DEPTH_MAX } from './json-limits.ts';

/** FRAME_BYTES_MAX bounds one frame (state transfer can be large, but not unbounded). */
export const FRAME_BYTES_MAX = 64 * 1024 * 1024;

/** TransportOptions configures one node's transport. */
export interface TransportOptions {
  id: NodeId;
  /** peers maps node id → "host:port" to connect to (may be a proxy). */
  peers: Map<NodeId, string>;
  /** listen is "host:port" for inbound peer connections; port 0 picks a free one. */
  listen: string;
  onMessage: (from: NodeId, msg: unknown) => void;
  /** inboundFrom: the ids a hello may name (a core trusts `from`); default: any. */
  inboundFrom?: ReadonlySet<NodeId>;
  log?: (line: string) => void;
  /** queueMax bounds the messages waiting per peer. */
  queueMax?: number;
  backoffMsMin?: number;
  backoffMsMax?: number;
}

/** splitHostPort parses "host:port", asserting a valid port. */
export function splitHostPort(addr: string): { host: string; port: number } {
  const at = addr.lastIndexOf(':');
  const host = addr.slice(0, at);
  const port = Number(addr.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`expected host:port, got ${JSON.stringify(addr)}`);
  }
  return { host, port };
}

/** encodeFrame prefixes a JSON value with its u32 byte length; throws JsonLimitError past the limits. */
export function encodeFrame(value: unknown): Buffer {
  const payload = encodeBoundedJson(value, STORED_DEPTH_MAX);
  if (payload.length > FRAME_BYTES_MAX) throw new JsonLimitError(`transport: frame of ${payload.length} bytes is too large`);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(payload.length, 0);
  return Buffer.concat([header, payload]);
}

/** FrameError: a bad frame; framesBefore holds the good frames of the same push that preceded it. */
export class FrameError extends Error {
  constructor(message: string, readonly framesBefore: unknown[]) {
    super(message);
  }
}

/** FrameReader reassembles frames from a byte stream. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** needed is the byte count of the next whole frame (header included), once its header is in. */
  private needed = 4;

  /** push adds bytes and returns every complete frame; throws on an oversized, too deep or malformed frame. */
  push(chunk: Buffer): unknown[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: unknown[] = [];
    // Concatenate only when a whole header or frame is in, so a large frame arriving in many
    // chunks is copied once, not once per chunk.
    while (this.buffered >= this.needed) {
      const buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      const length = buf.readUInt32BE(0);
      if (length > FRAME_BYTES_MAX) throw new FrameError(`frame length ${length} exceeds ${FRAME_BYTES_MAX}`, frames);
      if (buf.length < 4 + length) {
        this.chunks = [buf];
        this.needed = 4 + length;
        break;
      }
      try {
        frames.push(parseBoundedJson(buf.subarray(4, 4 + length), STORED_DEPTH_MAX));
      } catch (err) {
        throw new FrameError((err as Error).message, frames);
      }
      const rest = buf.subarray(4 + length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.needed = 4;
    }
    return frames;
  }
}

type PeerState = 'idle' | 'connecting' | 'connected' | 'backoff';

/** Peer: the outbound side of one link. */
interface Peer {
  id: NodeId;
  addr: string;
  state: PeerState;
  socket: net.Socket | null;
  queue: Buffer[];
  backoffMs: number;
  timer: NodeJS.Timeout | null;
}

/** TransportStats: counters for tests and /status. */
export interface TransportStats {
  sent: number;
  received: number;
  dropped: number;
}

/** Transport: start() listens; send() never blocks; close() ends every socket. */
export class Transport {
  readonly stats: TransportStats = { sent: 0, received: 0, dropped: 0 };
  private server: net.Server | null = null;
  private readonly peers = new Map<NodeId, Peer>();
  private readonly inbound = new Set<net.Socket>();
  private closed = false;
  private readonly log: (line: string) => void;
  private readonly queueMax: number;
  private readonly backoffMsMin: number;
  private readonly backoffMsMax: number;

  constructor(private readonly options: TransportOptions) {
    this.log = options.log ?? (() => {});
    this.queueMax = options.queueMax ?? 1024;
    this.backoffMsMin = options.backoffMsMin ?? 20;
    this.backoffMsMax = options.backoffMsMax ?? 1000;
    for (const [id, addr] of options.peers) {
      if (id === options.id) continue;
      splitHostPort(addr);
      this.peers.set(id, { id, addr, state: 'idle', socket: null, queue: [], backoffMs: this.backoffMsMin, timer: null });
    }
  }

  /** start listens for inbound connections and returns the bound address. */
  async start(): Promise<{ host: string; port: number }> {
    const { host, port } = splitHostPort(this.options.listen);
    const server = net.createServer((socket) => this.acceptInbound(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address() as net.AddressInfo;
    for (const peer of this.peers.values()) this.connect(peer);
    return { host: bound.address, port: bound.port };
  }

  /** send queues msg for peer `to`; unknown peers are a programming error. */
  send(to: NodeId, msg: unknown): void {
    if (this.closed) return;
    const peer = this.peers.get(to);
    if (peer === undefined) throw new Error(`transport: unknown peer ${to}`);
    if (peer.state === 'backoff' || peer.state === 'idle') {
      this.stats.dropped += 1;
      return;
    }
    let frame: Buffer;
    try {
      frame = encodeFrame(msg);
    } catch (err) {
      // Our own limits refuse it; the core retransmits or gives up, as for a lost message.
      if (!(err instanceof JsonLimitError)) throw err;
      this.stats.dropped += 1;
      this.log(`transport: message to ${to} dropped: ${err.message}`);
      return;
    }
    if (peer.state === 'connected' && peer.queue.length === 0 && !peer.socket!.writableNeedDrain) {
      const socket = peer.socket!;
      // Frames sent in one event-loop turn leave in one writev instead of a syscall each.
      if (socket.writableCorked === 0) {
        socket.cork();
        setImmediate(() => socket.uncork());
      }
      socket.write(frame);
      this.stats.sent += 1;
      return;
    }
    peer.queue.push(frame);
    if (peer.queue.length > this.queueMax) {
      peer.queue.shift();
      this.stats.dropped += 1;
    }
  }

  /** close ends the listener and every connection; later sends are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    for (const peer of this.peers.values()) {
      if (peer.timer !== null) clearTimeout(peer.timer);
      peer.socket?.destroy();
      peer.queue = [];
    }
    for (const socket of this.inbound) socket.destroy();
    const server = this.server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private acceptInbound(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    socket.setNoDelay(true);
    const reader = new FrameReader();
    let from: NodeId | null = null;
    socket.on('data', (chunk: Buffer) => {
      let frames: unknown[];
      let bad: FrameError | null = null;
      try {
        frames = reader.push(chunk);
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
        bad = err;
        frames = err.framesBefore;
      }
      for (const frame of frames) {
        if (from === null) {
          const hello = frame as { hello?: unknown } | null;
          const known = this.options.inboundFrom;
          if (typeof hello?.hello !== 'string' || (known !== undefined && !known.has(hello.hello))) {
            this.log(`transport: inbound connection did not start with the hello of a known peer (${this.describe(hello)}); closing`);
            socket.destroy();
            return;
          }
          from = hello.hello;
          continue;
        }
        if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
          this.log(`transport: message from ${from} is not a JSON object (${this.describe(frame)}); closing`);
          socket.destroy();
          return;
        }
        this.stats.received += 1;
        this.options.onMessage(from, frame);
      }
      if (bad !== null) {
        this.log(`transport: bad frame from ${from ?? 'unidentified peer'}: ${bad.message}; closing`);
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.inbound.delete(socket));
  }

  /** describe renders a bad frame for the log, cut short. */
  private describe(frame: unknown): string {
    const text = JSON.stringify(frame) ?? String(frame);
    return text.length > 80 ? `${text.slice(0, 80)}...` : text;
  }

  private connect(peer: Peer): void {
    if (this.closed) return;
    const { host, port } = splitHostPort(peer.addr);
    peer.state = 'connecting';
    const socket = net.connect({ host, port });
    peer.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      peer.state = 'connected';
      peer.backoffMs = this.backoffMsMin;
      this.log(`transport: connected to ${peer.id} at ${peer.addr}`);
      socket.write(encodeFrame({ hello: this.options.id }));
      this.drain(peer);
    });
    socket.on('drain', () => this.drain(peer));
    // Data from an outbound socket is not expected; reading keeps the socket from stalling.
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => this.onOutboundClosed(peer, socket));
  }

  private onOutboundClosed(peer: Peer, socket: net.Socket): void {
    if (peer.socket !== socket) return;
    if (peer.state === 'connected') this.log(`transport: lost connection to ${peer.id}`);
    peer.socket = null;
    if (this.closed) return;
    peer.state = 'backoff';
    this.stats.dropped += peer.queue.length;
    peer.queue = [];
    // Jitter-free exponential backoff, capped: the reconnect cadence is bounded either way.
    peer.timer = setTimeout(() => {
      peer.timer = null;
      this.connect(peer);
    }, peer.backoffMs);
    peer.backoffMs = Math.min(peer.backoffMs * 2, this.backoffMsMax);
  }

  private drain(peer: Peer): void {
    const socket = peer.socket;
    if (socket === null || peer.state !== 'connected') return;
    while (peer.queue.length > 0 && !socket.writableNeedDrain) {
      socket.write(peer.queue.shift()!);
      this.stats.sent += 1;
    }
  }
}
