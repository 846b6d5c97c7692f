// cluster/docker/package-image.ts — a DB's image content from its installed Debian packages on the host.
//
// No image can be pulled, so a third-party DB (postgres, etcd, redis) names its packages in its
// ImageContent and the image gets what the control node has installed: every file `dpkg -L`
// lists for them (docs, man pages and translations left out), the shared libraries `ldd` names
// for each ELF file among them, the host's /etc/passwd and /etc/group lines of the users the DB
// runs as, and directories owned by them. image.ts puts the base (node, iptables, libfaketime)
// beside them and keys the package part by packageFilesKey, so it is read and ldd'ed only when
// the image is built: once, and again only when a package on the host changes.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hostUser, packageFiles, requirePackages, type HostUser } from '../host-packages.ts';
import type { ImageContent } from '../types.ts';
import { isElf, sharedLibraries, type RootFsBuilder } from './rootfs.ts';

/** PACKAGE_FILES_LAYOUT_VERSION changes when the layout below changes, forcing new images. */
const PACKAGE_FILES_LAYOUT_VERSION = '2';

/** SKIPPED_PREFIXES: package files no DB runs with. */
const SKIPPED_PREFIXES = ['/usr/share/doc/', '/usr/share/man/', '/usr/share/locale/', '/usr/share/lintian/', '/usr/share/bug/'];

/** SYMLINK_HOPS_MAX bounds how many links one host path goes through. */
const SYMLINK_HOPS_MAX = 16;

/**
 * placeDir returns where a host directory's contents go in the image: symlinked ancestors
 * (Debian's merged /usr: /bin -> usr/bin, /lib -> usr/lib) are kept as symlinks, and the
 * contents go to the real directory, so /bin/dash and /usr/bin/dash are one file as on the host.
 */
function placeDir(b: RootFsBuilder, dir: string): string {
  let real = '';
  for (const part of dir.split('/').filter((p) => p !== '')) {
    const next = `${real}/${part}`;
    if (fs.lstatSync(next).isSymbolicLink()) {
      b.addSymlink(next, fs.readlinkSync(next));
      real = fs.realpathSync(next);
    } else {
      real = next;
    }
  }
  return real;
}

/**
 * addHostPath copies one host path as it is: a directory, a symlink (and what it points to) or
 * a file, with the shared libraries of an ELF file. A path dpkg lists but the host no longer
 * has (a removed conffile) is skipped.
 */
function addHostPath(b: RootFsBuilder, file: string, withLibraries: boolean, hops = 0): void {
  if (hops > SYMLINK_HOPS_MAX) throw new Error(`docker image: ${file}: too many symlinks`);
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return;
  }
  const placed = `${placeDir(b, path.posix.dirname(file))}/${path.posix.basename(file)}`.replace(/^\/+/, '/');
  if (b.has(placed)) return;
  if (stat.isSymbolicLink()) {
    const target = fs.readlinkSync(file);
    b.addSymlink(placed, target);
    addHostPath(b, path.posix.resolve(path.posix.dirname(placed), target), withLibraries, hops + 1);
  } else if (stat.isDirectory()) {
    b.addDir(placed, stat.mode & 0o7777);
  } else if (stat.isFile()) {
    b.addFile(placed, file, stat.mode & 0o7777);
    // ldd names the whole closure, so the libraries it names need no ldd of their own.
    if (withLibraries && ((stat.mode & 0o111) !== 0 || /\.so(\.|$)/.test(file)) && isElf(file)) {
      for (const lib of sharedLibraries(file)) addHostPath(b, lib, false);
    }
  }
}

/** usersOf resolves the content's users on the host; a missing one is a one-line error. */
function usersOf(content: ImageContent): Map<string, HostUser> {
  const users = new Map<string, HostUser>();
  for (const name of content.users ?? []) {
    const user = hostUser(name);
    if (user === null) throw new Error(`docker image ${content.name}: user ${name} does not exist on the control node (it comes with the packages ${(content.packages ?? []).join(', ')})`);
    users.set(name, user);
  }
  return users;
}

/**
 * addPackageFiles adds what a DB image needs from its host packages (see the file comment):
 * /etc/passwd and /etc/group with the users, the directories they own, the package files.
 * Called before the base goes in, so these entries win at their paths.
 */
export function addPackageFiles(b: RootFsBuilder, content: ImageContent): void {
  requirePackages(`docker image ${content.name}`, content.packages ?? []);
  const users = usersOf(content);
  if (users.size > 0) {
    const passwd = ['root:x:0:0:root:/root:/bin/false', ...[...users.values()].map((u) => u.passwdLine)];
    const group = ['root:x:0:', ...[...users.values()].map((u) => `${u.groupLine.split(':')[0]}:x:${u.gid}:`)];
    b.addFile('/etc/passwd', Buffer.from(`${passwd.join('\n')}\n`), 0o644);
    b.addFile('/etc/group', Buffer.from(`${group.join('\n')}\n`), 0o644);
  }
  for (const dir of content.dirs ?? []) {
    if (dir.user === undefined) continue;
    const user = users.get(dir.user);
    if (user === undefined) throw new Error(`docker image ${content.name}: dir ${dir.path} is owned by ${dir.user}, who is not in users`);
    b.addDir(dir.path, dir.mode ?? 0o755, { uid: user.uid, gid: user.gid });
  }
  const skipped = [...SKIPPED_PREFIXES, ...(content.exclude ?? [])];
  for (const pkg of content.packages ?? []) {
    for (const file of packageFiles(pkg)) {
      if (!skipped.some((prefix) => file.startsWith(prefix))) addHostPath(b, file, content.packagesHoldLibraries !== true);
    }
  }
}

/** DPKG_STATUS: dpkg's database of installed packages; it changes whenever any package is installed, upgraded or removed. */
const DPKG_STATUS = '/var/lib/dpkg/status';

/**
 * packageFilesKey stands for addPackageFiles' entries without building them: a hash of the
 * layout, the content's packages, exclusions, users and owned dirs, dpkg's database (so any
 * package change on the host, the DB's or a library's, makes a new image) and the users' lines.
 * Building means an ldd of every binary (seconds); the key costs one read of the database.
 */
export function packageFilesKey(content: ImageContent): string {
  const decides = {
    packages: content.packages ?? [], exclude: content.exclude ?? [], users: content.users ?? [], dirs: (content.dirs ?? []).filter((d) => d.user !== undefined),
    ...(content.packagesHoldLibraries === true ? { packagesHoldLibraries: true } : {}),
  };
  const hash = createHash('sha256').update(`layout ${PACKAGE_FILES_LAYOUT_VERSION}\n${JSON.stringify(decides)}\n`);
  hash.update(fs.readFileSync(DPKG_STATUS));
  for (const user of usersOf(content).values()) hash.update(`${user.passwdLine}\n${user.groupLine}\n`);
  return hash.digest('hex').slice(0, 16);
}
