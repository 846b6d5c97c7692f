// control/runner/pre-run.ts — the one check before a run starts: the Db's refusals and, on --cluster ssh, the hosts'.
import { nfqShaperBinary, NFQ_SHAPER_HOST_PACKAGES } from '../../cluster/native-build.ts';
import { parseHostsFile } from '../../cluster/ssh/hosts-file.ts';
import { HostRefusal, preflightHosts } from '../../cluster/ssh/preflight.ts';
import type { Db } from '../../db/types.ts';
import type { TestOptions } from '../config.ts';
import { UsageError } from '../exit-codes.ts';
import { needsOf } from './parts.ts';
import { openRunDb } from './run-db.ts';

/**
 * refuseBeforeRun: the run's Db, or a UsageError (exit 3, one line) when the run cannot work:
 * what openRunDb refuses, and on --cluster ssh what the hosts lack (cluster/ssh/preflight.ts:
 * unreachable, a wrong host key or login key, no root, missing tools or packages), naming the
 * hosts file's line. With `apt-install: true` the hosts get their packages here.
 */
export async function refuseBeforeRun(opts: TestOptions): Promise<Db> {
  const db = await openRunDb(opts);
  if (opts.cluster === 'ssh' && opts.hosts !== undefined) {
    const needs = needsOf(opts);
    // The shaper's library is installed with the Db's packages when the shaper is uploaded (it is built here).
    const extraPackages = nfqShaperBinary() === null ? [] : NFQ_SHAPER_HOST_PACKAGES;
    try {
      await preflightHosts(parseHostsFile(opts.hosts), db, { ...needs, partitionClients: opts.partitionClients }, { insecureIgnoreHostKeys: opts.insecureIgnoreHostKeys, extraPackages });
    } catch (error) {
      if (error instanceof HostRefusal) throw new UsageError(error.message);
      throw error;
    }
  }
  return db;
}
