// cluster/cleanup.ts — a process-wide registry of cleanups run on exit, SIGINT and SIGTERM.
//
// Anything that starts processes, opens ports or creates temp dirs registers here, so a run
// that is interrupted or throws still leaves nothing behind. Each entry has an async part (run
// on signals, with a deadline) and a sync part (the only thing that can run in 'exit').

/** CleanupEntry: how to undo one resource. `sync` must be safe after `run` (and twice). */
export interface CleanupEntry {
  name: string;
  /** run undoes the resource properly (graceful stop, close sockets). */
  run: () => Promise<void>;
  /** sync undoes it with synchronous calls only (SIGKILL pids, rmSync dirs) — for 'exit'. */
  sync: () => void;
}

/**
 * SIGNAL_CLEANUP_MS_MAX bounds how long a signal waits for async cleanups before exiting. An
 * interrupted run still stops its clients, saves node logs, tears the cluster down and writes
 * results.json; six redis processes on a loaded machine took longer than 5 s, and the run then
 * ended without its results. A second signal does not wait (see onSignal).
 */
const SIGNAL_CLEANUP_MS_MAX = 15_000;
// DESIGN.md: an interrupted run's verdict is unknown, exit 2 (not the shell's 128+signal).
const EXIT_CODES: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 2, SIGTERM: 2 };

const entries = new Set<CleanupEntry>();
let installed = false;
let signalled = false;

function onExit(): void {
  for (const entry of [...entries]) {
    try {
      entry.sync();
    } catch {
      // 'exit' cannot report anything useful; keep undoing the rest.
    }
  }
}

function onSignal(signal: 'SIGINT' | 'SIGTERM'): void {
  if (signalled) {
    // A second Ctrl-C means "now": the synchronous undo (SIGKILL pids, remove dirs) still runs.
    process.stderr.write(`splitbrain: second ${signal}: stopping now, without waiting for the cleanups\n`);
    onExit();
    process.exit(EXIT_CODES[signal]);
  }
  signalled = true;
  process.stderr.write(`splitbrain: ${signal}: cleaning up ${entries.size} resource(s) (a second ${signal} stops at once)\n`);
  const deadline = new Promise<void>((resolve) => setTimeout(resolve, SIGNAL_CLEANUP_MS_MAX).unref());
  const all = Promise.allSettled([...entries].map((e) => e.run()));
  void Promise.race([all, deadline]).then(() => {
    onExit();
    process.exit(EXIT_CODES[signal]);
  });
}

const sigint = (): void => onSignal('SIGINT');
const sigterm = (): void => onSignal('SIGTERM');

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', onExit);
  process.off('SIGINT', sigint);
  process.off('SIGTERM', sigterm);
}

/**
 * registerCleanup adds an entry and returns its unregister function. Handlers for exit,
 * SIGINT and SIGTERM are installed while at least one entry is registered; on a signal every
 * entry's `run` gets up to 5 s, then `sync` runs and the process exits 2 (unknown, DESIGN.md).
 */
export function registerCleanup(entry: CleanupEntry): () => void {
  entries.add(entry);
  install();
  return () => {
    entries.delete(entry);
    if (entries.size === 0) uninstall();
  };
}

/** pendingCleanups lists the names of registered entries (tests assert it drains to zero). */
export function pendingCleanups(): string[] {
  return [...entries].map((e) => e.name);
}
