// checker/linearizable/worker-bootstrap.mjs — start a worker thread on a TypeScript entry via tsx.
import { workerData } from 'node:worker_threads';

// A worker cannot load .ts by itself; tsx's loader is registered only when the entry needs it.
if (String(workerData.entry).endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
