// cluster/docker/hold-cluster.ts — start a docker cluster and hold it until a signal (interrupt tests, debugging).
//
//   tsx cluster/docker/hold-cluster.ts RUN_ID [NODES]
//
// Prints "held <runId> <node>=<url> ..." once every node is ready, then waits; SIGINT/SIGTERM
// tear it down through cluster/cleanup.ts, exactly as an interrupted test run would.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRsmDb } from '../../db/rsm.ts';
import { DockerCluster } from './docker-cluster.ts';

const HOLD_MS_MAX = 10 * 60_000;

const [runId, nodesText] = process.argv.slice(2);
if (runId === undefined) {
  process.stderr.write('usage: tsx cluster/docker/hold-cluster.ts RUN_ID [NODES]\n');
  process.exit(3);
}
const dir = path.join(os.tmpdir(), `splitbrain-hold-${runId}`);
// Registered before the cluster's cleanup, so it runs after the logs were saved there... and
// removes them: a holder is for interrupt tests and poking at nodes, not for keeping records.
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const cluster = new DockerCluster(
  { dataDir: path.join(dir, 'data'), logDir: path.join(dir, 'logs') },
  createRsmDb({ protocol: 'raft', nodeCount: Number(nodesText ?? '3') }),
  { runId },
);
await cluster.setup();
process.stdout.write(`held ${runId} ${cluster.nodes.map((n) => `${n}=${cluster.clientEndpoint(n).httpUrl}`).join(' ')}\n`);
// Bounded: a forgotten holder still goes away by itself.
setTimeout(() => void cluster.teardown().then(() => process.exit(0)), HOLD_MS_MAX);
