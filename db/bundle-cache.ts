// db/bundle-cache.ts — a TypeScript entry and what it imports as prebuilt JavaScript, rebuilt only when its sources change.
//
// Loading modules through tsx transpiles each one (~0.5–1 CPU-s a process or worker thread) and,
// with its keepNames option, wraps every named closure in a defineProperty call at run time.
// esbuild bundles an entry into ESM that plain `node` runs. The bundle sits in a cache keyed by
// a hash of everything that can change it, so a test run or `npm run jepsen` builds it at most
// once after an edit.
//
// What is hashed is what esbuild read last time (its metafile's inputs, kept beside the cache),
// not every file of the repository. That is enough: a bundle built from inputs L is named by the
// hash of L's names and bytes, so a hash that matches means the same files with the same bytes,
// hence the same imports and the same graph; a file outside L is imported by nothing in L. An
// edit that adds an import changes a file in L, so the hash misses, and the rebuild records the
// new inputs. (Packages: package-lock.json stands for node_modules.)
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, version as esbuildVersion, type BuildOptions } from 'esbuild';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** COMMON_KEY_FILES: besides the inputs, the installed packages' versions, module type and this build code. */
const COMMON_KEY_FILES = ['package-lock.json', 'package.json', 'tsconfig.json', 'db/bundle-cache.ts'];
/** INPUTS_FILE: the inputs of the newest build (the cache's guess at what the next one reads), and of each bundle in its folder. */
const INPUTS_FILE = 'inputs.json';

/** BundleSpec: one kind of bundle. */
export interface BundleSpec {
  /** cacheName: its folder under node_modules/.cache. */
  cacheName: string;
  /** entry: the repository-relative TypeScript entry. */
  entry: string;
  /** outName: the entry's output file inside a bundle's folder. */
  outName: string;
  /** keyFiles: the files that hold this spec (its build options), hashed with the inputs. */
  keyFiles: readonly string[];
  /** options: esbuild options beyond the common ones, given the temp folder the build writes into. */
  options(outDir: string): BuildOptions;
}

/** ReadSource: the bytes of a repository file (null when it does not exist). */
export type ReadSource = (rel: string) => Buffer | null;

const readRepoFile: ReadSource = (rel) => {
  const file = path.join(REPO_ROOT, rel);
  return fs.existsSync(file) ? fs.readFileSync(file) : null;
};

/** bundleHash: a hash of the key files, the names and bytes of `inputs`, esbuild's and node's versions. */
export function bundleHash(spec: BundleSpec, inputs: readonly string[], read: ReadSource = readRepoFile): string {
  const h = createHash('sha256').update(`esbuild ${esbuildVersion}\0node ${process.versions.node}\0`);
  const add = (rel: string): void => void h.update(`${rel}\0`).update(read(rel) ?? '').update('\0');
  COMMON_KEY_FILES.forEach(add);
  spec.keyFiles.forEach(add);
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

function cacheDirOf(spec: BundleSpec): string {
  return path.join(REPO_ROOT, 'node_modules', '.cache', spec.cacheName);
}

/**
 * build bundles the entry into a temp dir, then renames it into place as
 * <cache>/<hash of what esbuild read> (concurrent builders race safely: the same hash is the
 * same bytes). Returns that folder; the newest inputs are recorded for the next process.
 */
function build(spec: BundleSpec): string {
  const cacheDir = cacheDirOf(spec);
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir, 'build.tmp-'));
  try {
    const result = buildSync({
      absWorkingDir: REPO_ROOT,
      entryPoints: [spec.entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      sourcemap: true,
      logLevel: 'silent',
      ...spec.options(tmp),
      metafile: true,
    });
    if (!fs.existsSync(path.join(tmp, spec.outName))) throw new Error(`bundle ${spec.cacheName}: esbuild wrote no ${spec.outName}`);
    const inputs = Object.keys(result.metafile.inputs).filter((rel) => !rel.startsWith('node_modules/')).sort();
    if (!inputs.includes(spec.entry)) throw new Error(`bundle ${spec.cacheName}: esbuild's inputs lack ${spec.entry}: ${inputs.join(', ')}`);
    const text = JSON.stringify(inputs);
    fs.writeFileSync(path.join(tmp, INPUTS_FILE), text);
    const dir = path.join(cacheDir, bundleHash(spec, inputs));
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      // Another process built the same hash first: its bundle is the same bytes.
      if (!fs.existsSync(path.join(dir, spec.outName))) throw err;
    }
    writeAtomically(path.join(cacheDir, INPUTS_FILE), text);
    return dir;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Bundle: a bundle's folder, its entry's file, and the repository files it was built from. */
export interface Bundle {
  dir: string;
  file: string;
  inputs: readonly string[];
}

const cached = new Map<string, Bundle>();

/**
 * cachedBundle: the bundle of `spec`, built now if its sources changed since the last build.
 * Hashed once a process: sources do not change under a running test or run.
 */
export function cachedBundle(spec: BundleSpec): Bundle {
  let bundle = cached.get(spec.cacheName);
  if (bundle === undefined) {
    const cacheDir = cacheDirOf(spec);
    const lastInputs = readInputs(path.join(cacheDir, INPUTS_FILE));
    const last = lastInputs === null ? null : path.join(cacheDir, bundleHash(spec, lastInputs));
    const dir = last !== null && fs.existsSync(path.join(last, spec.outName)) ? last : build(spec);
    const inputs = readInputs(path.join(dir, INPUTS_FILE));
    if (inputs === null) throw new Error(`bundle ${spec.cacheName}: ${dir} has no ${INPUTS_FILE}`);
    bundle = { dir, file: path.join(dir, spec.outName), inputs };
    cached.set(spec.cacheName, bundle);
  }
  return bundle;
}
