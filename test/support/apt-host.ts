// test/support/apt-host.ts — what makes an sshd host container a Debian system apt-get works on: dpkg's database and a local repository.
//
// The host image is built from the control node's files (sshd-hosts.ts), so its apt and dpkg are
// the control node's: APT_HOST_ROOTS and everything they depend on are copied whole (every file
// `dpkg -L` lists, docs left out), and the image's /var/lib/dpkg lists exactly those packages —
// their status stanzas, their info files, the trigger interests among them — so apt finds the
// system consistent and resolves what it installs against what is really there. No mirror is
// reachable from the hosts' internal network: the .debs a case installs are fetched on the
// control node with `apt-get download` (cached in HOST_DEBS_DIR), indexed by a Packages file
// written from `dpkg-deb -f`, and put in the image at APT_REPO_DIR, the only source apt has.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImageContent } from '../../cluster/types.ts';

/** APT_REPO_DIR: the flat `file:` repository inside the host image. */
export const APT_REPO_DIR = '/srv/splitbrain-apt';
/** HOST_DEBS_DIR: where the control node keeps the .debs it fetched (gitignored; fetched once per machine). */
export const HOST_DEBS_DIR = path.resolve(import.meta.dirname, '..', '..', '.cache', 'host-debs');

/**
 * APT_HOST_ROOTS: apt and dpkg, and what the maintainer scripts of the packages a case installs
 * run (etcd-server's: adduser, update-rc.d and invoke-rc.d of init-system-helpers, a POSIX shell,
 * coreutils, getent); Debian marks those essential rather than depending on them.
 */
const APT_HOST_ROOTS = ['apt', 'dpkg', 'adduser', 'init-system-helpers', 'perl-base', 'coreutils', 'dash', 'libc-bin', 'sed', 'grep', 'findutils', 'diffutils'];
/** CLOSURE_MAX bounds the dependency walk (the closure of APT_HOST_ROOTS is ~60 packages). */
const CLOSURE_MAX = 400;

interface InstalledPackage {
  name: string;
  arch: string;
  /** Each dependency as its alternatives (package names, version constraints dropped). */
  depends: string[][];
}

/** installedPackages: the control node's installed packages, with what each provides. */
function installedPackages(): { byName: Map<string, InstalledPackage>; providers: Map<string, string> } {
  const out = execFileSync('dpkg-query', ['-W', '-f=${Package}\\t${Architecture}\\t${db:Status-Abbrev}\\t${Pre-Depends}, ${Depends}\\t${Provides}\\n'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const byName = new Map<string, InstalledPackage>();
  const providers = new Map<string, string>();
  const names = (field: string): string[][] => field.split(',').map((d) => d.split('|').map((a) => a.trim().split(/[\s:(]/)[0]).filter((a) => a !== '')).filter((alts) => alts.length > 0);
  for (const line of out.split('\n')) {
    const [name, arch, status, depends, provides] = line.split('\t');
    if (status === undefined || !status.startsWith('ii')) continue;
    byName.set(name, { name, arch, depends: names(depends) });
    for (const [p] of names(provides)) if (!providers.has(p)) providers.set(p, name);
  }
  return { byName, providers };
}

/** dependencyClosure: `roots` and every installed package they depend on (Depends and Pre-Depends, the first installed alternative). */
export function dependencyClosure(roots: readonly string[]): InstalledPackage[] {
  const { byName, providers } = installedPackages();
  const found = new Map<string, InstalledPackage>();
  const stack = [...roots];
  while (stack.length > 0) {
    if (found.size > CLOSURE_MAX) throw new Error(`apt host: more than ${CLOSURE_MAX} packages depended on from ${roots.join(', ')}`);
    const name = stack.pop()!;
    if (found.has(name)) continue;
    const pkg = byName.get(name);
    if (pkg === undefined) throw new Error(`apt host: ${name} is not installed on the control node: \`apt-get install ${name}\``);
    found.set(name, pkg);
    for (const alts of pkg.depends) {
      const chosen = alts.map((a) => (byName.has(a) ? a : providers.get(a))).find((a) => a !== undefined);
      if (chosen === undefined) throw new Error(`apt host: ${name} depends on ${alts.join(' | ')}, which the control node lacks`);
      stack.push(chosen);
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** dpkgDatabase: /var/lib/dpkg's status (the packages' stanzas as the control node has them), their info files and trigger interests. */
function dpkgDatabase(packages: readonly InstalledPackage[]): Pick<ImageContent, 'files' | 'trees'> {
  const names = packages.map((p) => p.name);
  const status = execFileSync('dpkg-query', ['-s', ...names], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  // Info files are named <package>.<what>, or <package>:<arch>.<what> for Multi-Arch: same packages.
  const infoNames = new Set(packages.flatMap((p) => [p.name, `${p.name}:${p.arch}`]));
  const ours = (owner: string): boolean => infoNames.has(owner) || infoNames.has(owner.split(':')[0]);
  const triggers = fs.readFileSync('/var/lib/dpkg/triggers/File', 'utf8').split('\n').filter((l) => l !== '' && ours(l.split(' ')[1].split('/')[0]));
  return {
    files: [
      { target: '/var/lib/dpkg/status', source: Buffer.from(status.endsWith('\n\n') ? status : `${status}\n`) },
      { target: '/var/lib/dpkg/available', source: Buffer.alloc(0) },
      { target: '/var/lib/dpkg/triggers/File', source: Buffer.from(triggers.map((l) => `${l}\n`).join('')) },
    ],
    trees: [{ source: '/var/lib/dpkg/info', target: '/var/lib/dpkg/info', keep: (rel) => !rel.includes('/') && ours(rel.slice(0, rel.lastIndexOf('.'))) }],
  };
}

/** AptRepo: a local repository's directory on the control node (its .debs and Packages) and the packages it offers. */
export interface AptRepo {
  dir: string;
  packages: string[];
}

/**
 * fetchDebs: the .debs of `packages` (no dependencies: the host image has those) in HOST_DEBS_DIR,
 * downloaded with `apt-get download` when not there yet. As root it refreshes the package lists
 * once when apt does not know a package (a fresh machine has none).
 */
export function fetchDebs(packages: readonly string[]): string[] {
  fs.mkdirSync(HOST_DEBS_DIR, { recursive: true });
  const cached = (pkg: string): string | undefined => fs.readdirSync(HOST_DEBS_DIR).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  const missing = packages.filter((p) => cached(p) === undefined);
  if (missing.length > 0) {
    const download = (): ReturnType<typeof spawnSync> => spawnSync('apt-get', ['download', '-q', ...missing], { cwd: HOST_DEBS_DIR, encoding: 'utf8', timeout: 300_000 });
    let res = download();
    if (res.status !== 0 && process.getuid?.() === 0) {
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', timeout: 300_000 });
      res = download();
    }
    if (res.status !== 0) throw new Error(`apt host: \`apt-get download ${missing.join(' ')}\` in ${HOST_DEBS_DIR} failed (${String(res.stderr).trim().split('\n').at(-1)}): the control node needs a reachable Debian mirror (as root, \`apt-get update\` first)`);
  }
  return packages.map((p) => path.join(HOST_DEBS_DIR, cached(p)!));
}

/**
 * writeAptRepo: a flat repository in `dir` holding `debs`, indexed by a Packages file: each
 * .deb's control fields (`dpkg-deb -f`) and where it is, its size and hashes, as apt reads them.
 */
export function writeAptRepo(dir: string, debs: readonly string[]): AptRepo {
  fs.mkdirSync(dir, { recursive: true });
  const stanzas: string[] = [];
  const packages: string[] = [];
  for (const deb of debs) {
    const name = path.basename(deb);
    fs.copyFileSync(deb, path.join(dir, name));
    const bytes = fs.readFileSync(deb);
    const control = execFileSync('dpkg-deb', ['-f', deb], { encoding: 'utf8' }).trimEnd();
    packages.push(/^Package: (\S+)$/m.exec(control)![1]);
    const hash = (algorithm: string): string => createHash(algorithm).update(bytes).digest('hex');
    stanzas.push(`${control}\nFilename: ./${name}\nSize: ${bytes.length}\nMD5sum: ${hash('md5')}\nSHA256: ${hash('sha256')}\n`);
  }
  fs.writeFileSync(path.join(dir, 'Packages'), stanzas.join('\n'));
  return { dir, packages };
}

/**
 * aptHostContent: what the host image gets on top of sshd and its tools for apt-get to work:
 * the packages (copied whole but for docs and iconv modules), dpkg's database of them, the _apt user apt downloads as, a
 * sources.list naming `repo` (copied to APT_REPO_DIR) only, and the directories apt and dpkg write.
 */
export function aptHostContent(repo: AptRepo, extraRoots: readonly string[]): Required<Pick<ImageContent, 'packages' | 'packagesHoldLibraries' | 'exclude' | 'files' | 'trees' | 'dirs'>> & { passwd: string } {
  const packages = dependencyClosure([...APT_HOST_ROOTS, ...extraRoots]);
  const db = dpkgDatabase(packages);
  return {
    packages: packages.map((p) => p.name),
    // A dependency closure: Debian's shlibs dependencies name every library's package.
    packagesHoldLibraries: true,
    // libc6's iconv modules are left out as docs are (dpkg does not miss them): nothing here converts charsets, and they are half the ELF files to ldd.
    exclude: ['/usr/lib/x86_64-linux-gnu/gconv/', '/usr/lib/aarch64-linux-gnu/gconv/'],
    files: [
      ...db.files!,
      { target: '/etc/apt/sources.list', source: Buffer.from(`deb [trusted=yes] file:${APT_REPO_DIR} ./\n`) },
    ],
    trees: [...db.trees!, { source: repo.dir, target: APT_REPO_DIR }],
    dirs: ['/var/lib/dpkg/updates', '/var/lib/dpkg/alternatives', '/var/lib/dpkg/parts', '/var/lib/apt/lists/partial', '/var/cache/apt/archives/partial', '/var/log/apt'].map((p) => ({ path: p })),
    passwd: '_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n',
  };
}
