// nemesis/faults/corrupt-file.ts — the corrupt-file fault (Jepsen's): kill a node, bitflip/zero/truncate a chunk of a data file, restart later.
import { z } from 'zod';
import { hasDataFiles } from '../../cluster/types.ts';
import { CORRUPT_MODES, corruptDataFiles, type CorruptMode } from '../corrupt-bytes.ts';
import { diskFault } from './disk-fault.ts';
import { pick } from './pick.ts';

const BYTES_MAX = 1 << 20;

/** corruptFileFault: damage one chunk of one data file of each chosen node while it is down. */
export const corruptFileFault = diskFault({
  kind: 'corrupt-file',
  summary: 'SIGKILL nodes, bitflip, zero or truncate a chunk (bytes, default 64) of one of their data files, restart later',
  openF: 'corrupt',
  closeF: 'restart-corrupted',
  options: {
    mode: z.enum(CORRUPT_MODES),
    bytes: z.number().int().min(1).max(BYTES_MAX).optional(),
    file: z.string().min(1).optional(),
  },
  fileOptions: {
    mode: z.enum(CORRUPT_MODES, { message: `expected one of ${CORRUPT_MODES.join(', ')}` }),
    bytes: z.number({ message: 'expected a number of bytes' }).int('expected a whole number of bytes').min(1, 'expected at least 1 byte').max(BYTES_MAX, `expected at most ${BYTES_MAX} bytes`).optional(),
    file: z.string({ message: 'expected a path relative to the node\'s data directory' }).min(1).optional(),
  },
  // A minority at a time: damaged disks on a majority are beyond what replication can repair.
  targets: ['one', 'minority', 'primary'],
  drawOptions: (rng) => ({ mode: pick(CORRUPT_MODES, rng) }),
  check(cluster) {
    if (!hasDataFiles(cluster)) throw new Error('corrupt-file: this cluster gives no access to its nodes\' data files (--cluster local and docker)');
  },
  async damage(ctx, node, options: { mode: CorruptMode; bytes?: number; file?: string }) {
    const cluster = ctx.cluster;
    if (!hasDataFiles(cluster)) throw new Error('corrupt-file: no data files');
    return { ...corruptDataFiles(cluster.dataFilesDir(node), options, ctx.rng, cluster.dataFilePaths()) };
  },
  resultField: 'corrupted',
  resultWords: (r) => (r.mode === 'truncate' ? `${String(r.length)} bytes cut off ${String(r.file)}` : `${String(r.mode)} ${String(r.length)} bytes at ${String(r.offset)} of ${String(r.file)}`),
  openWord: 'corrupted',
  label: 'file corrupted',
  color: '#b8860b',
  field: 'corrupted',
  clusterNeed: 'dataFiles',
});
