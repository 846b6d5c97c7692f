// control/runner/run-db.ts — the run's Db: loaded from the registry, checked against the run before anything starts, and its clients.
import type { Cluster } from '../../cluster/types.ts';
import { loadDb } from '../../db/registry.ts';
import { refusal } from '../../db/support.ts';
import type { Db, DbOptions } from '../../db/types.ts';
import { faultOfF } from '../../nemesis/faults/registry.ts';
import { loadScheduleFile } from '../../nemesis/schedule-file.ts';
import type { TestOptions } from '../config.ts';
import { UsageError } from '../exit-codes.ts';
import type { ClientFactory } from './interpreter.ts';

/** dbOptions: what the Db is made from (the run's options pass through as `settings`). */
export function dbOptions(opts: TestOptions): DbOptions {
  return { nodeCount: opts.nodes, seed: opts.seed, reads: opts.reads, bugs: opts.bugs, settings: { ...opts } };
}

/**
 * openRunDb loads the run's Db and refuses, as a UsageError (exit 3) with one line, a run it
 * cannot do: a cluster kind, fault or workload it does not support, a package this machine
 * lacks, a schedule naming nodes it does not have. `--cluster fake` has no Db nodes to check.
 */
export async function openRunDb(opts: TestOptions): Promise<Db> {
  let db: Db;
  try {
    db = await loadDb(opts.db, dbOptions(opts));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (opts.cluster !== 'fake') {
    const faults = opts.nemesisSchedule === undefined ? opts.nemesis : [...new Set(loadScheduleFile(opts.nemesisSchedule).map((s) => faultOfF(s.f)?.kind ?? s.f))];
    const why = refusal(db, { cluster: opts.cluster, faults, workload: opts.workload, partitionClients: opts.partitionClients, image: opts.image });
    if (why !== null) throw new UsageError(why);
  }
  if (opts.nemesisSchedule !== undefined) {
    try {
      // Checked against this Db's node names now, not when an op names a node mid-run.
      const refusedOn = db.support.refusedOn ?? {};
      loadScheduleFile(opts.nemesisSchedule, { nodes: [...db.allNodes], refusal: (kind, node) => refusedOn[kind]?.[node] ?? null });
    } catch (error) {
      throw new UsageError(`--nemesis-schedule: ${(error as Error).message}`);
    }
  }
  return db;
}

/**
 * dbClients: one client per process from the Db, first talking to its thread's node. With
 * --partition-clients a client sits on its node's side of a cut: it reaches every node's main
 * client port through cluster.clientEndpoint(target, itsNode), which the partition cuts like node links.
 */
export function dbClients(db: Db, cluster: Cluster, opts: TestOptions): ClientFactory {
  return {
    open: (node, proc) => db.client({
      node,
      process: proc,
      clientId: `p${proc}-${opts.seed}`,
      nodes: cluster.nodes,
      address: (target, port) => (port === undefined
        ? cluster.clientEndpoint(target, opts.partitionClients ? node : undefined).address
        : cluster.clientAddress(target, port)),
    }),
  };
}
