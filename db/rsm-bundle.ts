// db/rsm-bundle.ts — the rsm node program as one prebuilt JavaScript file, rebuilt only when its sources change.
//
// Starting a node through tsx transpiles every module it loads (~0.5–0.8 CPU-s a start, and a
// run starts many). esbuild bundles rsm/node/main.ts with what it imports (rsm/, lib/, the npm
// packages) into one ESM file that plain `node` runs. The file sits in a cache keyed by a hash of
// everything that can change it, so a test run or `npm run jepsen` builds it at most once after
// an edit; local nodes, docker images and ssh hosts all run this same file.
//
// What is hashed is what esbuild read last time (its metafile's inputs, kept beside the cache),
// not every file of rsm/ and lib/. That is enough: a bundle built from inputs L is named by the
// hash of L's names and bytes, so a hash that matches means the same files with the same bytes,
// hence the same imports and the same graph; a file outside L is imported by nothing in L. An
// edit that adds an import changes a file in L, so the hash misses, and the rebuild records the
// new inputs. (Packages: package-lock.json stands for node_modules.)
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, version as esbuildVersion } from 'esbuild';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const ENTRY = 'rsm/node/main.ts';
/** Besides the inputs: the installed packages' versions, module type and the build options below. */
const KEY_FILES = ['package-lock.json', 'package.json', 'tsconfig.json', 'db/rsm-bundle.ts'];
const CACHE_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'splitbrain-rsm-node');
/** INPUTS_FILE: the inputs of the newest build (the cache's guess at what the next one reads), and of each bundle in its folder. */
const INPUTS_FILE = 'inputs.json';

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

/** ReadSource: the bytes of a repository file (null when it does not exist). */
export type ReadSource = (rel: string) => Buffer | null;

const readRepoFile: ReadSource = (rel) => {
  const file = path.join(REPO_ROOT, rel);
  return fs.existsSync(file) ? fs.readFileSync(file) : null;
};

/** bundleHash: a hash of the key files, the names and bytes of `inputs`, esbuild's and node's versions. */
export function bundleHash(inputs: readonly string[], read: ReadSource = readRepoFile): string {
  const h = createHash('sha256').update(`esbuild ${esbuildVersion}\0node ${process.versions.node}\0`);
  const add = (rel: string): void => void h.update(`${rel}\0`).update(read(rel) ?? '').update('\0');
  KEY_FILES.forEach(add);
  // The list's own length: the same bytes split between key files and inputs otherwise.
  h.update(`inputs ${inputs.length}\0`);
  inputs.forEach(add);
  return h.digest('hex').slice(0, 16);
}

/** readInputs: the input list in `file` (sorted repository paths), or null when there is none or it is not one. */
function readInputs(file: string): string[] | null {
  try {
    const inputs: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return Array.isArray(inputs) && inputs.every((i) => typeof i === 'string') ? inputs : null;
  } catch {
    return null;
  }
}

/** writeAtomically writes a file through a temp file renamed into place (readers see the old or the new, never half). */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/**
 * build bundles the node program into a temp dir, then renames it into place as
 * CACHE_DIR/<hash of what esbuild read> (concurrent builders race safely: the same hash is the
 * same bytes). Returns that folder; the newest inputs are recorded for the next process.
 */
function build(): string {
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(CACHE_DIR, 'build.tmp-'));
  try {
    const result = buildSync({
      absWorkingDir: REPO_ROOT,
      entryPoints: [ENTRY],
      outfile: path.join(tmp, BUNDLE_NAME),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      sourcemap: true,
      banner: { js: ESM_REQUIRE },
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs).filter((rel) => !rel.startsWith('node_modules/')).sort();
    if (!inputs.includes(ENTRY)) throw new Error(`rsm bundle: esbuild's inputs lack ${ENTRY}: ${inputs.join(', ')}`);
    const text = JSON.stringify(inputs);
    fs.writeFileSync(path.join(tmp, INPUTS_FILE), text);
    const dir = path.join(CACHE_DIR, bundleHash(inputs));
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      // Another process built the same hash first: its bundle is the same bytes.
      if (!fs.existsSync(path.join(dir, BUNDLE_NAME))) throw err;
    }
    writeAtomically(path.join(CACHE_DIR, INPUTS_FILE), text);
    return dir;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

let cached: { dir: string; file: string; inputs: readonly string[] } | undefined;

/**
 * rsmNodeBundle: the bundle's folder and file (`<dir>/rsm/node/main.mjs`, its `.map` beside it)
 * and the repository files it was built from, built now if those changed since the last build.
 * Hashed once a process: sources do not change under a running test or run.
 */
export function rsmNodeBundle(): { dir: string; file: string; inputs: readonly string[] } {
  if (cached === undefined) {
    const lastInputs = readInputs(path.join(CACHE_DIR, INPUTS_FILE));
    const last = lastInputs === null ? null : path.join(CACHE_DIR, bundleHash(lastInputs));
    const dir = last !== null && fs.existsSync(path.join(last, BUNDLE_NAME)) ? last : build();
    const inputs = readInputs(path.join(dir, INPUTS_FILE));
    if (inputs === null) throw new Error(`rsm bundle: ${dir} has no ${INPUTS_FILE}`);
    cached = { dir, file: path.join(dir, BUNDLE_NAME), inputs };
  }
  return cached;
}

/** RSM_NODE_FLAGS: node's own flags for the bundle — stack traces name the .ts sources. */
export const RSM_NODE_FLAGS: readonly string[] = ['--enable-source-maps'];
