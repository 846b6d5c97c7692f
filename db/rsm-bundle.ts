// db/rsm-bundle.ts — the rsm node program as one prebuilt JavaScript file, rebuilt only when its sources change.
//
// Starting a node through tsx transpiles every module it loads (~0.5–0.8 CPU-s a start, and a
// run starts many). esbuild bundles rsm/node/main.ts with what it imports (rsm/, lib/, the npm
// packages) into one ESM file that plain `node` runs. The file sits in a cache keyed by a hash of
// everything that can change it, so a test run or `npm run jepsen` builds it at most once after
// an edit; local nodes, docker images and ssh hosts all run this same file.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, version as esbuildVersion } from 'esbuild';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** BUNDLE_SOURCE_DIRS: what the node program may import of ours (README Architecture: rsm/ imports only lib/). */
export const BUNDLE_SOURCE_DIRS = ['rsm', 'lib'];
const ENTRY = 'rsm/node/main.ts';
/** Besides the sources: the installed packages' versions and the build options below. */
const KEY_FILES = ['package-lock.json', 'tsconfig.json', 'db/rsm-bundle.ts'];
const CACHE_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'splitbrain-rsm-node');

/**
 * BUNDLE_NAME: the bundle's path inside its folder. It keeps `rsm/node/main` so a node process is
 * still recognisable by its command line (tests look for it in /proc).
 */
export const BUNDLE_NAME = 'rsm/node/main.mjs';

/**
 * ESM_REQUIRE: CommonJS packages bundled into an ES module call require() for node's built-ins;
 * an ES module has none, so the bundle makes one.
 */
const ESM_REQUIRE = "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);";

/** sourceFiles: every file under the bundle's source dirs (tests too: cheap, and never wrong), sorted. */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(REPO_ROOT, rel), { withFileTypes: true })) {
      const child = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  for (const dir of BUNDLE_SOURCE_DIRS) walk(dir);
  return out.sort();
}

/** sourceHash: a hash of every byte that goes into the bundle, and of esbuild's version. */
function sourceHash(): string {
  const h = createHash('sha256').update(`esbuild ${esbuildVersion}\0node ${process.versions.node}\0`);
  for (const rel of [...KEY_FILES, ...sourceFiles()]) {
    const file = path.join(REPO_ROOT, rel);
    h.update(`${rel}\0`).update(fs.existsSync(file) ? fs.readFileSync(file) : '').update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** build writes the bundle and its source map into dir, through a temp dir renamed into place (concurrent builders race safely). */
function build(dir: string): void {
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  try {
    buildSync({
      absWorkingDir: REPO_ROOT,
      entryPoints: [ENTRY],
      outfile: path.join(tmp, BUNDLE_NAME),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      sourcemap: true,
      banner: { js: ESM_REQUIRE },
      logLevel: 'silent',
    });
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      // Another process built the same hash first: its bundle is the same bytes.
      if (!fs.existsSync(path.join(dir, BUNDLE_NAME))) throw err;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

let cached: { dir: string; file: string } | undefined;

/**
 * rsmNodeBundle: the bundle's folder and file (`<dir>/rsm/node/main.mjs`, its `.map` beside it),
 * built now if the sources changed since the last build. Hashed once a process: sources do not
 * change under a running test or run.
 */
export function rsmNodeBundle(): { dir: string; file: string } {
  if (cached === undefined) {
    const dir = path.join(CACHE_DIR, sourceHash());
    if (!fs.existsSync(path.join(dir, BUNDLE_NAME))) build(dir);
    cached = { dir, file: path.join(dir, BUNDLE_NAME) };
  }
  return cached;
}

/** RSM_NODE_FLAGS: node's own flags for the bundle — stack traces name the .ts sources. */
export const RSM_NODE_FLAGS: readonly string[] = ['--enable-source-maps'];
