// control/sim/sweep-worker.ts — a worker thread of a sweep: simulate the seeds it is sent, one at a time.
import { parentPort } from 'node:worker_threads';
import type { TestOptions } from '../config.ts';
import { simulateSeed } from './run-seed.ts';

/** SeedJob: what the sweep sends for one seed. */
export interface SeedJob {
  opts: TestOptions;
  firstDetection: boolean;
}

const port = parentPort;
if (port === null) throw new Error('sweep-worker.ts must run in a worker thread');
port.on('message', ({ opts, firstDetection }: SeedJob) => {
  simulateSeed(opts, { firstDetection }).then(
    ({ outcome }) => port.postMessage({ type: 'done', outcome }),
    (error: unknown) => port.postMessage({ type: 'threw', seed: opts.seed, message: error instanceof Error ? error.message : String(error) }),
  );
});
