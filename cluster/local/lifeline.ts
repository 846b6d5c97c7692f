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
import { runsAsRoot } from '../node-user.ts';

let setprivWorks: boolean | null = null;

/** hasSetpriv probes once whether `setpriv --pdeathsig` runs here. */
function hasSetpriv(): boolean {
  if (setprivWorks === null) {
    const probe = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, '-e', ''], { stdio: 'ignore', timeout: 10_000 });
    setprivWorks = probe.status === 0;
  }
  return setprivWorks;
}

/**
 * Launch: a command line with its extra environment. `userWhenRoot`: the user it runs as when
 * the control node is root (programs such as postgres refuse to run as root); otherwise it runs
 * as the control node's user.
 */
export interface Launch {
  command: string;
  args: string[];
  env: Record<string, string>;
  userWhenRoot?: string;
}

/**
 * withLifeline wraps a command so that it does not outlive this process (see the file comment).
 * The user switch is done by the same setpriv: a later change of user would clear the
 * parent-death signal (prctl(2)).
 */
export function withLifeline(launch: Launch): Launch {
  const env = { ...launch.env, [PARENT_PID_ENV]: String(process.pid) };
  const user = launch.userWhenRoot !== undefined && runsAsRoot() ? launch.userWhenRoot : undefined;
  if (!hasSetpriv()) {
    if (user !== undefined) throw new Error(`${launch.command} must run as ${user}, not root, and setpriv (util-linux) is missing: \`apt-get install util-linux\``);
    return { command: launch.command, args: launch.args, env };
  }
  const asUser = user === undefined ? [] : ['--reuid', user, '--regid', user, '--clear-groups'];
  return { command: 'setpriv', args: ['--pdeathsig', 'KILL', ...asUser, '--', launch.command, ...launch.args], env };
}
