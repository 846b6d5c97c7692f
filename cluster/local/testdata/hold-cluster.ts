// cluster/local/testdata/hold-cluster.ts — starts a LocalCluster, prints its pids and ports, then waits
// for a signal (mode "wait") or dies of an uncaught exception (mode "throw"). Used by cleanup tests.
// A third argument "lazy" puts every data directory on lazyfs (spec.lazyDisk).
import { createRsmDb } from '../../../db/rsm.ts';
import { LocalCluster } from '../local-cluster.ts';

const [dir, mode, disk] = process.argv.slice(2);
const cluster = new LocalCluster({ dataDir: `${dir}/data`, logDir: `${dir}/logs`, lazyDisk: disk === 'lazy' }, createRsmDb({ protocol: 'single', nodeCount: 2 }));
await cluster.setup();
const pids = cluster.allNodes.map((n) => cluster.pid(n));
process.stdout.write(`${JSON.stringify({ pids, ports: cluster.ports() })}\n`);
if (mode === 'throw') {
  setTimeout(() => {
    throw new Error('hold-cluster: crashing on purpose');
  }, 10);
} else {
  setInterval(() => {}, 1000);
}
