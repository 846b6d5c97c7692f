// control/commands/clean.ts — `clean`: remove what runs whose control node died left behind.
//
// A SIGKILLed control node runs no cleanup. Its local nodes exit by themselves (their
// lifeline), but its temp dirs stay, and so do its Docker containers and networks. `clean`
// removes exactly those whose owner (cluster/owner.ts) is known dead — never a run going on
// now, never what it cannot judge. The next run does the same before it starts.
import type { Command } from 'commander';
import { dockerClient, dockerReachable } from '../../cluster/docker/engine.ts';
import { removeDeadRuns } from '../../cluster/docker/leftovers.ts';
import { removeDeadOwnersDirs } from '../../cluster/owner.ts';

/** cleanLeftovers removes dead runs' temp dirs and Docker resources, printing one line for each. */
export async function cleanLeftovers(out: (line: string) => void): Promise<void> {
  const dirs = removeDeadOwnersDirs();
  for (const dir of dirs) out(`removed temp dir ${dir}`);
  const docker = dockerClient();
  if (!(await dockerReachable(docker))) {
    out(`no Docker engine answers (${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}): containers not checked`);
    out(`clean: ${dirs.length} temp dirs removed`);
    return;
  }
  const { removed, kept } = await removeDeadRuns(docker);
  for (const run of removed) {
    out(`removed docker run ${run.runId} (owner ${run.owner}: dead): ${run.containers.length} containers, ${run.networks.length} networks`);
  }
  out(`clean: ${dirs.length} temp dirs and ${removed.length} docker runs removed; ${kept.length} docker runs kept (owner alive or unknown)`);
}

/** registerCleanCommand adds `clean` to the program. */
export function registerCleanCommand(program: Command): void {
  program
    .command('clean')
    .description('remove temp dirs, containers and networks left by runs whose control node is dead (never a live run\'s)')
    .action(async () => {
      await cleanLeftovers((line) => process.stdout.write(`${line}\n`));
    });
}
