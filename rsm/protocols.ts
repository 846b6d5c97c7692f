// rsm/protocols.ts — the registry of replication protocols, loaded lazily by name.
//
// Each protocol core lives in its own folder and is imported only when a node runs it, so a
// protocol still being written does not break the others.
import type { CoreFactory, ProtocolEvent } from './core/types.ts';
import { RaftSafetyOracle } from './raft/safety.ts';
import { paxosSendsEarly } from './paxos/early-sends.ts';
import { PAXOS_BUGS } from './paxos/options.ts';
import { RAFT_REPLIES_EARLY, raftSendsEarly } from './raft/early-sends.ts';
import { raftEventOf } from './raft/events.ts';
import { RAFT_BUGS } from './raft/options.ts';
import { VIEWSERVICE_BUGS } from './viewservice/messages.ts';
import { GOSSIP_BUGS, GOSSIP_INTERVAL_TICKS_DEFAULT, gossipQuietPeriodMs } from './gossip/options.ts';
import { TICK_MS_DEFAULT } from './core/support.ts';

/** ProtocolEntry: where a protocol's CoreFactory is exported. */
interface ProtocolEntry {
  /**
   * load imports the protocol's module. A literal import() (not a computed URL) so that a
   * bundler follows it: db/rsm-bundle.ts bundles the node program with every core in it.
   */
  load: () => Promise<Record<string, unknown>>;
  exportName: string;
  /** role tells whether nodes of this protocol are replicas or the view server. */
  role: 'replica' | 'viewserver';
  /** bugs: the names `--bug` may switch on for this protocol, besides RUNTIME_BUGS. */
  bugs: readonly string[];
}

/** RUNTIME_BUGS: bugs the node runtime carries out whatever the protocol (no-fsync: never fsync). */
export const RUNTIME_BUGS: readonly string[] = ['no-fsync'];

/** PROTOCOLS: every protocol a node can run. `viewserver` is the view server of `viewservice`. */
export const PROTOCOLS: Readonly<Record<string, ProtocolEntry>> = {
  single: { load: () => import('./single/core.ts'), exportName: 'createSingleCore', role: 'replica', bugs: [] },
  naive: { load: () => import('./naive/core.ts'), exportName: 'createNaiveCore', role: 'replica', bugs: [] },
  'primary-backup': { load: () => import('./primary-backup/core.ts'), exportName: 'createPrimaryBackupCore', role: 'replica', bugs: [] },
  'async-backup': { load: () => import('./async-backup/core.ts'), exportName: 'createAsyncBackupCore', role: 'replica', bugs: [] },
  viewservice: { load: () => import('./viewservice/replica.ts'), exportName: 'createViewServiceReplicaCore', role: 'replica', bugs: VIEWSERVICE_BUGS },
  viewserver: { load: () => import('./viewservice/server.ts'), exportName: 'createViewServerCore', role: 'viewserver', bugs: VIEWSERVICE_BUGS },
  raft: { load: () => import('./raft/core.ts'), exportName: 'createRaftCore', role: 'replica', bugs: RAFT_BUGS },
  gossip: { load: () => import('./gossip/core.ts'), exportName: 'createGossipCore', role: 'replica', bugs: GOSSIP_BUGS },
  paxos: { load: () => import('./paxos/core.ts'), exportName: 'createPaxosCore', role: 'replica', bugs: PAXOS_BUGS },
};

/** EarlySends: what a protocol's runtime may send or reply before its pending writes are durable (see each early-sends.ts). */
export interface EarlySends {
  sendsEarly?: (msg: unknown) => boolean;
  repliesEarly: boolean;
}

/** earlySendsOf: the one place a runtime (real or simulated) learns a protocol's early sends. */
export function earlySendsOf(protocol: string): EarlySends {
  if (protocol === 'raft') return { sendsEarly: raftSendsEarly, repliesEarly: RAFT_REPLIES_EARLY };
  if (protocol === 'paxos') return { sendsEarly: paxosSendsEarly, repliesEarly: false };
  return { repliesEarly: false };
}

/** eventOf: how an observer of a protocol's wire reads events off its messages; null when the protocol names none. */
export function eventOf(protocol: string): ((msg: unknown) => ProtocolEvent | null) | null {
  return protocol === 'raft' ? raftEventOf : null;
}

/**
 * safetyOracleOf: an oracle of the protocol's own safety properties, fed by its cores'
 * observer hooks, for a runtime that sees every core (the simulator); null when it has none.
 * `nowMs` stamps the violations.
 */
export function safetyOracleOf(protocol: string, nowMs: () => number): RaftSafetyOracle | null {
  return protocol === 'raft' ? new RaftSafetyOracle(nowMs) : null;
}

/**
 * quietPeriodMsOf: how long a protocol's replicas need after a heal before their copies can
 * agree, or undefined when they need none beyond their own failover. Gossip converges only by
 * anti-entropy rounds, sized from its `gossipIntervalTicks` option and the tick.
 */
export function quietPeriodMsOf(protocol: string, nodeCount: number, tickMs = TICK_MS_DEFAULT, options: Readonly<Record<string, string>> = {}): number | undefined {
  if (protocol !== 'gossip') return undefined;
  return gossipQuietPeriodMs(nodeCount, tickMs, Number(options.gossipIntervalTicks ?? GOSSIP_INTERVAL_TICKS_DEFAULT));
}

/** PROTOCOL_NAMES lists the names accepted by --protocol. */
export const PROTOCOL_NAMES: readonly string[] = Object.keys(PROTOCOLS);

/** REPLICA_PROTOCOL_NAMES: the protocols a cluster of replicas runs (not the view server role). */
export const REPLICA_PROTOCOL_NAMES: readonly string[] = PROTOCOL_NAMES.filter((name) => PROTOCOLS[name].role === 'replica');

/** isProtocolName tells whether name is a known protocol. */
export function isProtocolName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(PROTOCOLS, name);
}

/** bugsOf lists the bug names a protocol accepts (the one place `--bug` is checked against). */
export function bugsOf(protocol: string): readonly string[] {
  if (!isProtocolName(protocol)) return [];
  return [...new Set([...RUNTIME_BUGS, ...PROTOCOLS[protocol].bugs])];
}

/** bugError says why `bug` cannot be switched on for `protocol`, or null when it can. */
export function bugError(protocol: string, bug: string): string | null {
  const known = bugsOf(protocol);
  if (known.includes(bug)) return null;
  const owners = PROTOCOL_NAMES.filter((p) => PROTOCOLS[p].bugs.includes(bug));
  const why = owners.length > 0 ? `a bug of ${owners.join(', ')} only` : 'no such bug';
  return `${JSON.stringify(bug)} is ${why}; ${protocol} accepts ${known.join(', ')}`;
}

/** loadCoreFactory imports a protocol's CoreFactory; throws a one-line error if unknown or missing. */
export async function loadCoreFactory(name: string): Promise<CoreFactory> {
  if (!isProtocolName(name)) {
    throw new Error(`unknown protocol ${JSON.stringify(name)}; expected one of ${PROTOCOL_NAMES.join(', ')}`);
  }
  const entry = PROTOCOLS[name];
  let mod: Record<string, unknown>;
  try {
    mod = await entry.load();
  } catch (err) {
    throw new Error(`protocol ${name}: cannot load its core: ${(err as Error).message.split('\n')[0]}`);
  }
  const factory = mod[entry.exportName];
  if (typeof factory !== 'function') {
    throw new Error(`protocol ${name}: its module does not export a function ${entry.exportName}`);
  }
  return factory as CoreFactory;
}
