// control/config.ts — the options of a test run: defaults, the --config YAML file, flags, validation.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PG_ISOLATIONS } from '../db/postgres/sql.ts';
import { DB_NAMES, DBS, isDbName } from '../db/registry.ts';
import { REACTIONS, type Reaction, reactionsRefusal } from '../cluster/sim/reactive.ts';
import { loadScheduleFile } from '../nemesis/schedule-file.ts';
import { FAULT_KINDS, type FaultKind } from '../nemesis/types.ts';
import { bugError, isProtocolName } from '../rsm/protocols.ts';
import { READ_MODES } from '../rsm/raft/options.ts';
import { REDIS_AOF_MODES, type RedisAof } from '../db/redis-sentinel/config.ts';
import type { ReadMode } from '../rsm/raft/types.ts';
import { WORKLOAD_NAMES } from '../workloads/index.ts';
import { canonicalModel, CONSISTENCY_MODEL_NAMES } from '../checker/elle/index.ts';
import { HostsFileError, parseHostsFile } from '../cluster/ssh/hosts-file.ts';
import { UsageError } from './exit-codes.ts';
import { isTestName, TEST_NAME_EXPECTED } from './store.ts';

/** CLUSTER_KINDS: `local` runs real node processes, `docker` containers, `ssh` processes on other machines (cluster/ssh), `sim` every node in one deterministic process; `fake` is in memory (tests of the runner). */
export const CLUSTER_KINDS = ['local', 'docker', 'sim', 'fake', 'ssh'] as const;

/** TestOptions: every option of a run, resolved (defaults < --config file < flags). */
export interface TestOptions {
  /** name of the test in the store; default `<db>-<workload>-<nemesis>`. */
  name: string;
  db: string;
  workload: string;
  /** Fault kinds combined by the nemesis; empty for none. */
  nemesis: FaultKind[];
  nemesisIntervalS: number;
  /** A YAML file scripting the nemesis instead of the random schedule. */
  nemesisSchedule?: string;
  timeLimitS: number;
  concurrency: number;
  /** Ops per second over all threads; 0 means unlimited. */
  rate: number;
  nodes: number;
  seed: number;
  testCount: number;
  cluster: (typeof CLUSTER_KINDS)[number];
  /** --cluster docker: the user's own node image instead of the one built from host files. */
  image?: string;
  /** --cluster ssh: the hosts.yaml naming the machines (cluster/ssh/hosts-file.ts). */
  hosts?: string;
  /** --cluster ssh: accept any host key instead of checking known_hosts (warned about on every run). */
  insecureIgnoreHostKeys?: boolean;
  store: string;
  reads?: string;
  /** --db etcd: linearizable (etcd's default, ReadIndex) or serializable (member-local, possibly stale) reads. */
  etcdReads?: 'linearizable' | 'serializable';
  /** --db etcd: start members with --pre-vote (on, as etcd 3.5+ does) or without (off, stock 3.4). */
  etcdPreVote?: 'on' | 'off';
  /** --db postgres: the isolation level of every txn; unset means serializable. */
  isolation?: string;
  /** --db postgres: synchronous_commit (on, the default: a commit is acknowledged once its WAL is fsynced; off: before). */
  synchronousCommit?: 'on' | 'off';
  /** --db redis-sentinel: the append-only file (off, Redis's default: RDB snapshots only; everysec; always). */
  redisAof?: RedisAof;
  /** --db viewservice: view-server nodes (1, the lectures' single view server, unless set; more replicate its table on Raft). */
  viewserverReplicas?: number;
  bugs: string[];
  /** --cluster sim: the reactive nemesis's faults, timed to events on the simulated wire (cluster/sim/reactive.ts). */
  simReact?: Reaction[];
  keyCount: number;
  recoveryS: number;
  partitionClients: boolean;
  /** The runner's own bound on one client op; past it the op is recorded as info. */
  opTimeoutS: number;
  /** The checker's budget; past it the verdict is unknown. */
  checkTimeoutS: number;
  /** The heap cap of the worker thread that reads and checks the history; past it the verdict is unknown. */
  checkMemoryMb: number;
  /** Txn workloads (list-append, rw-register): the model checked; unset means strict-serializable. */
  consistencyModel?: string;
  /** Txn workloads: Elle's generator knobs; unset means the workload's defaults. */
  keyDistribution?: 'uniform' | 'exponential';
  txnLengthMin?: number;
  txnLengthMax?: number;
  writesPerKeyMax?: number;
}

const SEED_MAX = 2 ** 31 - 1;

/** isModelName: whether checkElle knows a consistency model name (canonical or alias). */
function isModelName(name: string): boolean {
  try {
    canonicalModel(name);
    return true;
  } catch {
    return false;
  }
}

/** describeValue renders a bad value for an error message. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? JSON.stringify(value) : `${String(value)} (${typeof value})`;
}

/** toNumber accepts numbers and numeric strings (flags are strings, YAML gives numbers). */
const toNumber = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() !== '' ? Number(value) : value;

/** toList accepts a list or a comma-separated string; `none` and '' are the empty list. */
const toList = (value: unknown): unknown => {
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'none') return [];
  return trimmed.split(',').map((part) => part.trim());
};

const toBool = (value: unknown): unknown => (value === 'true' ? true : value === 'false' ? false : value);

const number = (min: number, max: number, int: boolean) =>
  z.preprocess(toNumber, int ? z.number().int().min(min).max(max) : z.number().min(min).max(max));

/** OptionSpec: one option — its flag/YAML name, the TestOptions field, the schema, what it expects. */
interface OptionSpec {
  name: string;
  field: keyof TestOptions;
  schema: z.ZodType;
  expected: string;
  /** repeatable flags (--bug) collect into a list. */
  repeatable?: boolean;
  boolean?: boolean;
  /** The --db values the option means something to; set for another, it is refused, not ignored. */
  dbs?: readonly string[];
  description: string;
}

const OPTION_SPECS: readonly OptionSpec[] = [
  { name: 'name', field: 'name', schema: z.string().refine(isTestName), expected: TEST_NAME_EXPECTED, description: 'test name in the store (default <db>-<workload>-<nemesis>)' },
  { name: 'db', field: 'db', schema: z.string().refine(isDbName), expected: `one of ${DB_NAMES.join(', ')} (viewserver is a role of viewservice, which starts it)`, description: `system under test (default raft): ${DB_NAMES.map((n) => `${n} (${DBS[n].description})`).join('; ')}` },
  { name: 'workload', field: 'workload', schema: z.enum(WORKLOAD_NAMES as [string, ...string[]]), expected: `one of ${WORKLOAD_NAMES.join(', ')}`, description: 'workload (default register)' },
  { name: 'nemesis', field: 'nemesis', schema: z.preprocess(toList, z.array(z.enum(FAULT_KINDS as unknown as [FaultKind, ...FaultKind[]]))), expected: `a comma-separated list of ${FAULT_KINDS.join(', ')}, or none`, description: 'faults to combine, e.g. partition,kill (default partition)' },
  { name: 'nemesis-interval', field: 'nemesisIntervalS', schema: number(0.01, 86_400, false), expected: 'a number of seconds in [0.01, 86400]', description: 'mean seconds between nemesis ops of each kind (default 5)' },
  { name: 'nemesis-schedule', field: 'nemesisSchedule', schema: z.string().min(1), expected: 'a path to a YAML schedule file', description: 'YAML file scripting the nemesis (replaces the random schedule; --nemesis is then ignored)' },
  { name: 'time-limit', field: 'timeLimitS', schema: number(0.01, 86_400, false), expected: 'a number of seconds in [0.01, 86400]', description: 'length of the main phase in seconds (default 30)' },
  { name: 'concurrency', field: 'concurrency', schema: number(1, 1000, true), expected: 'an integer in [1, 1000]', description: 'client threads (default 5)' },
  { name: 'rate', field: 'rate', schema: number(0, 1e7, false), expected: 'a number of ops per second in [0, 1e7] (0: unlimited)', description: 'ops per second over all threads, 0 unlimited (default 200)' },
  { name: 'nodes', field: 'nodes', schema: number(1, 15, true), expected: 'an integer in [1, 15]', description: 'number of replicas (default 3)' },
  { name: 'seed', field: 'seed', schema: number(0, SEED_MAX, true), expected: `an integer in [0, ${SEED_MAX}]`, description: 'seed of every random choice (default: random, printed)' },
  { name: 'test-count', field: 'testCount', schema: number(1, 10_000, true), expected: 'an integer in [1, 10000]', description: 'run K tests with seeds seed, seed+1, ... (default 1)' },
  { name: 'cluster', field: 'cluster', schema: z.enum(CLUSTER_KINDS), expected: `one of ${CLUSTER_KINDS.join(', ')}`, description: 'where nodes run: local processes, docker containers, sim (every node in this process, seeded virtual time), or fake (in memory, for testing the runner)' },
  { name: 'image', field: 'image', schema: z.string().regex(/^[A-Za-z0-9._/:@-]{1,255}$/), expected: 'a Docker image reference', description: '--cluster docker: run nodes from this image instead of building one from host files' },
  { name: 'hosts', field: 'hosts', schema: z.string().min(1), expected: 'a path to a hosts.yaml', description: '--cluster ssh: YAML file naming the machines nodes run on, and how to log in (README "Testing a real deployment")' },
  { name: 'insecure-ignore-host-keys', field: 'insecureIgnoreHostKeys', schema: z.preprocess(toBool, z.boolean()), expected: 'true or false', boolean: true, description: '--cluster ssh: do not check host keys against known_hosts (a man in the middle goes unnoticed)' },
  { name: 'store', field: 'store', schema: z.string().min(1), expected: 'a directory path', description: 'store directory (default store)' },
  { name: 'isolation', field: 'isolation', dbs: ['postgres'], schema: z.enum(Object.keys(PG_ISOLATIONS) as [string, ...string[]]), expected: `one of ${Object.keys(PG_ISOLATIONS).join(', ')}`, description: 'isolation level of every txn (postgres; default serializable)' },
  { name: 'synchronous-commit', field: 'synchronousCommit', dbs: ['postgres'], schema: z.enum(['on', 'off']), expected: 'on or off', description: '--db postgres: synchronous_commit (default on: a commit is acknowledged after its WAL is fsynced; off acknowledges before, so a crash loses the last ones)' },
  { name: 'redis-aof', field: 'redisAof', dbs: ['redis-sentinel'], schema: z.enum(REDIS_AOF_MODES), expected: `one of ${REDIS_AOF_MODES.join(', ')}`, description: '--db redis-sentinel: the append-only file (default off, Redis\'s own default: RDB snapshots only, so a power failure loses what is in memory; everysec: fsynced every second; always: before every reply)' },
  { name: 'reads', field: 'reads', dbs: ['raft', 'paxos'], schema: z.enum(READ_MODES as [ReadMode, ...ReadMode[]]), expected: `one of ${READ_MODES.join(', ')}`, description: 'read path of the protocol (raft)' },
  { name: 'etcd-reads', field: 'etcdReads', dbs: ['etcd'], schema: z.enum(['linearizable', 'serializable']), expected: 'one of linearizable, serializable', description: '--db etcd: linearizable reads (default) or serializable ones, which etcd documents as possibly stale' },
  { name: 'etcd-pre-vote', field: 'etcdPreVote', dbs: ['etcd'], schema: z.enum(['on', 'off']), expected: 'on or off', description: '--db etcd: members campaign with a pre-vote first (default on, as etcd 3.5+ does; off is Debian\'s 3.4 as shipped, where a stale member\'s campaigns can keep a majority leaderless)' },
  { name: 'viewserver-replicas', field: 'viewserverReplicas', dbs: ['viewservice'], schema: number(1, 7, true), expected: 'an integer in [1, 7]', description: '--db viewservice: view-server nodes, vs1..vsN (default 1, the single view server vs; 3 replicates its table of views on Raft)' },
  { name: 'bug', field: 'bugs', schema: z.preprocess(toList, z.array(z.string().regex(/^[a-z0-9-]+$/))), expected: 'bug names of lowercase letters, digits and -', repeatable: true, description: 'switch on a named protocol bug (repeatable)' },
  { name: 'sim-react', field: 'simReact', dbs: ['raft'], schema: z.preprocess(toList, z.array(z.enum(REACTIONS))), expected: `a comma-separated list of ${REACTIONS.join(', ')}`, description: '--cluster sim: faults timed to events in the simulated world (raft), on top of the nemesis' },
  { name: 'key-count', field: 'keyCount', schema: number(1, 10_000, true), expected: 'an integer in [1, 10000]', description: 'keys in use at a time (default 5)' },
  { name: 'recovery-s', field: 'recoveryS', schema: number(0, 3600, false), expected: 'a number of seconds in [0, 3600]', description: 'wait after healing before the final reads (default 3)' },
  { name: 'partition-clients', field: 'partitionClients', schema: z.preprocess(toBool, z.boolean()), expected: 'true or false', boolean: true, description: 'clients sit on the sides of a partition instead of reaching every node' },
  { name: 'op-timeout', field: 'opTimeoutS', schema: number(0.01, 3600, false), expected: 'a number of seconds in [0.01, 3600]', description: 'runner bound on one client op; past it the op is info (default 10)' },
  { name: 'check-timeout', field: 'checkTimeoutS', schema: number(0.01, 86_400, false), expected: 'a number of seconds in [0.01, 86400]', description: 'checker budget; past it the verdict is unknown (default 60)' },
  { name: 'check-memory-mb', field: 'checkMemoryMb', schema: number(32, 1_048_576, true), expected: 'an integer number of MB in [32, 1048576]', description: 'heap cap of the thread that checks the history; past it the verdict is unknown (default 4096)' },
  { name: 'consistency-model', field: 'consistencyModel', schema: z.string().refine(isModelName), expected: `one of ${CONSISTENCY_MODEL_NAMES.join(', ')} (or an alias such as PL-3)`, description: 'txn workloads: consistency model to check (default strict-serializable)' },
  { name: 'key-distribution', field: 'keyDistribution', schema: z.enum(['uniform', 'exponential']), expected: 'uniform or exponential', description: 'txn workloads: how txns pick among the active keys (default exponential)' },
  { name: 'txn-length-min', field: 'txnLengthMin', schema: number(1, 1000, true), expected: 'an integer in [1, 1000]', description: 'txn workloads: fewest micro-ops per txn (default 1)' },
  { name: 'txn-length-max', field: 'txnLengthMax', schema: number(1, 1000, true), expected: 'an integer in [1, 1000]', description: 'txn workloads: most micro-ops per txn (default 4)' },
  { name: 'writes-per-key-max', field: 'writesPerKeyMax', schema: number(1, 1_000_000, true), expected: 'an integer in [1, 1000000]', description: 'txn workloads: writes before a key is retired for a fresh one (default 32)' },
];

/** OPTION_NAMES: the flag names (without --), which are also the keys of a --config file. */
export const OPTION_NAMES: readonly string[] = OPTION_SPECS.map((spec) => spec.name);

/** DEFAULTS: what `npm run jepsen` alone runs (name and seed are filled in by resolveOptions). */
export const DEFAULTS: Omit<TestOptions, 'name' | 'seed'> = {
  db: 'raft',
  workload: 'register',
  nemesis: ['partition'],
  nemesisIntervalS: 5,
  timeLimitS: 30,
  concurrency: 5,
  rate: 200,
  nodes: 3,
  testCount: 1,
  cluster: 'local',
  store: 'store',
  bugs: [],
  keyCount: 5,
  recoveryS: 3,
  partitionClients: false,
  opTimeoutS: 10,
  checkTimeoutS: 60,
  checkMemoryMb: 4096,
};

/** optionSpecs exposes the specs to the CLI (flag names, help text, repeatable/boolean). */
export function optionSpecs(): readonly Pick<OptionSpec, 'name' | 'description' | 'repeatable' | 'boolean'>[] {
  return OPTION_SPECS;
}

/** camelName turns a flag name into commander's attribute name (time-limit → timeLimit). */
export function camelName(name: string): string {
  return name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** validateOne checks one raw value; `where` names the flag or the YAML key in the error. */
function validateOne(spec: OptionSpec, raw: unknown, where: string): unknown {
  const parsed = spec.schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new UsageError(`${where}: expected ${spec.expected}, got ${describeValue(raw)}`);
}

/** readYamlFile reads a --config YAML file (test options or a matrix); errors name the file. */
export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--config: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw new UsageError(`${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** readConfigFile parses a --config YAML file into raw option values keyed by field. */
export function readConfigFile(file: string): Partial<Record<keyof TestOptions, unknown>> {
  const doc = readYamlFile(file);
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`${file}: expected a mapping of option names to values, got ${describeValue(doc)}`);
  const values: Partial<Record<keyof TestOptions, unknown>> = {};
  for (const [key, raw] of Object.entries(doc as Record<string, unknown>)) {
    const spec = OPTION_SPECS.find((s) => s.name === key);
    if (spec === undefined) throw new UsageError(`${file}: unknown key "${key}"; expected one of ${OPTION_NAMES.join(', ')}`);
    values[spec.field] = validateOne(spec, raw, `${file}: key "${key}"`);
  }
  return values;
}

/**
 * resolveOptions merges defaults < the --config file < flags and validates every value.
 * `flags` is commander's parsed object (camelCase attribute names, strings as given);
 * `randomSeed` supplies the seed when neither file nor flags give one.
 */
export function resolveOptions(flags: Record<string, unknown>, randomSeed: () => number = defaultSeed): TestOptions {
  const fromFile = typeof flags.config === 'string' ? readConfigFile(flags.config) : {};
  const fromFlags: Partial<Record<keyof TestOptions, unknown>> = {};
  for (const spec of OPTION_SPECS) {
    const raw = flags[camelName(spec.name)];
    if (raw === undefined) continue;
    fromFlags[spec.field] = validateOne(spec, raw, `--${spec.name}`);
  }
  const merged = { ...DEFAULTS, ...fromFile, ...fromFlags } as Partial<TestOptions> & typeof DEFAULTS;
  const seed = merged.seed ?? randomSeed();
  const name = merged.name ?? defaultTestName(merged);
  const options: TestOptions = { ...merged, seed, name };
  if (options.txnLengthMin !== undefined && options.txnLengthMax !== undefined && options.txnLengthMin > options.txnLengthMax) {
    throw new UsageError(`--txn-length-max: expected at least --txn-length-min (${options.txnLengthMin}), got ${options.txnLengthMax}`);
  }
  for (const bug of options.bugs) {
    // Bugs are the rsm protocols' (rsm/protocols.ts); another Db takes none.
    const why = isProtocolName(options.db) ? bugError(options.db, bug) : `--db ${options.db} has no named bugs`;
    if (why !== null) throw new UsageError(`--bug: ${why}`);
  }
  for (const spec of OPTION_SPECS) {
    if (spec.dbs === undefined || spec.dbs.includes(options.db) || (fromFile[spec.field] === undefined && fromFlags[spec.field] === undefined)) continue;
    throw new UsageError(`--${spec.name}: only for --db ${spec.dbs.join(' or ')}, not ${options.db} (which would ignore it)`);
  }
  if (options.simReact !== undefined && options.simReact.length > 0 && options.cluster !== 'sim') {
    throw new UsageError(`--sim-react: only with --cluster sim, got --cluster ${options.cluster}`);
  }
  const refusal = options.simReact === undefined ? null : reactionsRefusal(options.simReact, options.nodes);
  if (refusal !== null) throw new UsageError(`--sim-react: ${refusal}`);
  if (options.cluster === 'ssh') {
    if (options.hosts === undefined) throw new UsageError('--cluster ssh: expected --hosts hosts.yaml naming the machines');
    try {
      parseHostsFile(options.hosts);
    } catch (error) {
      if (error instanceof HostsFileError) throw new UsageError(error.message);
      throw error;
    }
  } else if (options.hosts !== undefined) throw new UsageError(`--hosts: only with --cluster ssh, got --cluster ${options.cluster}`);
  if (options.nemesisSchedule !== undefined) {
    try {
      // The file's shape now; its node names once the Db is known (control/runner/run-db.ts).
      loadScheduleFile(options.nemesisSchedule);
    } catch (error) {
      throw new UsageError(`--nemesis-schedule: ${(error as Error).message}`);
    }
  }
  return options;
}

/** defaultTestName: `<db>-<workload>-<faults joined by +, none, or the schedule file's name>`. */
export function defaultTestName(opts: Pick<TestOptions, 'db' | 'workload' | 'nemesis' | 'nemesisSchedule'>): string {
  const faults = opts.nemesisSchedule !== undefined
    ? path.basename(opts.nemesisSchedule).replace(/\.ya?ml$/, '').replace(/[^A-Za-z0-9._+-]/g, '_')
    : opts.nemesis.length === 0 ? 'none' : opts.nemesis.join('+');
  return `${opts.db}-${opts.workload}-${faults}`;
}

function defaultSeed(): number {
  return Math.floor(Math.random() * SEED_MAX);
}

/** reproduceCommand is the command line that reruns exactly this test (one test, this seed). */
export function reproduceCommand(opts: TestOptions): string {
  const args = ['npm', 'run', 'jepsen', '--', 'test'];
  for (const spec of OPTION_SPECS) {
    const value = opts[spec.field];
    if (value === undefined || spec.field === 'testCount') continue;
    if (spec.boolean === true) {
      if (value === true) args.push(`--${spec.name}`);
    } else if (spec.repeatable === true) {
      for (const item of value as string[]) args.push(`--${spec.name}`, item);
    } else if (Array.isArray(value)) {
      args.push(`--${spec.name}`, value.length === 0 ? 'none' : value.join(','));
    } else {
      args.push(`--${spec.name}`, String(value));
    }
  }
  return args.map(shellQuote).join(' ');
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9._+,=/:-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
