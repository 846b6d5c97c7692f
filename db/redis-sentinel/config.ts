// db/redis-sentinel/config.ts — redis.conf and sentinel.conf of one node, and the timings Sentinel fails over with.
//
// Layout: every node is one machine running a redis-server and a redis-sentinel. n1 starts as
// the primary, the others as its replicas (`replicaof`); every sentinel monitors n1 under
// MASTER_NAME with quorum 2 (a majority of three). Replication is asynchronous, as Redis
// ships it: a primary acknowledges a write before any replica has it, and a primary cut off
// from its replicas keeps accepting writes (min-replicas-to-write 0, the default).

/** MASTER_NAME: the name the sentinels monitor the primary under (clients ask for it). */
export const MASTER_NAME = 'splitbrain';

/** SentinelTimings: how fast Sentinel notices a dead primary and how long a failover may take. */
export interface SentinelTimings {
  /** down-after-milliseconds: silence before a sentinel calls the primary subjectively down. */
  downAfterMs: number;
  /** failover-timeout: how long one failover attempt may run (and the wait before retrying it). */
  failoverTimeoutMs: number;
}

/**
 * DEFAULT_TIMINGS: short, so a failover completes within a test's partition (about
 * downAfterMs + 1-2 s of election and promotion). Redis's defaults are 30 s and 180 s.
 */
export const DEFAULT_TIMINGS: SentinelTimings = { downAfterMs: 2000, failoverTimeoutMs: 4000 };

/** Address: host and port as a redis config line names them. */
export interface Address {
  host: string;
  port: number;
}

/** ServerConfig: what one node's redis-server needs to know. */
export interface ServerConfig {
  /** Where it listens (0.0.0.0 in a container). */
  bind: string;
  port: number;
  /** What it tells the primary and the sentinels its address is. */
  announce: Address;
  dir: string;
  /** null for the initial primary. */
  replicaOf: Address | null;
  /** --redis-aof: off (Redis's default, RDB snapshots only), or the append-only file fsynced every second or before every reply. */
  aof: RedisAof;
}

/** REDIS_AOF_MODES: the --redis-aof values; everysec and always are Redis's appendfsync policies. */
export const REDIS_AOF_MODES = ['off', 'everysec', 'always'] as const;
export type RedisAof = (typeof REDIS_AOF_MODES)[number];

/** aofLines: the append-only file's settings for one --redis-aof mode. */
function aofLines(aof: RedisAof): string[] {
  return aof === 'off' ? ['appendonly no'] : ['appendonly yes', `appendfsync ${aof}`];
}

/** processLines: what both programs share — where they listen, in the foreground, logging to stdout, files in `dir`. */
function processLines(c: { bind: string; port: number; dir: string }): string[] {
  return [`bind ${c.bind}`, `port ${c.port}`, 'protected-mode no', 'daemonize no', 'logfile ""', `dir ${c.dir}`];
}

/**
 * serverConfig: redis.conf text. The log goes to stdout (the node's log file). Persistence is
 * Redis's default RDB snapshotting only unless --redis-aof turns the append-only file on: without
 * it a killed node restarts from its last snapshot or, as a replica, from a full resync.
 */
export function serverConfig(c: ServerConfig): string {
  const lines = [
    ...processLines(c),
    `replica-announce-ip ${c.announce.host}`,
    `replica-announce-port ${c.announce.port}`,
    ...aofLines(c.aof),
    // A replica keeps answering reads from its copy while it has no primary (the default).
    'replica-serve-stale-data yes',
    'replica-read-only yes',
  ];
  if (c.replicaOf !== null) lines.push(`replicaof ${c.replicaOf.host} ${c.replicaOf.port}`);
  return `${lines.join('\n')}\n`;
}

/** SentinelConfig: what one node's redis-sentinel needs to know. */
export interface SentinelConfig {
  bind: string;
  port: number;
  announce: Address;
  dir: string;
  /** The initial primary's address. */
  primary: Address;
  quorum: number;
  timings: SentinelTimings;
}

/** sentinelConfig: sentinel.conf text; Sentinel rewrites the file as it learns, so it must be writable. */
export function sentinelConfig(c: SentinelConfig): string {
  const t = c.timings;
  if (!(Number.isSafeInteger(t.downAfterMs) && t.downAfterMs > 0)) throw new Error(`sentinel: downAfterMs must be a positive integer, got ${t.downAfterMs}`);
  if (!(Number.isSafeInteger(t.failoverTimeoutMs) && t.failoverTimeoutMs > 0)) throw new Error(`sentinel: failoverTimeoutMs must be a positive integer, got ${t.failoverTimeoutMs}`);
  return [
    ...processLines(c),
    `sentinel announce-ip ${c.announce.host}`,
    `sentinel announce-port ${c.announce.port}`,
    `sentinel monitor ${MASTER_NAME} ${c.primary.host} ${c.primary.port} ${c.quorum}`,
    `sentinel down-after-milliseconds ${MASTER_NAME} ${t.downAfterMs}`,
    `sentinel failover-timeout ${MASTER_NAME} ${t.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${MASTER_NAME} 1`,
    '',
  ].join('\n');
}

/** nodeNames: the nodes n1..nN (n1 starts as the primary). */
export function nodeNames(nodeCount: number): string[] {
  if (!(Number.isSafeInteger(nodeCount) && nodeCount >= 1)) throw new Error(`nodeCount must be a positive integer, got ${nodeCount}`);
  return Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
}

/** quorumOf: a majority of the sentinels, so a sentinel cut off alone can never fail over. */
export function quorumOf(sentinelCount: number): number {
  if (!(Number.isSafeInteger(sentinelCount) && sentinelCount >= 1)) throw new Error(`sentinel count must be a positive integer, got ${sentinelCount}`);
  return Math.floor(sentinelCount / 2) + 1;
}

/** READY: the log lines that say a process serves (redis-server) or monitors (redis-sentinel). */
export const READY = {
  server: /Ready to accept connections/,
  sentinel: /\+monitor master /,
} as const;
