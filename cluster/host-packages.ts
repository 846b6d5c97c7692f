// cluster/host-packages.ts — what the control node's Debian packages hold: installed or not, their files, system users.
//
// Third-party DBs run the binaries of host packages (postgresql-15, etcd-server, redis-server):
// locally as they are, on docker copied into an image (docker/package-image.ts). Both ask here.
import { execFileSync, spawnSync } from 'node:child_process';

/** HostUser: a system user as /etc/passwd and /etc/group name it on the host. */
export interface HostUser {
  name: string;
  uid: number;
  gid: number;
  passwdLine: string;
  groupLine: string;
}

/** missingPackages lists the packages of `names` dpkg does not report as installed (all of them without dpkg). */
export function missingPackages(names: readonly string[]): string[] {
  return names.filter((name) => {
    const res = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8', timeout: 10_000 });
    return !(res.status === 0 && /install ok installed/.test(res.stdout));
  });
}

/** installHint is the one command that installs `names` on Debian. */
export function installHint(names: readonly string[]): string {
  return `apt-get install ${names.join(' ')}`;
}

/** requirePackages throws a one-line error naming the missing packages and how to install them. */
export function requirePackages(what: string, names: readonly string[]): void {
  const missing = missingPackages(names);
  if (missing.length > 0) throw new Error(`${what} needs the Debian package${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: \`${installHint(missing)}\``);
}

/** packageFiles lists the paths an installed package holds (dpkg -L), directories included. */
export function packageFiles(name: string): string[] {
  requirePackages(`package ${name}`, [name]);
  const out = execFileSync('dpkg', ['-L', name], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.split('\n').filter((line) => line.startsWith('/') && line !== '/.');
}

/** hostUser reads a system user and its primary group from the host's databases (getent); null when absent. */
export function hostUser(name: string): HostUser | null {
  const passwd = spawnSync('getent', ['passwd', name], { encoding: 'utf8', timeout: 10_000 });
  if (passwd.status !== 0) return null;
  const passwdLine = passwd.stdout.trim().split('\n')[0];
  const fields = passwdLine.split(':');
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (!(Number.isSafeInteger(uid) && Number.isSafeInteger(gid))) throw new Error(`getent passwd ${name}: unexpected line ${JSON.stringify(passwdLine)}`);
  const group = spawnSync('getent', ['group', String(gid)], { encoding: 'utf8', timeout: 10_000 });
  const groupLine = group.status === 0 ? group.stdout.trim().split('\n')[0] : `${name}:x:${gid}:`;
  return { name, uid, gid, passwdLine, groupLine };
}
