// db/support.ts — whether a Db can run as asked: cluster kind, faults, workload, packages; one line when not.
import type { ClusterKind } from '../cluster/types.ts';
import { ANY_FAULT, type Db } from './types.ts';

/**
 * DISK_FAULTS: the faults done to a node's disk while it is down (nemesis/faults/disk-fault.ts
 * builds both); any Db whose data lives in its data dir takes them on local and docker.
 */
export const DISK_FAULTS: readonly string[] = ['lose-unsynced', 'corrupt-file'];

/** RunShape: what a run asks of its Db. */
export interface RunShape {
  cluster: ClusterKind;
  faults: readonly string[];
  workload: string;
  partitionClients: boolean;
  /** --cluster docker: the user's own image (then the Db's image content is not needed). */
  image?: string;
}

/**
 * refusal: why `db` cannot run `run`, as one line naming what is missing and how to get it, or
 * null when it can. Checked before anything starts: a run that cannot work never begins.
 */
export function refusal(db: Db, run: RunShape): string | null {
  const where = db.support.clusters[run.cluster];
  const note = db.support.notes?.[run.cluster];
  if (where === undefined) {
    const kinds = Object.keys(db.support.clusters);
    return `--db ${db.name}: cannot run on --cluster ${run.cluster}${note === undefined ? '' : ` (${note})`}; it runs on ${kinds.join(', ')}`;
  }
  if (where !== ANY_FAULT) {
    const unsupported = run.faults.filter((f) => !where.includes(f));
    if (unsupported.length > 0) {
      const offered = where.length === 0 ? 'none' : where.join(', ');
      return `--nemesis: ${unsupported.join(', ')} cannot be applied to --db ${db.name} on --cluster ${run.cluster}${note === undefined ? '' : ` (${note})`}; supported there: ${offered}`;
    }
  }
  if (!db.support.workloads.includes(run.workload)) {
    return `--workload: --db ${db.name} has no client for ${run.workload}; it supports ${db.support.workloads.join(', ')}`;
  }
  if (run.partitionClients && !db.support.partitionClients) return `--partition-clients: --db ${db.name} does not support clients on the sides of a partition`;
  if (run.cluster === 'docker' && db.image === undefined && run.image === undefined) return `--cluster docker: --db ${db.name} does not say what its nodes need in a container; pass --image`;
  return db.missing?.(run.cluster) ?? null;
}
