// db/redis-sentinel/probe.ts — ask redis-servers their role and sentinels whom they call primary.
import { Redis } from 'ioredis';
import type { NodeStatus } from '../../cluster/types.ts';
import { MASTER_NAME, type Address } from './config.ts';

/** SETTLE_TIMEOUT_MS: the longest a run waits for Sentinel to settle after healing (see settled). */
export const SETTLE_TIMEOUT_MS = 40_000;

/** PROBE_TIMEOUT_MS: a probe of a paused or cut-off process gives up after this. */
const PROBE_TIMEOUT_MS = 500;

/**
 * RedisAddressBook: how the control node reaches each node's server and sentinel, and which
 * node an address announced inside the cluster (in INFO or a sentinel's answer) belongs to.
 */
export interface RedisAddressBook {
  readonly nodes: readonly string[];
  serverAddress(node: string): Address;
  sentinelAddress(node: string): Address;
  /** nodeOfAnnounced maps an announced server address back to its node (undefined: not ours). */
  nodeOfAnnounced(address: Address): string | undefined;
}

/** ServerRole: one redis-server's own view (INFO replication). */
export interface ServerRole {
  role: 'primary' | 'replica';
  /** For a replica: the primary it replicates from, as announced. */
  primary: Address | null;
  /** For a replica: its link to the primary is up and the initial sync is done. */
  linkUp: boolean;
  /** master_repl_offset: how far its replication stream got. */
  offset: number;
}

/** oneShot opens a connection that never retries or queues, runs `f`, and closes it; null on any failure. */
async function oneShot<T>(address: Address, f: (r: Redis) => Promise<T>, timeoutMs = PROBE_TIMEOUT_MS): Promise<T | null> {
  const r = new Redis({
    host: address.host,
    port: address.port,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // A probe's failure is its answer (null); ioredis would otherwise print unhandled error events.
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await f(r);
  } catch {
    return null;
  } finally {
    r.disconnect();
  }
}

/** parseInfo reads `key:value` lines of an INFO section. */
export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) out.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return out;
}

/** roleFromInfo: a server's role from its INFO replication text; null when the text has none. */
export function roleFromInfo(text: string): ServerRole | null {
  const info = parseInfo(text);
  const role = info.get('role');
  const offset = Number(info.get('master_repl_offset') ?? 0);
  if (role === 'master') return { role: 'primary', primary: null, linkUp: false, offset };
  if (role !== 'slave') return null;
  const port = Number(info.get('master_port'));
  const host = info.get('master_host');
  const linkUp = info.get('master_link_status') === 'up' && info.get('master_sync_in_progress') === '0';
  return { role: 'replica', primary: host !== undefined && Number.isInteger(port) ? { host, port } : null, linkUp, offset };
}

/** serverRole asks one redis-server INFO replication; null when it does not answer in time. */
export function serverRole(address: Address): Promise<ServerRole | null> {
  return oneShot(address, async (r) => roleFromInfo(await r.info('replication')));
}

/** sentinelPrimary asks one sentinel which address it currently calls the primary. */
export function sentinelPrimary(address: Address): Promise<Address | null> {
  return oneShot(address, async (r) => {
    const answer = (await r.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string] | null;
    if (!Array.isArray(answer) || answer.length !== 2) return null;
    return { host: String(answer[0]), port: Number(answer[1]) };
  });
}

/** SentinelView: what one sentinel knows of the monitored primary (SENTINEL master). */
export interface SentinelView {
  replicaCount: number;
  otherSentinelCount: number;
}

/** sentinelView asks one sentinel how many replicas and fellow sentinels it knows of. */
export function sentinelView(address: Address): Promise<SentinelView | null> {
  return oneShot(address, async (r) => {
    const flat = (await r.call('SENTINEL', 'master', MASTER_NAME)) as unknown;
    if (!Array.isArray(flat)) return null;
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), String(flat[i + 1]));
    return { replicaCount: Number(fields.get('num-slaves')), otherSentinelCount: Number(fields.get('num-other-sentinels')) };
  });
}

/**
 * replicasSynced: every node but `primary` is its replica with the initial sync done. Until
 * then a primary's death loses what it acknowledged before any test op (not the finding).
 */
export async function replicasSynced(book: RedisAddressBook, primary: string): Promise<boolean> {
  const roles = await Promise.all(book.nodes.map((n) => serverRole(book.serverAddress(n))));
  return roles.every((r, i) => book.nodes[i] === primary
    ? r?.role === 'primary'
    : r?.role === 'replica' && r.linkUp && r.primary !== null && book.nodeOfAnnounced(r.primary) === primary);
}

/** sentinelsAcquainted: every sentinel knows every replica and every other sentinel, so a majority can fail over. */
export async function sentinelsAcquainted(book: RedisAddressBook): Promise<boolean> {
  const views = await Promise.all(book.nodes.map((n) => sentinelView(book.sentinelAddress(n))));
  const others = book.nodes.length - 1;
  return views.every((v) => v !== null && v.replicaCount === others && v.otherSentinelCount === others);
}

/**
 * settled: exactly one server calls itself primary, a majority of sentinels names it, and every
 * other server replicates from it with the sync done — what Sentinel converges to after healing
 * (demoting a primary that was cut off can take it 8 to 20 s: it waits 4 publish periods of
 * seeing the wrong role, and asks for INFO every 10 s).
 */
export async function settled(book: RedisAddressBook): Promise<boolean> {
  const primary = await sentinelsPrimary(book);
  return primary !== null && (await replicasSynced(book, primary));
}

/** waitFor polls `ready` every pollMs until it holds, or throws `what` after timeoutMs. */
export async function waitFor(what: string, ready: () => Promise<boolean>, timeoutMs: number, pollMs = 100): Promise<void> {
  if (!(await waitUntil(ready, timeoutMs, pollMs))) throw new Error(`redis-sentinel: ${what} not within ${timeoutMs} ms`);
}

/** waitUntil polls `ready` every pollMs until it holds (true), timeoutMs passes or `signal` aborts (false). */
export async function waitUntil(ready: () => Promise<boolean>, timeoutMs: number, pollMs = 100, signal?: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline || signal?.aborted === true) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return true;
}

/**
 * redisStatus: a node's believed role as the roles lane and the nemesis read NodeStatus: its
 * server's own role, and as `primary` the node its server replicates from (itself when it
 * believes it is primary). null when the server does not answer.
 */
export async function redisStatus(book: RedisAddressBook, node: string): Promise<NodeStatus | null> {
  const role = await serverRole(book.serverAddress(node));
  if (role === null) return null;
  const primary = role.role === 'primary' ? node : role.primary === null ? null : (book.nodeOfAnnounced(role.primary) ?? null);
  return { id: node, role: role.role, primary, appliedIndex: role.offset };
}

/**
 * sentinelsPrimary: the node a majority of sentinels calls primary — whom Sentinel's clients
 * are sent to — or null when no majority agrees or none answers (mid-failover).
 */
export async function sentinelsPrimary(book: RedisAddressBook): Promise<string | null> {
  const answers = await Promise.all(book.nodes.map((n) => sentinelPrimary(book.sentinelAddress(n))));
  const votes = new Map<string, number>();
  for (const a of answers) {
    const node = a === null ? undefined : book.nodeOfAnnounced(a);
    if (node !== undefined) votes.set(node, (votes.get(node) ?? 0) + 1);
  }
  for (const [node, count] of votes) if (count > book.nodes.length / 2) return node;
  return null;
}
