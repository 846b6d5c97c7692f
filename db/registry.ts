// db/registry.ts — every DB by name, one line each, loaded only when a run uses it.
//
// A Db module (and the client packages it imports) is imported on first use, so a DB whose
// packages are absent or broken does not stop the others, and `--help` lists every DB without
// loading any.
import type { Db, DbFactory, DbOptions } from './types.ts';

/** DbEntry: a DB's one-line description and how to load its factory. */
export interface DbEntry {
  description: string;
  load(): Promise<DbFactory>;
}

const rsm = (protocol: string) => async (): Promise<DbFactory> => (await import('./rsm.ts')).rsmDbFactory(protocol);

/** DBS: the registry. A new DB is one file or folder in db/ and one line here. */
export const DBS: Readonly<Record<string, DbEntry>> = {
  naive: { description: 'rsm: clients write every copy in turn', load: rsm('naive') },
  'primary-backup': { description: 'rsm: primary/backup, clients fail over on their own (split brain)', load: rsm('primary-backup') },
  'async-backup': { description: 'rsm: the primary acknowledges before its backup has the update', load: rsm('async-backup') },
  viewservice: { description: 'rsm: view server, pings, view numbers (adds node vs)', load: rsm('viewservice') },
  raft: { description: 'rsm: Raft consensus', load: rsm('raft') },
  paxos: { description: 'rsm: Multi-Paxos (Lamport, Paxos Made Simple), a distinguished proposer', load: rsm('paxos') },
  single: { description: 'rsm: one node, no replication', load: rsm('single') },
  gossip: { description: 'rsm: eventual consistency, every replica accepts writes, anti-entropy, last writer wins', load: rsm('gossip') },
  'example-kv': { description: 'worked example of your own DB: examples/own-db/kv-server.mjs, one node over HTTP', load: async () => (await import('./example-kv.ts')).exampleKvDb },
  etcd: { description: 'etcd 3.4 (Debian etcd-server), 3 or 5 members, clients over gRPC (npm etcd3)', load: async () => (await import('./etcd/index.ts')).etcdDbFactory },
  'redis-sentinel': { description: 'Redis 7 (Debian redis-server, redis-sentinel): a primary, replicas, a sentinel per node; set workload', load: async () => (await import('./redis-sentinel/index.ts')).redisSentinelDbFactory },
  postgres: { description: 'PostgreSQL 15 (Debian postgresql-15), one node, txns at --isolation', load: async () => (await import('./postgres/postgres.ts')).postgresDbFactory },
};

/** DB_NAMES: the names `--db` accepts, in registry order. */
export const DB_NAMES: readonly string[] = Object.keys(DBS);

/** isDbName tells whether `name` is a registered DB. */
export function isDbName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(DBS, name);
}

/** unknownDbError: the one line for a name that is not registered. */
export function unknownDbError(name: string): string {
  return `--db: unknown DB ${JSON.stringify(name)}; expected one of ${DB_NAMES.join(', ')}`;
}

/** loadDb makes the named DB for one run; throws a one-line error for an unknown or unloadable DB. */
export async function loadDb(name: string, options: DbOptions): Promise<Db> {
  if (!isDbName(name)) throw new Error(unknownDbError(name));
  let factory: DbFactory;
  try {
    factory = await DBS[name].load();
  } catch (error) {
    throw new Error(`--db ${name}: cannot load it: ${(error as Error).message.split('\n')[0]}`);
  }
  return factory(options);
}
