// control/runner/signals.ts — turn SIGINT/SIGTERM into an abort, so a run tears down before exiting.
import { EXIT_UNKNOWN } from '../exit-codes.ts';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** REPEAT_SIGNAL_MS_MIN: a second signal sooner than this is the same keypress relayed. */
const REPEAT_SIGNAL_MS_MIN = 1000;

/**
 * withTerminationAbort runs `body` with a signal that aborts on the first SIGINT or SIGTERM;
 * the run then ends its phase, tears the cluster down and returns. A second signal means the
 * user gave up waiting: exit at once (child processes get their own exit hooks in cluster/).
 */
export async function withTerminationAbort<T>(body: (signal: AbortSignal) => Promise<T>, log: (line: string) => void): Promise<T> {
  const controller = new AbortController();
  let firstMs = 0;
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      // Ctrl-C reaches every process of the foreground group and tsx relays it too, so one
      // keypress can arrive twice: only a signal well after the first means "give up".
      if (performance.now() - firstMs < REPEAT_SIGNAL_MS_MIN) return;
      log(`${name} again: exiting without waiting for cleanup`);
      process.exit(EXIT_UNKNOWN);
    }
    firstMs = performance.now();
    log(`${name}: stopping the run, tearing the cluster down`);
    controller.abort();
  };
  for (const name of SIGNALS) process.on(name, onSignal);
  try {
    return await body(controller.signal);
  } finally {
    for (const name of SIGNALS) process.off(name, onSignal);
  }
}
