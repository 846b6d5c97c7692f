// cluster/docker/image.ts — a program's node image: a root filesystem assembled from host files, imported, cached by hash.
//
// No registry is reachable, so the image is made from what the control node has. The base is
// the node binary and the shared libraries `ldd` names (the net container idles on it),
// iptables (legacy and nft front ends, their libraries and xtables modules) and libfaketime;
// on top go the files the NodeProgram names (ImageContent: for rsm, its node program bundled
// into one file (db/rsm-bundle.ts); for a third-party DB, its installed Debian packages,
// package-image.ts). The tar is built in memory and imported through the Docker API (rootfs.ts);
// its tag is the program's name and a hash of every byte that goes in, so an unchanged project
// is a cache hit and any change makes a new image. Package files are keyed without reading
// them (packageFilesKey), so a DB image's cache hit costs no ldd of its binaries.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type Docker from 'dockerode';
import { findLibfaketime } from '../local/faketime.ts';
import { nfqShaperBinary } from '../native-build.ts';
import type { ImageContent } from '../types.ts';
import { addPackageFiles, packageFilesKey } from './package-image.ts';
import { ensureTaggedImage, RootFsBuilder, type EnsureImageResult, type RootFs } from './rootfs.ts';

export type { EnsureImageResult, RootFs } from './rootfs.ts';

/** IMAGE_REPO: the repository name of images built here; tags are `<program>-<content hash>`. */
export const IMAGE_REPO = 'splitbrain-node';
/** IMAGE_LAYOUT_VERSION changes when the layout below changes, forcing new images. */
const IMAGE_LAYOUT_VERSION = '5';

/**
 * IMAGE_PATHS: the contract a node image meets (a user's `--image` must meet it too): node at
 * `node`, a working `iptablesNft` or `iptablesLegacy`, `tc` for packet faults, libfaketime at
 * `libfaketime`, writable `data` and `clockDir`, and whatever the program's own command line names.
 */
export const IMAGE_PATHS = {
  node: '/usr/bin/node',
  iptablesNft: '/usr/sbin/iptables-nft',
  iptablesLegacy: '/usr/sbin/iptables-legacy',
  /** tc (iproute2): packet faults (htb rate, netem where the kernel has it). */
  tc: '/usr/sbin/tc',
  /** nfq-shaper (native/nfq-shaper): delay, jitter, duplication and reordering where the kernel lacks netem. */
  nfqShaper: '/usr/sbin/nfq-shaper',
  libfaketime: '/usr/lib/faketime/libfaketime.so.1',
  data: '/data',
  clockDir: '/splitbrain',
} as const;

const IPTABLES_MODULE_DIRS = ['/usr/lib/x86_64-linux-gnu/xtables', '/usr/lib/aarch64-linux-gnu/xtables', '/usr/lib/xtables', '/usr/lib64/xtables'];
const HOST_BINARIES = {
  legacy: ['/usr/sbin/xtables-legacy-multi', '/sbin/xtables-legacy-multi'],
  nft: ['/usr/sbin/xtables-nft-multi', '/sbin/xtables-nft-multi'],
  tc: ['/usr/sbin/tc', '/sbin/tc'],
};

/** missingTool explains which host package is missing, for an error. */
function missingTool(what: string, pkg: string): Error {
  return new Error(`docker image: ${what} not found on the control node; install it (\`apt-get install ${pkg}\`, or run scripts/docker-setup.sh) or pass --image`);
}

/** addContent adds a program's ImageContent on top of the base. */
function addContent(b: RootFsBuilder, content: ImageContent): void {
  for (const exe of content.executables ?? []) {
    if (!fs.existsSync(exe.source)) throw new Error(`docker image for ${content.name}: ${exe.source} not found on the control node`);
    b.addWithLibraries(exe.target ?? exe.source, fs.realpathSync(exe.source));
  }
  for (const tree of content.trees ?? []) {
    if (!fs.existsSync(tree.source)) throw new Error(`docker image for ${content.name}: ${tree.source} not found on the control node`);
    b.addTree(tree.source, tree.target, tree.keep);
  }
  for (const file of content.files ?? []) b.addFile(file.target, file.source, file.mode);
}

/** checkName: the program name goes into the tag. */
function checkName(content: ImageContent): void {
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(content.name)) throw new Error(`docker image: bad program name ${JSON.stringify(content.name)} (expected lowercase letters, digits and -)`);
}

/**
 * buildRootFs assembles an image's files from the host (see the file comment): with
 * `withPackages` false, the content's Debian packages are left out (their key stands for them).
 */
export function buildRootFs(content: ImageContent, withPackages = true): RootFs {
  checkName(content);
  const b = new RootFsBuilder();
  b.mergedUsrLikeHost();
  // A program's users and owned dirs first: the first entry at a path wins (its /data, /etc/passwd).
  if (withPackages) addPackageFiles(b, content);
  for (const dir of content.dirs ?? []) b.addDir(dir.path, dir.mode);
  b.addWithLibraries(IMAGE_PATHS.node, fs.realpathSync(process.execPath));

  const legacy = HOST_BINARIES.legacy.find((p) => fs.existsSync(p));
  const nft = HOST_BINARIES.nft.find((p) => fs.existsSync(p));
  if (legacy === undefined && nft === undefined) throw missingTool('iptables', 'iptables');
  // xtables-*-multi dispatch on their own name, so each copy is named after what it runs as.
  if (legacy !== undefined) b.addWithLibraries(IMAGE_PATHS.iptablesLegacy, legacy);
  if (nft !== undefined) b.addWithLibraries(IMAGE_PATHS.iptablesNft, nft);
  const modules = IPTABLES_MODULE_DIRS.find((d) => fs.existsSync(d));
  if (modules !== undefined) b.addTree(modules, modules);

  const tc = HOST_BINARIES.tc.find((p) => fs.existsSync(p));
  if (tc === undefined) throw missingTool('tc', 'iproute2');
  b.addWithLibraries(IMAGE_PATHS.tc, fs.realpathSync(tc));

  // Optional: without it (no libnetfilter-queue-dev to build it), the probe says the shaper is missing.
  const shaper = nfqShaperBinary();
  if (shaper !== null) b.addWithLibraries(IMAGE_PATHS.nfqShaper, shaper);

  const faketime = findLibfaketime();
  if (faketime === null) throw missingTool('libfaketime', 'faketime');
  b.addFile(IMAGE_PATHS.libfaketime, faketime);
  b.addLibrariesOf(faketime);

  addContent(b, content);
  b.addDir(IMAGE_PATHS.data);
  b.addDir(IMAGE_PATHS.clockDir, 0o777);
  b.addDir('tmp', 0o1777);
  // iptables-legacy takes its lock in /run.
  b.addDir('run', 0o755);
  b.addFile('/etc/passwd', Buffer.from('root:x:0:0:root:/root:/bin/false\n'));

  const rootfs = b.finish(IMAGE_LAYOUT_VERSION);
  return { ...rootfs, hash: `${content.name}-${rootfs.hash}` };
}

/**
 * ensureImage returns `splitbrain-node:<program>-<hash>` for `content`, importing it only when
 * the engine lacks it; the program's other tags are pruned, other programs' images stay.
 */
export function ensureImage(docker: Docker, content: ImageContent): Promise<EnsureImageResult> {
  if ((content.packages ?? []).length === 0) {
    const rootfs = buildRootFs(content);
    return ensureTaggedImage(docker, IMAGE_REPO, rootfs.hash, () => rootfs, `${content.name}-`);
  }
  // Everything but the package files is hashed byte for byte; they are keyed by what decides them.
  const rest = buildRootFs(content, false);
  const hash = createHash('sha256').update(`${rest.hash}\n${packageFilesKey(content)}\n`).digest('hex').slice(0, 16);
  return ensureTaggedImage(docker, IMAGE_REPO, `${content.name}-${hash}`, () => buildRootFs(content), `${content.name}-`);
}
