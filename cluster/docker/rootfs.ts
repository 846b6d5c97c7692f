// cluster/docker/rootfs.ts — root filesystems assembled from host files, named by content hash, imported once.
//
// No registry is reachable, so every image (the node image, each DB's image) is a tar of
// files the control node has, imported through the Docker API. Its tag is a hash of every byte
// and header that goes in: an unchanged set of files is a cache hit, any change a new image.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { tarChunks, type TarEntry, type TarOwner } from './tar.ts';

const ENTRIES_MAX = 40_000;

/** RootFs: the entries of an image and the hash that names it. */
export interface RootFs {
  entries: TarEntry[];
  hash: string;
  bytes: number;
}

/** LOADERS: the host's dynamic loaders, tried in order (ldd is a bash script around them, 8 times slower). */
const LOADERS = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'];
let loaderFound: string | null | undefined;

/** hostLoader is the first dynamic loader present on the host, or null (then ldd is used). */
function hostLoader(): string | null {
  loaderFound ??= LOADERS.find((l) => fs.existsSync(l)) ?? null;
  return loaderFound;
}

/** lddText is what `ldd binary` prints; '' for a static binary ("not a dynamic executable"). */
function lddText(binary: string): string {
  const loader = hostLoader();
  if (loader !== null) {
    // As ldd does: --verify says whether the loader can take the file (0 dynamic, else static or foreign).
    const verify = spawnSync(loader, ['--verify', binary], { stdio: 'ignore', timeout: 10_000 });
    if (verify.status !== 0 && verify.status !== 2) return '';
    const list = spawnSync(loader, ['--list', binary], { encoding: 'utf8', timeout: 10_000 });
    if (list.status === 0) return list.stdout;
  }
  try {
    return execFileSync('ldd', [binary], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const text = `${String((err as { stdout?: string }).stdout ?? '')}${String((err as { stderr?: string }).stderr ?? '')}`;
    if (/not a dynamic executable|statically linked/.test(text)) return '';
    throw new Error(`docker image: ldd ${binary} failed: ${text.trim() || (err as Error).message}`);
  }
}

/**
 * sharedLibraries lists the absolute paths `ldd` reports for a binary (interpreter included);
 * none for a static binary.
 */
export function sharedLibraries(binary: string): string[] {
  const libs: string[] = [];
  for (const line of lddText(binary).split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m !== null) libs.push(m[1]);
  }
  return libs;
}

/** isElf tells whether a host file is an ELF object (a binary or shared library worth an ldd). */
export function isElf(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const magic = Buffer.alloc(4);
    return fs.readSync(fd, magic, 0, 4, 0) === 4 && magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    fs.closeSync(fd);
  }
}

/** MERGED_USR_DIRS: top-level directories Debian 12 makes symlinks into /usr. */
const MERGED_USR_DIRS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/**
 * RootFsBuilder collects entries, creating parent directories once each; the first entry at a
 * path wins. Paths through a directory symlink it holds are written at the link's target, so
 * after `mergedUsrLikeHost()` /lib/x/libc.so.6 and /usr/lib/x/libc.so.6 are one file, as on the host.
 */
export class RootFsBuilder {
  readonly entries: TarEntry[] = [];
  private readonly seen = new Set<string>();
  /** Directory symlinks added so far: link path -> target path (both relative). */
  private readonly dirLinks = new Map<string, string>();

  /** mergedUsrLikeHost adds the host's merged-/usr symlinks (/bin -> usr/bin …); call it first. */
  mergedUsrLikeHost(): void {
    for (const dir of MERGED_USR_DIRS) {
      const host = `/${dir}`;
      if (!fs.existsSync(host) || !fs.lstatSync(host).isSymbolicLink() || !fs.statSync(host).isDirectory()) continue;
      const target = fs.readlinkSync(host);
      this.addSymlink(host, target);
      this.dirLinks.set(dir, path.posix.normalize(path.posix.isAbsolute(target) ? target.slice(1) : target));
    }
  }

  /** resolve maps a path to where it is written: leading '/' dropped, directory links followed. */
  private resolve(target: string): string {
    const parts = target.replace(/^\/+/, '').split('/');
    let out: string[] = [];
    parts.forEach((part, i) => {
      const link = i < parts.length - 1 ? this.dirLinks.get([...out, part].join('/')) : undefined;
      if (link !== undefined) out = link.split('/');
      else out.push(part);
    });
    return out.join('/');
  }

  has(target: string): boolean {
    return this.seen.has(this.resolve(target));
  }

  addFile(target: string, source: string | Buffer, mode?: number, owner?: TarOwner): void {
    const rel = this.resolve(target);
    if (this.seen.has(rel)) return;
    this.addDir(path.posix.dirname(rel));
    const data = typeof source === 'string' ? fs.readFileSync(source) : source;
    const fileMode = mode ?? (typeof source === 'string' ? fs.statSync(source).mode & 0o7777 : 0o644);
    this.push({ kind: 'file', path: rel, data, mode: fileMode, ...(owner !== undefined ? { owner } : {}) }, rel);
  }

  addDir(dir: string, mode = 0o755, owner?: TarOwner): void {
    const rel = this.resolve(dir);
    if (rel === '' || rel === '.' || this.seen.has(rel)) return;
    this.addDir(path.posix.dirname(rel));
    this.push({ kind: 'dir', path: rel, mode, ...(owner !== undefined ? { owner } : {}) }, rel);
  }

  addSymlink(target: string, linkTarget: string): void {
    const rel = this.resolve(target);
    if (this.seen.has(rel)) return;
    this.addDir(path.posix.dirname(rel));
    this.push({ kind: 'symlink', path: rel, target: linkTarget }, rel);
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

  /** addLibrariesOf adds the shared libraries a host binary loads, at their host paths. */
  addLibrariesOf(binary: string): void {
    for (const lib of sharedLibraries(binary)) this.addFile(lib, lib);
  }

  addWithLibraries(target: string, source: string): void {
    this.addFile(target, source);
    this.addLibrariesOf(source);
  }

  /** finish hashes every entry (layout version first) into the RootFs that names the image. */
  finish(layoutVersion: string): RootFs {
    const hash = createHash('sha256').update(`layout ${layoutVersion}\n`);
    let bytes = 0;
    for (const e of this.entries) {
      const owner = e.kind === 'symlink' || e.owner === undefined ? '' : ` ${e.owner.uid}:${e.owner.gid}`;
      hash.update(`${e.kind} ${e.path} ${e.kind === 'symlink' ? e.target : (e.mode ?? 0).toString(8)}${owner}\n`);
      if (e.kind === 'file') {
        hash.update(e.data);
        bytes += e.data.length;
      }
    }
    return { entries: this.entries, hash: hash.digest('hex').slice(0, 16), bytes };
  }

  private push(entry: TarEntry, rel: string): void {
    if (this.entries.length >= ENTRIES_MAX) throw new Error('docker image: too many entries');
    this.seen.add(rel);
    this.entries.push(entry);
  }
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

/** EnsureImageResult: the tag to run, whether it had to be imported, and its file bytes when it was built. */
export interface EnsureImageResult {
  image: string;
  built: boolean;
  bytes?: number;
}

/**
 * ensureTaggedImage returns `repo:tag`, calling `build` and importing its root filesystem only
 * when the engine lacks that tag; after an import the repo's other tags starting with
 * `prunePrefix` are pruned.
 */
export async function ensureTaggedImage(docker: Docker, repo: string, tag: string, build: () => RootFs, prunePrefix = ''): Promise<EnsureImageResult> {
  const image = `${repo}:${tag}`;
  if (await imageExists(docker, image)) return { image, built: false };
  const rootfs = build();
  const stream = await docker.importImage(Readable.from(tarChunks(rootfs.entries)), { repo, tag });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
      const failed = output?.find((o) => o.error !== undefined);
      if (err !== null) reject(err);
      else if (failed !== undefined) reject(new Error(`docker image import: ${failed.error}`));
      else resolve();
    });
  });
  if (!(await imageExists(docker, image))) throw new Error(`docker image import: ${image} missing after import`);
  await pruneOldImages(docker, repo, image, prunePrefix);
  return { image, built: true, bytes: rootfs.bytes };
}

/**
 * pruneOldImages removes the repo's other tags starting with `prefix` (each is as big as its
 * files; one program's images never evict another's). Without force: an image a container
 * still uses (another run) stays.
 */
async function pruneOldImages(docker: Docker, repo: string, keep: string, prefix: string): Promise<void> {
  const images = await docker.listImages({ filters: { reference: [repo] } });
  for (const info of images) {
    const tags = (info.RepoTags ?? []).filter((t) => t.startsWith(`${repo}:${prefix}`) && t !== keep);
    for (const tag of tags) await docker.getImage(tag).remove().catch(() => undefined);
  }
}
