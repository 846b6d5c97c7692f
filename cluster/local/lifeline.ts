// cluster/local/lifeline.ts — whatever the local cluster starts dies with the process that started it.
//
// Two lines, because SIGKILL of the control node runs no cleanup at all:
// - util-linux `setpriv --pdeathsig KILL` sets the child's parent-death signal and then execs
//   the real command (same pid, so kill/pause signals still reach it): the kernel SIGKILLs it
//   when the control node dies, even while it is paused. Any program works, faketime-wrapped or not.
// - PARENT_PID_ENV tells our own node program to exit once it is reparented (rsm/node/lifeline.ts),
//   for machines without setpriv.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

/** runsAsRoot tells whether this process is root (then a Launch's userWhenRoot applies). */
export function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
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

/** userIds reads a user's uid and primary gid (getent), or throws naming how to get the user. */
function userIds(user: string): { uid: number; gid: number } {
  const res = spawnSync('getent', ['passwd', user], { encoding: 'utf8', timeout: 10_000 });
  const fields = res.status === 0 ? res.stdout.trim().split(':') : [];
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (!(Number.isSafeInteger(uid) && Number.isSafeInteger(gid))) throw new Error(`user ${user} does not exist on this machine (its package creates it; or \`useradd --system ${user}\`)`);
  return { uid, gid };
}

/**
 * giveDirTo hands a node's data directory to the user it runs as when the control node is root
 * (Launch.userWhenRoot): the tree is chowned, and each ancestor that others cannot enter (the
 * run's 0700 temp dir) gets the search bit, so the user can reach it; nothing else changes.
 */
export function giveDirTo(user: string | undefined, dir: string): void {
  if (user === undefined || !runsAsRoot()) return;
  const { uid, gid } = userIds(user);
  const stack = [dir];
  for (let steps = 0; stack.length > 0; steps++) {
    if (steps > 100_000) throw new Error(`giveDirTo: ${dir} has too many entries`);
    const current = stack.pop()!;
    fs.lchownSync(current, uid, gid);
    if (fs.lstatSync(current).isDirectory()) for (const name of fs.readdirSync(current)) stack.push(path.join(current, name));
  }
  for (let up = path.dirname(path.resolve(dir)); up !== path.dirname(up); up = path.dirname(up)) {
    const stat = fs.statSync(up);
    if ((stat.mode & 0o001) === 0 && stat.uid === process.getuid?.()) fs.chmodSync(up, (stat.mode & 0o7777) | 0o011);
  }
}
