// rsm/protocols.ts — the registry of replication protocols, loaded lazily by name.
//
// Each protocol core lives in its own folder and is imported only when a node runs it, so a
// protocol still being written does not break the others.
import type { CoreFactory } from './core/types.ts';

/** ProtocolEntry: where a protocol's CoreFactory is exported. */
interface ProtocolEntry {
  /** module path relative to this file. */
  module: string;
  exportName: string;
  /** role tells whether nodes of this protocol are replicas or the view server. */
  role: 'replica' | 'viewserver';
}

/** PROTOCOLS: every protocol a node can run. `viewserver` is the view server of `viewservice`. */
export const PROTOCOLS: Readonly<Record<string, ProtocolEntry>> = {
  single: { module: './single/core.ts', exportName: 'createSingleCore', role: 'replica' },
  naive: { module: './naive/core.ts', exportName: 'createNaiveCore', role: 'replica' },
  'primary-backup': { module: './primary-backup/core.ts', exportName: 'createPrimaryBackupCore', role: 'replica' },
  'async-backup': { module: './async-backup/core.ts', exportName: 'createAsyncBackupCore', role: 'replica' },
  viewservice: { module: './viewservice/replica.ts', exportName: 'createViewServiceReplicaCore', role: 'replica' },
  viewserver: { module: './viewservice/server.ts', exportName: 'createViewServerCore', role: 'viewserver' },
  raft: { module: './raft/core.ts', exportName: 'createRaftCore', role: 'replica' },
};

/** PROTOCOL_NAMES lists the names accepted by --protocol. */
export const PROTOCOL_NAMES: readonly string[] = Object.keys(PROTOCOLS);

/** REPLICA_PROTOCOL_NAMES: the protocols a cluster of replicas runs (not the view server role). */
export const REPLICA_PROTOCOL_NAMES: readonly string[] = PROTOCOL_NAMES.filter((name) => PROTOCOLS[name].role === 'replica');

/** isProtocolName tells whether name is a known protocol. */
export function isProtocolName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(PROTOCOLS, name);
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
