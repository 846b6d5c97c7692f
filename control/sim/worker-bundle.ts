// control/sim/worker-bundle.ts — a sweep's worker thread as prebuilt JavaScript (db/bundle-cache.ts), not through tsx.
//
// Measured on raft/register/partition+kill 30 s runs: tsx costs a worker ~0.7–1 CPU-s of
// transpiling at start, and its keepNames transform wraps each closure the simulator makes per
// event (a packet's arrival, a timer) in an Object.defineProperty call — ~15% of a run's CPU.
import { cachedBundle, type Bundle, type BundleSpec } from '../../db/bundle-cache.ts';

/** WORKER_OUT_NAME: the worker entry inside its bundle's folder. */
const WORKER_OUT_NAME = 'control/sim/sweep-worker.mjs';

const SIM_WORKER_SPEC: BundleSpec = {
  cacheName: 'splitbrain-sim-worker',
  entry: 'control/sim/sweep-worker.ts',
  outName: WORKER_OUT_NAME,
  keyFiles: ['control/sim/worker-bundle.ts'],
  // npm packages stay external (node_modules is found by walking up from the cache), and each
  // dynamic import is its own chunk, so the real backends and their packages (dockerode, ssh2,
  // pg, ...) are loaded only if imported, as unbundled: a sim worker never loads them.
  options: (outDir) => ({
    outdir: outDir,
    outbase: '.',
    splitting: true,
    packages: 'external',
    entryNames: '[dir]/[name]',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
  }),
};

/** simWorkerBundle: the sweep worker's bundle, built now if its sources changed. */
export function simWorkerBundle(): Bundle {
  return cachedBundle(SIM_WORKER_SPEC);
}
