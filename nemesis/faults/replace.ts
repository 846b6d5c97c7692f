// nemesis/faults/replace.ts — the replace fault (the view service lectures): a server dies for good, a fresh one joins.
//
// The open op SIGKILLs the chosen server and empties its data directory: that server is gone,
// disk and all. While it is down the view server finds it dead and, if it was in the view,
// recruits an idle server as the new backup, which serves only after the primary's full state
// transfer (or promotes the backup, if the primary died). The close op starts a fresh server in
// its place: the replica set is fixed when the cluster starts (every node's --peers), so the
// newcomer takes the dead server's name and address, with an empty disk and a new incarnation —
// to the view server an idle server it has never heard from.
import fs from 'node:fs';
import path from 'node:path';
import { hasDataFiles, hasLazyDisk } from '../../cluster/types.ts';
import { diskFault } from './disk-fault.ts';

/** wipeDir removes everything under dir (the dir itself stays: the cluster owns it); returns how many entries went. */
function wipeDir(dir: string): number {
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  for (const name of entries) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  return entries.length;
}

/** replaceFault: kill a server for good (its disk emptied), start a fresh one in its place later. */
export const replaceFault = diskFault({
  kind: 'replace',
  // Emptying a data directory needs the files on this machine: --cluster local only, for now.
  changesServers: { needs: 'fresh-server', clusters: ['local'] },
  summary: 'SIGKILL a server and empty its data directory (it is gone for good), later start a fresh server with an empty disk in its place (viewservice)',
  openF: 'replace',
  closeF: 'add-fresh',
  options: {},
  fileOptions: {},
  // One server at a time, as the lectures' view service tolerates; the primary is the case
  // where the backup must be promoted and an idle server recruited at once.
  targets: ['one', 'primary'],
  drawOptions: () => ({}),
  check(cluster) {
    if (!hasDataFiles(cluster)) throw new Error('replace: this cluster gives no access to its nodes\' data directories (--cluster local only for now)');
  },
  async damage(ctx, node) {
    const cluster = ctx.cluster;
    if (!hasDataFiles(cluster)) throw new Error('replace: no data files');
    // A new disk owes nothing to the old one: on a lazy disk (lose-unsynced in the same run) the
    // old server's unsynced changes are settled first, or a later crash of the fresh server would
    // take them back over its files (unlinking its log, writing old bytes into it).
    if (hasLazyDisk(cluster)) await cluster.forgetUnsynced(node);
    return { removed: wipeDir(cluster.dataFilesDir(node)) };
  },
  resultField: 'wiped',
  resultWords: (r) => `gone for good, ${String(r.removed)} entries of its data directory removed`,
  openWord: 'replaced',
  closeWord: 'added a fresh server as',
  label: 'server replaced',
  color: '#6a3d9a',
  field: 'replaced',
  clusterNeed: 'dataFiles',
});
