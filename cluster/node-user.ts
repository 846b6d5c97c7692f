// cluster/node-user.ts — a node that must not run as root (postgres) gets its data directory handed to its user.
//
// Both backends that keep a node's data directory on the control node use it: cluster/local for
// every node, cluster/docker when the directories are bound in from the host (disk faults).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** runsAsRoot tells whether this process is root (then a Launch's userWhenRoot applies). */
export function runsAsRoot(): boolean {
  return process.getuid?.() === 0;
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
 * (userWhenRoot of a Launch, cluster/local/lifeline.ts): the tree is chowned, and each ancestor that others cannot enter (the
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
