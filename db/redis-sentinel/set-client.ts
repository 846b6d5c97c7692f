// db/redis-sentinel/set-client.ts — the set workload's client on Redis: ioredis finds the primary through the sentinels.
//
// As an application would: ioredis asks the sentinels (the client's own node's first) for
// MASTER_NAME's address, connects there and checks that the server calls itself master. It
// asks again when its connection breaks or a command meets READONLY (the server it holds was
// demoted), as ioredis documents for Sentinel. It does not watch +switch-master
// (failoverDetector): a client keeps writing to a primary it can still reach, which is what
// a partition leaves it. `add e` is SADD, `read` SMEMBERS.
//
// Outcomes: a command is sent at most once (maxRetriesPerRequest 0), so an error reply
// (READONLY from a demoted primary, MASTERDOWN, LOADING, ...) means the server refused it:
// `fail`. A timeout or a connection lost after sending may or may not have applied it: `info`.
import { Redis, ReplyError } from 'ioredis';
import type { MicroOp } from '../../history/op.ts';
import type { Completion, KvClientLike } from '../../workloads/types.ts';
import { MASTER_NAME, type Address } from './config.ts';

/** COMMAND_TIMEOUT_MS: one command's wait for its reply; past it the op is info. */
const COMMAND_TIMEOUT_MS = 1000;
const CONNECT_TIMEOUT_MS = 1000;
const RECONNECT_DELAY_MS_MAX = 500;

/** ClientAddresses: what a client needs to find and name servers (see probe.ts RedisAddressBook). */
export interface ClientAddresses {
  readonly nodes: readonly string[];
  sentinelAddress(node: string): Address;
  /** natMap: announced "host:port" → the address the control node dials (empty when they agree). */
  natMap(): Record<string, Address>;
  /** nodeOfReached names the node behind an address the control node dialled. */
  nodeOfReached(address: Address): string | undefined;
}

/** RedisSetClient: KvClientLike for the set workload only (one txn append = SADD, read = SMEMBERS). */
export class RedisSetClient implements KvClientLike {
  private readonly redis: Redis;

  constructor(private readonly book: ClientAddresses, preferred: string) {
    const order = [preferred, ...book.nodes.filter((n) => n !== preferred)];
    this.redis = new Redis({
      sentinels: order.map((n) => book.sentinelAddress(n)),
      name: MASTER_NAME,
      role: 'master',
      natMap: book.natMap(),
      // Sentinels announce addresses inside the cluster, which the control node may not reach.
      updateSentinels: false,
      // Reconnect (and re-ask the sentinels) on READONLY, without resending: the op is fail.
      reconnectOnError: (error: Error) => (error.message.startsWith('READONLY') ? 1 : false),
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(times * 50, RECONNECT_DELAY_MS_MAX),
      sentinelRetryStrategy: (times: number) => Math.min(times * 50, RECONNECT_DELAY_MS_MAX),
      lazyConnect: false,
    });
    // Connection trouble surfaces in the commands' outcomes; the events themselves are noise.
    this.redis.on('error', () => undefined);
  }

  async read(key: string): Promise<Completion> {
    return this.run(async () => {
      const members = await this.redis.smembers(key);
      return { type: 'ok', value: members.map(decodeElement) };
    });
  }

  async txn(ops: MicroOp[]): Promise<Completion> {
    const [op] = ops;
    if (ops.length !== 1 || op[0] !== 'append') throw new Error('redis-sentinel: only the set workload runs here (one append per txn)');
    return this.run(async () => {
      await this.redis.sadd(String(op[1]), JSON.stringify(op[2]));
      return { type: 'ok' };
    });
  }

  write(): Promise<Completion> {
    throw new Error('redis-sentinel: only the set workload runs here (no write)');
  }

  cas(): Promise<Completion> {
    throw new Error('redis-sentinel: only the set workload runs here (no cas)');
  }

  close(): void {
    this.redis.disconnect();
  }

  /** run maps a command's end to a completion naming the node it went to (see the file comment). */
  private async run(command: () => Promise<Completion>): Promise<Completion> {
    const node = this.currentNode();
    try {
      const done = await command();
      return { ...done, node: node ?? this.currentNode() };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const at = node ?? this.currentNode();
      if (error instanceof ReplyError) return { type: 'fail', error: message, node: at };
      return { type: 'info', error: message, node: at };
    }
  }

  private currentNode(): string | undefined {
    const stream = this.redis.stream as { remoteAddress?: string; remotePort?: number } | undefined;
    if (stream?.remoteAddress === undefined || stream.remotePort === undefined) return undefined;
    return this.book.nodeOfReached({ host: stream.remoteAddress, port: stream.remotePort });
  }
}

/** decodeElement: set members are stored as JSON text (the workload adds integers). */
function decodeElement(member: string): unknown {
  try {
    return JSON.parse(member);
  } catch {
    return member;
  }
}
