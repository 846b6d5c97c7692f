// cluster/docker/image.ts — the default node image: a root filesystem assembled from host files, imported, cached by hash.
//
// No registry is reachable, so the image is made from what the control node has: the node
// binary and the shared libraries `ldd` names, iptables (legacy and nft front ends, their
// libraries and xtables modules), libfaketime, and the project's rsm/ and lib/ sources with the few
// packages that run them through tsx (tsx, esbuild and its linux binary, commander). The tar
// is built in memory and imported through the Docker API; its tag is a hash of every byte that
// goes in, so an unchanged project is a cache hit and any change makes a new image.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { findLibfaketime } from '../local/faketime.ts';
import { tarChunks, type TarEntry } from './tar.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** IMAGE_REPO: the repository name of images built here; tags are content hashes. */
export const IMAGE_REPO = 'splitbrain-node';
/** IMAGE_LAYOUT_VERSION changes when the layout below changes, forcing new images. */
const IMAGE_LAYOUT_VERSION = '2';

/**
 * IMAGE_PATHS: the contract a node image meets (a user's `--image` must meet it too): node at
 * `node`, the project at `app` (run as `node --import tsx rsm/node/main.ts` from there), a
 * working `iptablesNft` or `iptablesLegacy`, libfaketime at `libfaketime`, and writable `data` and `clockDir`.
 */
export const IMAGE_PATHS = {
  node: '/usr/bin/node',
  app: '/app',
  iptablesNft: '/usr/sbin/iptables-nft',
  iptablesLegacy: '/usr/sbin/iptables-legacy',
  libfaketime: '/usr/lib/faketime/libfaketime.so.1',
  esbuild: '/app/node_modules/@esbuild/linux-x64/bin/esbuild',
  data: '/data',
  clockDir: '/splitbrain',
} as const;

/** NODE_SOURCE_DIRS: the node program (rsm/) and the leaf module it imports (lib/). */
const NODE_SOURCE_DIRS = ['rsm', 'lib'];
const APP_PACKAGES = ['tsx', 'esbuild', '@esbuild/linux-x64', 'commander'];
const IPTABLES_MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/xtables', '/usr/lib/aarch64-linux-gnu/xtables', '/usr/lib/xtables', '/usr/lib64/xtables'];
const HOST_BINARIES = {
  legacy: ['/usr/sbin/xtables-legacy-multi', '/sbin/xtables-legacy-multi'],
  nft: ['/usr/sbin/xtables-nft-multi', '/sbin/xtables-nft-multi'],
};
const ENTRIES_MAX = 20_000;

/** RootFs: the entries of an image and the hash that names it. */
export interface RootFs {
  entries: TarEntry[];
  hash: string;
  bytes: number;
}

/** missingTool explains which host package is missing, for an error. */
function missingTool(what: string, pkg: string): Error {
  return new Error(`docker image: ${what} not found on the control node; install it (\`apt-get install ${pkg}\`, or run scripts/docker-setup.sh) or pass --image`);
}

/** sharedLibraries lists the absolute paths `ldd` reports for a binary (interpreter included). */
export function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m !== null) libs.push(m[1]);
  }
  return libs;
}

/** RootFsBuilder collects entries, creating parent directories once each. */
class RootFsBuilder {
  readonly entries: TarEntry[] = [];
  private readonly seen = new Set<string>();

  addFile(target: string, source: string | Buffer, mode?: number): void {
    const rel = target.replace(/^\/+/, '');
    if (this.seen.has(rel)) return;
    this.addDir(path.posix.dirname(rel));
    const data = typeof source === 'string' ? fs.readFileSync(source) : source;
    const fileMode = mode ?? (typeof source === 'string' ? fs.statSync(source).mode & 0o777 : 0o644);
    this.push({ kind: 'file', path: rel, data, mode: fileMode }, rel);
  }

  addDir(dir: string, mode = 0o755): void {
    const rel = dir.replace(/^\/+/, '');
    if (rel === '' || rel === '.' || this.seen.has(rel)) return;
    this.addDir(path.posix.dirname(rel));
    this.push({ kind: 'dir', path: rel, mode }, rel);
  }

  /** addTree copies a host directory (files only, symlinks followed) under `target`. */
  addTree(source: string, target: string, keep: (rel: string) => boolean = () => true): void {
    const stack = [''];
    for (let steps = 0; stack.length > 0; steps++) {
      if (steps > ENTRIES_MAX) throw new Error(`docker image: ${source} has too many entries`);
      const rel = stack.pop()!;
      for (const name of fs.readdirSync(path.join(source, rel)).sort()) {
        const relChild = rel === '' ? name : `${rel}/${name}`;
        const stat = fs.statSync(path.join(source, relChild));
        if (stat.isDirectory()) stack.push(relChild);
        else if (stat.isFile() && keep(relChild)) this.addFile(path.posix.join(target, relChild), path.join(source, relChild));
      }
    }
  }

  addWithLibraries(target: string, source: string): void {
    this.addFile(target, source);
    for (const lib of sharedLibraries(source)) this.addFile(lib, lib);
  }

  private push(entry: TarEntry, rel: string): void {
    if (this.entries.length >= ENTRIES_MAX) throw new Error('docker image: too many entries');
    this.seen.add(rel);
    this.entries.push(entry);
  }
}

/** buildRootFs assembles the default image's files from the host (see the file comment). */
export function buildRootFs(): RootFs {
  const b = new RootFsBuilder();
  b.addWithLibraries(IMAGE_PATHS.node, fs.realpathSync(process.execPath));

  const legacy = HOST_BINARIES.legacy.find((p) => fs.existsSync(p));
  const nft = HOST_BINARIES.nft.find((p) => fs.existsSync(p));
  if (legacy === undefined && nft === undefined) throw missingTool('iptables', 'iptables');
  // xtables-*-multi dispatch on their own name, so each copy is named after what it runs as.
  if (legacy !== undefined) b.addWithLibraries(IMAGE_PATHS.iptablesLegacy, legacy);
  if (nft !== undefined) b.addWithLibraries(IMAGE_PATHS.iptablesNft, nft);
  const modules = IPTABLES_MODULE_DIRS.find((d) => fs.existsSync(d));
  if (modules !== undefined) b.addTree(modules, modules);

  const faketime = findLibfaketime();
  if (faketime === null) throw missingTool('libfaketime', 'faketime');
  b.addFile(IMAGE_PATHS.libfaketime, faketime);
  for (const lib of sharedLibraries(faketime)) b.addFile(lib, lib);

  const app = IMAGE_PATHS.app;
  b.addFile(`${app}/package.json`, path.join(REPO_ROOT, 'package.json'));
  b.addFile(`${app}/tsconfig.json`, path.join(REPO_ROOT, 'tsconfig.json'));
  for (const dir of NODE_SOURCE_DIRS) {
    b.addTree(path.join(REPO_ROOT, dir), `${app}/${dir}`, (rel) => rel.endsWith('.ts') && !rel.endsWith('.test.ts'));
  }
  for (const pkg of APP_PACKAGES) {
    const dir = path.join(REPO_ROOT, 'node_modules', pkg);
    if (!fs.existsSync(dir)) throw new Error(`docker image: node_modules/${pkg} is missing; run npm ci`);
    // esbuild's own bin/ duplicates the platform package's binary; ESBUILD_BINARY_PATH names that one.
    b.addTree(dir, `${app}/node_modules/${pkg}`, (rel) => !(pkg === 'esbuild' && rel.startsWith('bin/')));
  }
  b.addDir(IMAGE_PATHS.data);
  b.addDir(IMAGE_PATHS.clockDir, 0o777);
  b.addDir('tmp', 0o1777);
  // iptables-legacy takes its lock in /run.
  b.addDir('run', 0o755);
  b.addFile('/etc/passwd', Buffer.from('root:x:0:0:root:/root:/bin/false\n'));

  const hash = createHash('sha256').update(`layout ${IMAGE_LAYOUT_VERSION}\n`);
  let bytes = 0;
  for (const e of b.entries) {
    hash.update(`${e.kind} ${e.path} ${e.kind === 'symlink' ? e.target : (e.mode ?? 0).toString(8)}\n`);
    if (e.kind === 'file') {
      hash.update(e.data);
      bytes += e.data.length;
    }
  }
  return { entries: b.entries, hash: hash.digest('hex').slice(0, 16), bytes };
}

/** imageExists tells whether the engine has an image by that name. */
export async function imageExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch {
    return false;
  }
}

/** EnsureImageResult: the tag to run and whether it had to be imported. */
export interface EnsureImageResult {
  image: string;
  built: boolean;
  bytes: number;
}

/** ensureImage returns `splitbrain-node:<hash>` of the current project, importing it only when the engine lacks it. */
export async function ensureImage(docker: Docker): Promise<EnsureImageResult> {
  const rootfs = buildRootFs();
  const image = `${IMAGE_REPO}:${rootfs.hash}`;
  if (await imageExists(docker, image)) return { image, built: false, bytes: rootfs.bytes };
  const stream = await docker.importImage(Readable.from(tarChunks(rootfs.entries)), { repo: IMAGE_REPO, tag: rootfs.hash });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = output?.find((o) => o.error !== undefined);
      if (err !== null) reject(err);
      else if (failed !== undefined) reject(new Error(`docker image import: ${failed.error}`));
      else resolve();
    });
  });
  if (!(await imageExists(docker, image))) throw new Error(`docker image import: ${image} missing after import`);
  await pruneOldImages(docker, image);
  return { image, built: true, bytes: rootfs.bytes };
}

/**
 * pruneOldImages removes the other splitbrain-node tags (each is the size of node plus the
 * project). Without force: an image a container still uses (another run) stays.
 */
async function pruneOldImages(docker: Docker, keep: string): Promise<void> {
  const images = await docker.listImages({ filters: { reference: [IMAGE_REPO] } });
  for (const info of images) {
    const tags = (info.RepoTags ?? []).filter((t) => t.startsWith(`${IMAGE_REPO}:`) && t !== keep);
    for (const tag of tags) await docker.getImage(tag).remove().catch(() => undefined);
  }
}
