// db/postgres/postgres.ts — PostgreSQL 15 from Debian as a Db: one node, no replication, SQL txns at a chosen isolation level.
//
// The node is `initdb` (first start only) then `postgres` in the foreground, through /bin/sh so
// the same command line serves a local child process and a container. postgres refuses to run
// as root, so as root it runs as the `postgres` user the Debian package creates (locally through
// setpriv, in docker as the container's user). Its unix socket sits in its data dir (or is off
// when that path is too long for a socket), so no system postgres under /var/run is touched.
import * as path from 'node:path';
import pg from 'pg';
import { installHint, missingPackages } from '../../cluster/host-packages.ts';
import type { ClusterKind, NodeLaunch, NodeSite, PortSpec } from '../../cluster/types.ts';
import { missingExecutable, requireExecutable, type Executable } from '../requirements.ts';
import { SHELL_PACKAGE, shellLaunch, shellQuote } from '../shell-launch.ts';
import type { ClientContext, Db, DbCluster, DbFactory, DbOptions } from '../types.ts';
import { PgTxnClient } from './client.ts';
import { isPgIsolation, PG_ISOLATIONS, PG_WORKLOADS, SCHEMA, type PgIsolation, type PgWorkload } from './sql.ts';
import { DISK_FAULTS } from '../support.ts';

/** PG_VERSION_MAJOR: the Debian 12 PostgreSQL this DB runs. */
const PG_VERSION_MAJOR = 15;
const BIN_DIR = `/usr/lib/postgresql/${PG_VERSION_MAJOR}/bin`;
/** PG_PACKAGES: what the node needs, locally and in its image (the launch line's shell; tzdata: initdb's time zone). */
export const PG_PACKAGES = [`postgresql-${PG_VERSION_MAJOR}`, SHELL_PACKAGE, 'tzdata'];
/** PG_EXCLUDE: the JIT's LLVM (100 MB of libraries) and its bitcode stay out of images: SETTINGS turn JIT off. */
export const PG_EXCLUDE = [`/usr/lib/postgresql/${PG_VERSION_MAJOR}/lib/bitcode`, `/usr/lib/postgresql/${PG_VERSION_MAJOR}/lib/llvmjit`];
/** PG_USER: the system user postgresql-common creates; also the database superuser initdb makes. */
export const PG_USER = 'postgres';
const DATABASE = 'postgres';
const READY_LINE = 'database system is ready to accept connections';
/** SOCKET_PATH_MAX: a unix socket path longer than this does not fit in sockaddr_un. */
const SOCKET_PATH_MAX = 100;
/** TXN_TIMEOUT_MS: a txn's bound (the runner's op timeout, 10 s by default, is the outer one). */
const TXN_TIMEOUT_MS = 5000;
const SCHEMA_TRIES_MAX = 20;

/**
 * PG_DATA_FILES: what the server keeps under its data dir (`pgdata`, see postgresLaunch): the
 * tables (base/, global/), the write-ahead log (pg_wal/) and the commit log (pg_xact/); not its
 * config files. The corrupt-file fault damages one of these.
 */
const PG_DATA_FILES = ['pgdata/base', 'pgdata/global', 'pgdata/pg_wal', 'pgdata/pg_xact'];

/** POSTGRES_PORTS: one SQL port, 5432 in a container. */
export const POSTGRES_PORTS: readonly PortSpec[] = [{ name: 'sql', client: true, peer: false, dockerPort: 5432 }];

/**
 * SETTINGS: the server's knobs. Durability is the default (fsync on, and synchronous_commit as
 * --synchronous-commit says, on unless asked: an acknowledged commit is on disk); JIT is off (its
 * LLVM library is not in the image) and the memory is small, for a test machine. deadlock_timeout is
 * 100 ms, not 1 s: txns that append to keys in opposite orders deadlock often, and with the default
 * every client could sit blocked for a second — long enough for the WAL writer to flush everything
 * acknowledged, so a power failure in that second showed synchronous_commit off losing nothing.
 */
const SETTINGS = ['jit=off', 'shared_buffers=32MB', 'max_connections=200', 'deadlock_timeout=100ms', 'log_line_prefix=%m [%p] '];

/** SYNCHRONOUS_COMMITS: the --synchronous-commit values (off: the WAL writer flushes within 3 × wal_writer_delay, 200 ms). */
export const SYNCHRONOUS_COMMITS = ['on', 'off'] as const;
export type SynchronousCommit = (typeof SYNCHRONOUS_COMMITS)[number];

/** hostAndPort splits `HOST:PORT`. */
function hostAndPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port)) throw new Error(`postgres: bad address ${JSON.stringify(address)}`);
  return { host: address.slice(0, at), port };
}

/** POSTGRES_EXE: the server binary; SPLITBRAIN_POSTGRES_BIN points at another build (its initdb beside it). */
const POSTGRES_EXE: Executable = { name: 'postgres', candidates: [`${BIN_DIR}/postgres`], install: installHint([`postgresql-${PG_VERSION_MAJOR}`]) };

/** binDirOf: where initdb and postgres are — the found binary's dir locally, the Debian path in a container or on an ssh host. */
function binDirOf(site: NodeSite): string {
  if (site.kind !== 'local') return BIN_DIR;
  return path.dirname(requireExecutable('postgres', POSTGRES_EXE));
}

/** postgresLaunch: initdb when the data dir is empty, then exec postgres on the site's SQL port. */
export function postgresLaunch(site: NodeSite, synchronousCommit: SynchronousCommit = 'on'): NodeLaunch {
  const bin = binDirOf(site);
  const pgdata = `${site.dataDir}/pgdata`;
  const { host, port } = hostAndPort(site.listen('sql'));
  const socketDir = `${pgdata}/.s.PGSQL.${port}`.length <= SOCKET_PATH_MAX ? pgdata : '';
  // initdb fsyncs what it made (no --no-sync): on a lazyfs disk (lose-unsynced) an unsynced
  // cluster directory would be taken back at the first crash.
  const initdb = [`${bin}/initdb`, '-D', pgdata, '-U', PG_USER, '--auth=trust', '-E', 'UTF8', '--locale=C'];
  const server = [`${bin}/postgres`, '-D', pgdata, '-p', String(port), '-k', socketDir, '-c', `listen_addresses=${host}`, ...[...SETTINGS, `synchronous_commit=${synchronousCommit}`].flatMap((s) => ['-c', s])];
  // initdb trusts loopback only; on docker and ssh the control node arrives from the bridge's
  // gateway or another host, so every host is trusted (a throwaway test database).
  const hba = `echo 'host all all all trust' >> ${shellQuote(`${pgdata}/pg_hba.conf`)}`;
  // initdb's chatter goes to the log too; a failed initdb ends the node before postgres runs.
  const script = `test -f ${shellQuote(`${pgdata}/PG_VERSION`)} || { ${initdb.map(shellQuote).join(' ')} && ${hba}; } || exit 1; exec ${server.map(shellQuote).join(' ')}`;
  return shellLaunch(script, { env: { TZ: 'UTC', LC_ALL: 'C' }, userWhenRoot: PG_USER });
}

/**
 * missingOn: what this machine lacks to run postgres on a cluster kind, as one line; null when
 * nothing. Locally the server binary (a user's own build through SPLITBRAIN_POSTGRES_BIN will
 * do); on docker the Debian packages the image is made of; on ssh nothing here (the hosts hold
 * the packages, hostPackages).
 */
function missingOn(kind: ClusterKind): string | null {
  if (kind === 'local') return missingExecutable('postgres', POSTGRES_EXE);
  if (kind === 'ssh') return null;
  const packages = missingPackages(PG_PACKAGES);
  if (packages.length === 0) return null;
  return `--db postgres: its --cluster ${kind} image is made of the Debian package${packages.length > 1 ? 's' : ''} ${packages.join(', ')}, missing here; install: ${installHint(packages)}`;
}

/** createSchema makes the workload tables on a node, retrying while it still refuses connections. */
async function createSchema(address: string): Promise<void> {
  const { host, port } = hostAndPort(address);
  for (let attempt = 1; ; attempt++) {
    const conn = new pg.Client({ host, port, user: PG_USER, database: DATABASE, connectionTimeoutMillis: 2000 });
    try {
      await conn.connect();
      for (const sql of SCHEMA) await conn.query(sql);
      return;
    } catch (err) {
      if (attempt >= SCHEMA_TRIES_MAX) throw new Error(`postgres: could not create the tables at ${address}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await conn.end().catch(() => undefined);
    }
  }
}

/** PostgresDbOptions: the isolation level every txn runs at, the workload whose tables clients use, and when a commit is acknowledged. */
export interface PostgresDbOptions {
  isolation: PgIsolation;
  workload: PgWorkload;
  /** Default on. */
  synchronousCommit?: SynchronousCommit;
}

/** createPostgresDb: one PostgreSQL node as a Db. */
export function createPostgresDb(o: PostgresDbOptions): Db {
  if (!isPgIsolation(o.isolation)) throw new Error(`--isolation: expected one of ${Object.keys(PG_ISOLATIONS).join(', ')}, got ${JSON.stringify(o.isolation)}`);
  const synchronousCommit = o.synchronousCommit ?? 'on';
  if (!SYNCHRONOUS_COMMITS.includes(synchronousCommit)) throw new Error(`--synchronous-commit: expected on or off, got ${JSON.stringify(synchronousCommit)}`);
  return {
    name: 'postgres',
    description: `PostgreSQL ${PG_VERSION_MAJOR}, one node, txns at ${o.isolation}${synchronousCommit === 'off' ? ', synchronous_commit off' : ''}`,
    nodes: ['n1'],
    allNodes: ['n1'],
    ports: POSTGRES_PORTS,
    support: {
      // One node: there is no link to cut, and no clock the SQL workloads depend on.
      // Disk faults need the data directory on this machine (lazyfs, or files reached from here).
      clusters: { local: ['kill', 'pause', ...DISK_FAULTS], docker: ['kill', 'pause', ...DISK_FAULTS], ssh: ['kill', 'pause'] },
      workloads: PG_WORKLOADS,
      partitionClients: false,
      notes: { local: 'one node: partitions have no link to cut', docker: 'one node: partitions have no link to cut' },
    },
    dataFiles: PG_DATA_FILES,
    missing: missingOn,
    hostPackages: PG_PACKAGES,
    // setpriv drops a root login to the postgres user (remote-run.ts); the package makes that user.
    hostExecutables: [{ path: `${BIN_DIR}/initdb`, package: PG_PACKAGES[0] }, { path: `${BIN_DIR}/postgres`, package: PG_PACKAGES[0] }, { path: '/bin/sh', package: SHELL_PACKAGE }, { path: 'setpriv', package: 'util-linux' }],
    launch: (site) => postgresLaunch(site, synchronousCommit),
    ready: async (probe) => (await probe.logSinceStart()).includes(READY_LINE),
    image: () => ({
      name: 'postgres',
      packages: PG_PACKAGES,
      exclude: PG_EXCLUDE,
      users: [PG_USER],
      // initdb makes <data>/<node>/pgdata as the postgres user.
      dirs: [{ path: '/data', user: PG_USER, mode: 0o755 }],
    }),
    setup: async (cluster: DbCluster) => {
      for (const node of cluster.nodes) await createSchema(cluster.clientAddress(node, 'sql'));
    },
    client: (ctx: ClientContext) => {
      const { host, port } = hostAndPort(ctx.address(ctx.node));
      return new PgTxnClient({ node: ctx.node, host, port, user: PG_USER, database: DATABASE, isolation: o.isolation, workload: o.workload, txnTimeoutMs: TXN_TIMEOUT_MS });
    },
  };
}

/**
 * postgresDbFactory: the registry's factory; `--isolation` (default serializable) and the
 * workload come from the run's settings (a workload without SQL is refused before the run by
 * support.workloads, so any other name only reaches here in a run that will not start).
 */
export const postgresDbFactory: DbFactory = (options: DbOptions) => {
  const isolation = options.settings.isolation ?? 'serializable';
  if (!isPgIsolation(isolation)) throw new Error(`--isolation: expected one of ${Object.keys(PG_ISOLATIONS).join(', ')}, got ${JSON.stringify(isolation)}`);
  const workload = options.settings.workload === 'rw-register' ? 'rw-register' : 'list-append';
  return createPostgresDb({ isolation, workload, synchronousCommit: options.settings.synchronousCommit as SynchronousCommit | undefined });
};
