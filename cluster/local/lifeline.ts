// cluster/local/lifeline.ts — whatever the local cluster starts dies with the process that started it.
//
// Two lines, because SIGKILL of the control node runs no cleanup at all:
// - util-linux `setpriv --pdeathsig KILL` sets the child's parent-death signal and then execs
//   the real command (same pid, so kill/pause signals still reach it): the kernel SIGKILLs it
//   when the control node dies, even while it is paused. Any program works, faketime-wrapped or not.
// - PARENT_PID_ENV tells our own node program to exit once it is reparented (rsm/node/lifeline.ts),
//   for machines without setpriv.
import { spawnSync } from 'node:child_process';
import { PARENT_PID_ENV } from '../../rsm/node/lifeline.ts';

let setprivWorks: boolean | null = null;

/** hasSetpriv probes once whether `setpriv --pdeathsig` runs here. */
function hasSetpriv(): boolean {
  if (setprivWorks === null) {
    const probe = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, '-e', ''], { stdio: 'ignore', timeout: 10_000 });
    setprivWorks = probe.status === 0;
  }
  return setprivWorks;
}

/** Launch: a command line with its extra environment. */
export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** withLifeline wraps a command so that it does not outlive this process (see the file comment). */
export function withLifeline(launch: Launch): Launch {
  const env = { ...launch.env, [PARENT_PID_ENV]: String(process.pid) };
  if (!hasSetpriv()) return { ...launch, env };
  return { command: 'setpriv', args: ['--pdeathsig', 'KILL', '--', launch.command, ...launch.args], env };
}
