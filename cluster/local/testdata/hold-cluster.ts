// cluster/local/testdata/hold-cluster.ts — starts a LocalCluster, prints its pids and ports, then waits
// for a signal (mode "wait") or dies of an uncaught exception (mode "throw"). Used by cleanup tests.
import { LocalCluster } from '../local-cluster.ts';

const [dir, mode] = process.argv.slice(2);
const cluster = new LocalCluster({ protocol: 'single', nodeCount: 2, bugs: [], options: {}, dataDir: `${dir}/data`, logDir: `${dir}/logs` });
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
