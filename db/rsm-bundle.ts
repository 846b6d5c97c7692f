// db/rsm-bundle.ts — the rsm node program as one prebuilt JavaScript file, rebuilt only when its sources change.
//
// Starting a node through tsx transpiles every module it loads (~0.5–0.8 CPU-s a start, and a
// run starts many). esbuild bundles rsm/node/main.ts with what it imports (rsm/, lib/, the npm
// packages) into one ESM file that plain `node` runs, cached by db/bundle-cache.ts; local
// nodes, docker images and ssh hosts all run this same file.
import * as path from 'node:path';
import { bundleHash as specHash, cachedBundle, type Bundle, type BundleSpec, type ReadSource } from './bundle-cache.ts';

export type { ReadSource } from './bundle-cache.ts';

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

const RSM_NODE_SPEC: BundleSpec = {
  cacheName: 'splitbrain-rsm-node',
  entry: 'rsm/node/main.ts',
  outName: BUNDLE_NAME,
  keyFiles: ['db/rsm-bundle.ts'],
  // Everything in one file, the npm packages included: a docker image or ssh host gets just this file.
  options: (outDir) => ({ outfile: path.join(outDir, BUNDLE_NAME), banner: { js: ESM_REQUIRE } }),
};

/** bundleHash: the cache key of the node bundle built from `inputs` (db/bundle-cache.ts). */
export function bundleHash(inputs: readonly string[], read?: ReadSource): string {
  return specHash(RSM_NODE_SPEC, inputs, read);
}

/**
 * rsmNodeBundle: the bundle's folder and file (`<dir>/rsm/node/main.mjs`, its `.map` beside it)
 * and the repository files it was built from, built now if those changed since the last build.
 */
export function rsmNodeBundle(): Bundle {
  return cachedBundle(RSM_NODE_SPEC);
}

/** RSM_NODE_FLAGS: node's own flags for the bundle — stack traces name the .ts sources. */
export const RSM_NODE_FLAGS: readonly string[] = ['--enable-source-maps'];
