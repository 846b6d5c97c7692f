// test/support/apt-host.ts — what makes an sshd host container a Debian system apt-get works on: dpkg's database and a local repository.
//
// The host image is built from the control node's files (sshd-hosts.ts), so its apt and dpkg are
// the control node's: APT_HOST_ROOTS and everything they depend on are copied whole (every file
// `dpkg -L` lists, docs left out), and the image's /var/lib/dpkg lists exactly those packages —
// their status stanzas, their info files, the trigger interests among them — so apt finds the
// system consistent and resolves what it installs against what is really there. No mirror is
// reachable from the hosts' internal network, nor needed on the control node: the .debs a case
// installs are built again from the control node's installed packages (installedDeb, cached in
// HOST_DEBS_DIR), indexed by a Packages file written from `dpkg-deb -f`, and put in the image at
// APT_REPO_DIR, the only source apt has.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageFiles } from '../../cluster/host-packages.ts';
import type { ImageContent } from '../../cluster/types.ts';

/** APT_REPO_DIR: the flat `file:` repository inside the host image. */
export const APT_REPO_DIR = '/srv/splitbrain-apt';
/** HOST_DEBS_DIR: where the control node keeps the .debs it rebuilt (gitignored; built once per machine and package content). */
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

/** INFO_FILES: the parts of an installed package's /var/lib/dpkg/info/ a .deb carries in DEBIAN/ (maintainer scripts executable). */
const INFO_FILES: readonly { what: string; mode: number }[] = [
  ...['preinst', 'postinst', 'prerm', 'postrm', 'config'].map((what) => ({ what, mode: 0o755 })),
  ...['conffiles', 'triggers', 'shlibs', 'symbols', 'templates'].map((what) => ({ what, mode: 0o644 })),
];
/** STATUS_ONLY: the fields of dpkg's status stanza that are the installation's, not the package's (a .deb's control has none of them). */
const STATUS_ONLY = new Set(['Status', 'Conffiles', 'Config-Version']);

/** DEB_TIME: the time of every entry of a rebuilt .deb (seconds; 2023-01-01). */
const DEB_TIME = 1_672_531_200;

/** InstalledPackageFiles: what dpkg on the control node has of one installed package, enough to build its .deb again. */
interface InstalledPackageFiles {
  version: string;
  arch: string;
  /** DEBIAN/control: the status stanza without the installation's own fields. */
  control: string;
  /** DEBIAN/ files from /var/lib/dpkg/info. */
  info: { name: string; path: string; mode: number }[];
  /** Every path `dpkg -L` lists that is on disk (a path dpkg was told to leave out, e.g. docs in a slim image, is not). */
  paths: { path: string; stat: fs.Stats }[];
}

/** notInstalledReason: why `pkg`'s .deb cannot be rebuilt on the control node (it is not installed, or dpkg is not there), or null. */
export function notInstalledReason(pkg: string): string | null {
  const res = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', pkg], { encoding: 'utf8' });
  if (res.error !== undefined) return `dpkg-query: ${res.error.message} (the control node is not a Debian system)`;
  if (!res.stdout.startsWith('ii')) return `${pkg} is not installed on the control node (\`apt-get install ${pkg}\`; .ci/run does)`;
  return null;
}

function installedPackageFiles(pkg: string): InstalledPackageFiles {
  const why = notInstalledReason(pkg);
  if (why !== null) throw new Error(`apt host: ${why}`);
  const stanza = execFileSync('dpkg-query', ['-s', pkg], { encoding: 'utf8' }).trimEnd();
  // A field is its first line and the lines after it that begin with a space.
  const fields = stanza.split(/\n(?=\S)/);
  const field = (name: string): string => fields.find((f) => f.startsWith(`${name}: `))!.slice(name.length + 2);
  const control = `${fields.filter((f) => !STATUS_ONLY.has(f.split(':')[0])).join('\n')}\n`;
  const arch = field('Architecture');
  const info = INFO_FILES.flatMap(({ what, mode }) => {
    const found = [`${pkg}.${what}`, `${pkg}:${arch}.${what}`].map((f) => path.join('/var/lib/dpkg/info', f)).find((f) => fs.existsSync(f));
    return found === undefined ? [] : [{ name: what, path: found, mode }];
  });
  const listed = packageFiles(pkg);
  // A listed path with listed paths under it is a directory in the package, even where this
  // machine has a symlink there (/lib -> usr/lib on a merged /usr): its stat follows the link.
  const parents = new Set(listed.map((p) => path.dirname(p)));
  const paths = listed.flatMap((p) => {
    const stat = parents.has(p) ? fs.statSync(p, { throwIfNoEntry: false }) : fs.lstatSync(p, { throwIfNoEntry: false });
    return stat === undefined ? [] : [{ path: p, stat }];
  });
  return { version: field('Version'), arch, control, info, paths };
}

/** contentHash: a hash of everything the rebuilt .deb holds (control, DEBIAN files, each path's kind, mode and bytes or link target). */
function contentHash(files: InstalledPackageFiles): string {
  const h = createHash('sha256').update(files.control);
  for (const i of files.info) h.update(`\0info ${i.name} ${i.mode}\0`).update(fs.readFileSync(i.path));
  for (const { path: p, stat } of files.paths) {
    h.update(`\0${p} ${stat.mode}\0`);
    if (stat.isSymbolicLink()) h.update(fs.readlinkSync(p));
    else if (stat.isFile()) h.update(fs.readFileSync(p));
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * installedDeb: `pkg`'s .deb, built again with `dpkg-deb --build` from what the control node
 * has installed of it — the files `dpkg -L` lists, the maintainer scripts and conffiles list
 * from /var/lib/dpkg/info, the status stanza as DEBIAN/control — so no mirror is needed and its
 * Depends are what the host image (built from the same machine) satisfies. Cached in
 * HOST_DEBS_DIR under the hash of that content: built once, the same bytes after (the image's
 * hash then hits its cache). Every file is root's, as etcd-server's are.
 */
export function installedDeb(pkg: string): string {
  const files = installedPackageFiles(pkg);
  const hash = contentHash(files);
  const deb = path.join(HOST_DEBS_DIR, `${pkg}_${files.version.replace(/^\d+:/, '')}_${files.arch}.${hash}.deb`);
  if (fs.existsSync(deb)) return deb;
  fs.mkdirSync(HOST_DEBS_DIR, { recursive: true });
  const root = fs.mkdtempSync(path.join(HOST_DEBS_DIR, `.build-${pkg}-`));
  try {
    // The tree's top is the host's / (mkdtemp made it 0700).
    fs.chmodSync(root, 0o755);
    fs.mkdirSync(path.join(root, 'DEBIAN'), { mode: 0o755 });
    fs.writeFileSync(path.join(root, 'DEBIAN', 'control'), files.control);
    for (const i of files.info) {
      fs.copyFileSync(i.path, path.join(root, 'DEBIAN', i.name));
      fs.chmodSync(path.join(root, 'DEBIAN', i.name), i.mode);
    }
    for (const { path: p, stat } of files.paths) {
      const to = path.join(root, p);
      if (stat.isDirectory()) fs.mkdirSync(to, { recursive: true });
      else {
        fs.mkdirSync(path.dirname(to), { recursive: true });
        if (stat.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(p), to);
        else fs.copyFileSync(p, to);
      }
      if (!stat.isSymbolicLink()) fs.chmodSync(to, stat.mode & 0o7777);
    }
    // Every entry's time is one fixed time, and dpkg-deb stamps its archive with SOURCE_DATE_EPOCH:
    // the same content gives the same bytes, so a rebuilt cache still hits the image's.
    for (const rel of [...files.paths.map((p) => p.path), ...files.info.map((i) => `DEBIAN/${i.name}`), 'DEBIAN/control', 'DEBIAN', '.'].reverse()) fs.lutimesSync(path.join(root, rel), DEB_TIME, DEB_TIME);
    // gzip -1: xz (dpkg-deb's default) spends ~10 CPU-s on etcd's 21 MB binary; nothing here is sent anywhere.
    const tmp = `${deb}.tmp`;
    const res = spawnSync('dpkg-deb', ['--build', '--root-owner-group', '-Zgzip', '-z1', root, tmp], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, SOURCE_DATE_EPOCH: String(DEB_TIME) } });
    if (res.status !== 0) throw new Error(`apt host: \`dpkg-deb --build\` of ${pkg} failed (${res.error?.message ?? (res.stderr.trim().split('\n').at(-1) || `exit ${res.status}`)})`);
    fs.renameSync(tmp, deb);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  // Older builds of pkg (another version or content) are not needed again.
  for (const f of fs.readdirSync(HOST_DEBS_DIR)) if (f.startsWith(`${pkg}_`) && path.join(HOST_DEBS_DIR, f) !== deb) fs.rmSync(path.join(HOST_DEBS_DIR, f), { force: true });
  return deb;
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
