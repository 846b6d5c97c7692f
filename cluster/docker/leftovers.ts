// cluster/docker/leftovers.ts — remove the containers and networks of runs whose control node is dead.
//
// Every container and network of a run carries RUN_LABEL=<runId> and OWNER_LABEL=<owner>
// (cluster/owner.ts: host, boot id, pid, start time of the control node). A control node that
// was SIGKILLed cannot tear down; the next docker run and `npm run jepsen -- clean` do it for
// it — but only for owners known dead: a run whose owner is alive (another run going on right
// now) or cannot be judged (another host, no owner label) is never touched.
import { spawnSync } from 'node:child_process';
import type Docker from 'dockerode';
import { ownerState, parseOwner, type OwnerState } from '../owner.ts';

/** RUN_LABEL: every container and network of a run carries RUN_LABEL=<runId>. */
export const RUN_LABEL = 'splitbrain.run';
/** OWNER_LABEL: the control node that made it (formatOwner). */
export const OWNER_LABEL = 'splitbrain.owner';
/** ROLE_LABEL: `net` for the container owning a node's network namespace, `node` for the node. */
export const ROLE_LABEL = 'splitbrain.role';

/** LeftoverRun: one run's resources as found on the engine. */
export interface LeftoverRun {
  runId: string;
  owner: string | null;
  state: OwnerState;
  containers: string[];
  networks: string[];
}

/** findRuns groups every labelled container and network by run, with its owner's state. */
export async function findRuns(docker: Docker): Promise<LeftoverRun[]> {
  const filters = { label: [RUN_LABEL] };
  const runs = new Map<string, LeftoverRun>();
  const runOf = (labels: Record<string, string> | undefined): LeftoverRun => {
    const runId = labels?.[RUN_LABEL] ?? '';
    const owner = labels?.[OWNER_LABEL] ?? null;
    let run = runs.get(runId);
    if (run === undefined) {
      const parsed = owner === null ? null : parseOwner(owner);
      run = { runId, owner, state: parsed === null ? 'unknown' : ownerState(parsed), containers: [], networks: [] };
      runs.set(runId, run);
    }
    return run;
  };
  for (const c of await docker.listContainers({ all: true, filters })) runOf(c.Labels).containers.push(c.Id);
  for (const n of await docker.listNetworks({ filters })) runOf(n.Labels).networks.push(n.Id);
  return [...runs.values()];
}

/** removeRun removes a run's containers (nodes before their net containers) and then its networks. */
export async function removeRun(docker: Docker, runId: string): Promise<void> {
  const filters = { label: [`${RUN_LABEL}=${runId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  // Nodes first: they live in their net container's namespace.
  const order = (c: Docker.ContainerInfo): number => (c.Labels[ROLE_LABEL] === 'net' ? 1 : 0);
  for (const role of [0, 1]) {
    await Promise.all(containers.filter((c) => order(c) === role).map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone)));
  }
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(ignoreGone)));
}

/** removeDeadRuns removes every run whose owner is dead; the rest (`kept`) are left alone. */
export async function removeDeadRuns(docker: Docker): Promise<{ removed: LeftoverRun[]; kept: LeftoverRun[] }> {
  const runs = await findRuns(docker);
  const removed = runs.filter((run) => run.state === 'dead');
  for (const run of removed) await removeRun(docker, run.runId);
  return { removed, kept: runs.filter((run) => run.state !== 'dead') };
}

function ignoreGone(err: Error & { statusCode?: number }): void {
  if (err.statusCode === 404 || err.statusCode === 409) return;
  throw err;
}

/** removeRunSync is the process-'exit' fallback: the docker CLI removes whatever carries the run's label, synchronously. */
export function removeRunSync(runId: string): void {
  const filter = `label=${RUN_LABEL}=${runId}`;
  const run = (args: string[]): string => {
    const res = spawnSync('docker', args, { encoding: 'utf8', timeout: 15_000 });
    return res.status === 0 ? res.stdout : '';
  };
  const ids = run(['ps', '-aq', '--filter', filter]).split('\n').filter((s) => s !== '');
  if (ids.length > 0) run(['rm', '-f', '-v', ...ids]);
  const nets = run(['network', 'ls', '-q', '--filter', filter]).split('\n').filter((s) => s !== '');
  if (nets.length > 0) run(['network', 'rm', ...nets]);
}
