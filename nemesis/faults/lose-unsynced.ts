// nemesis/faults/lose-unsynced.ts — the lose-unsynced fault (Jepsen's LazyFS): kill nodes and drop what their disks had not fsynced.
import { z } from 'zod';
import { hasLazyDisk } from '../../cluster/types.ts';
import { diskFault } from './disk-fault.ts';
import { record } from './shapes.ts';

/** loseUnsyncedFault: a power failure of the chosen nodes; they restart from what was durable. */
export const loseUnsyncedFault = diskFault({
  kind: 'lose-unsynced',
  summary: 'SIGKILL nodes and drop every write, create and rename their disk had not fsynced (lazyfs; torn: keep half the last write), restart later',
  openF: 'crash',
  closeF: 'restart-crashed',
  options: { torn: z.boolean().optional() },
  fileOptions: { torn: z.boolean({ message: 'expected true or false' }).optional() },
  // A power failure of the whole cluster. Losing one node's unsynced writes is a single failure
  // any replicated log survives; and with a majority, raft's intact node won the election in every
  // run measured (README, Limits), so drawn crashes hit all nodes. A schedule file may name any.
  targets: ['all'],
  // Half the drawn crashes tear the newest unsynced write.
  drawOptions: (rng) => ({ torn: rng.int(2) === 0 }),
  check(cluster) {
    if (!hasLazyDisk(cluster)) throw new Error('lose-unsynced: this cluster cannot drop unsynced writes (lazyfs runs on --cluster local and docker)');
  },
  async damage(ctx, node, options: { torn?: boolean }) {
    const cluster = ctx.cluster;
    if (!hasLazyDisk(cluster)) throw new Error('lose-unsynced: no lazy disk');
    const lost = await cluster.loseUnsynced(node, { torn: options.torn === true });
    return { undone: lost.undone, unsyncedBytes: lost.unsyncedBytes, tornBytes: lost.tornBytes };
  },
  resultField: 'lost',
  resultWords(r) {
    const torn = Number(record(r).tornBytes) > 0 ? `, ${String(r.tornBytes)} bytes of its last write torn in` : '';
    return `${String(r.undone)} unsynced changes (${String(r.unsyncedBytes)} bytes) lost${torn}`;
  },
  openWord: 'crashed',
  label: 'crash, unsynced lost',
  color: '#8c2d04',
  field: 'crashed',
  clusterNeed: 'lazyDisk',
});
