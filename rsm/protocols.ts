// rsm/protocols.ts — the registry of replication protocols, loaded lazily by name.
//
// Each protocol core lives in its own folder and is imported only when a node runs it, so a
// protocol still being written does not break the others.
import type { CoreFactory } from './core/types.ts';
import { RAFT_BUGS } from './raft/options.ts';

/** ProtocolEntry: where a protocol's CoreFactory is exported. */
interface ProtocolEntry {
  /** module path relative to this file. */
  module: string;
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
  single: { module: './single/core.ts', exportName: 'createSingleCore', role: 'replica', bugs: [] },
  naive: { module: './naive/core.ts', exportName: 'createNaiveCore', role: 'replica', bugs: [] },
  'primary-backup': { module: './primary-backup/core.ts', exportName: 'createPrimaryBackupCore', role: 'replica', bugs: [] },
  'async-backup': { module: './async-backup/core.ts', exportName: 'createAsyncBackupCore', role: 'replica', bugs: [] },
  viewservice: { module: './viewservice/replica.ts', exportName: 'createViewServiceReplicaCore', role: 'replica', bugs: [] },
  viewserver: { module: './viewservice/server.ts', exportName: 'createViewServerCore', role: 'viewserver', bugs: [] },
  raft: { module: './raft/core.ts', exportName: 'createRaftCore', role: 'replica', bugs: RAFT_BUGS },
};

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
  const url = new URL(entry.module, import.meta.url).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`protocol ${name}: cannot load rsm/${entry.module.slice(2)}: ${(err as Error).message.split('\n')[0]}`);
  }
  const factory = mod[entry.exportName];
  if (typeof factory !== 'function') {
    throw new Error(`protocol ${name}: rsm/${entry.module.slice(2)} does not export a function ${entry.exportName}`);
  }
  return factory as CoreFactory;
}
