// cluster/local/faketime.ts — run a process under libfaketime with an offset file we rewrite.
//
// libfaketime (Debian package `faketime`) is preloaded into the node; it reads the offset
// from FAKETIME_TIMESTAMP_FILE on every call (FAKETIME_NO_CACHE=1), so rewriting the file
// skews the running process at once. Only the wall clock is faked: Node aborts when
// CLOCK_MONOTONIC goes backwards, hence FAKETIME_DONT_FAKE_MONOTONIC=1.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** LIBFAKETIME_PATHS: where distributions install the library. */
export const LIBFAKETIME_PATHS: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
  '/usr/local/lib/faketime/libfaketime.so.1',
  '/usr/lib64/faketime/libfaketime.so.1',
];

/** findLibfaketime returns the library path, or null when it is not installed. */
export function findLibfaketime(): string | null {
  const fromEnv = process.env.SPLITBRAIN_LIBFAKETIME;
  if (fromEnv !== undefined && fromEnv !== '') return fs.existsSync(fromEnv) ? fromEnv : null;
  return LIBFAKETIME_PATHS.find((p) => fs.existsSync(p)) ?? null;
}

/** requireLibfaketime returns the library path or throws saying how to install it. */
export function requireLibfaketime(): string {
  const lib = findLibfaketime();
  if (lib === null) {
    throw new Error(
      'clock skew needs libfaketime, which is not installed: run `apt-get install faketime` ' +
        `(looked in ${LIBFAKETIME_PATHS.join(', ')}; or set SPLITBRAIN_LIBFAKETIME to the .so path)`,
    );
  }
  return lib;
}

/** formatOffset renders ms as libfaketime's relative offset: signed seconds, e.g. "+0.500". */
export function formatOffset(offsetMs: number): string {
  if (!Number.isFinite(offsetMs)) throw new Error(`formatOffset: offset must be finite, got ${offsetMs}`);
  const sign = offsetMs < 0 ? '-' : '+';
  return `${sign}${(Math.abs(offsetMs) / 1000).toFixed(3)}`;
}

/** writeOffsetFile replaces the offset atomically (rename), so a reader never sees half a line. */
export function writeOffsetFile(file: string, offsetMs: number): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, `${formatOffset(offsetMs)}\n`);
  fs.renameSync(tmp, file);
}

/** faketimeEnv is the environment that puts a process under libfaketime reading `file`. */
export function faketimeEnv(lib: string, file: string): Record<string, string> {
  return {
    LD_PRELOAD: lib,
    FAKETIME_TIMESTAMP_FILE: file,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
    // The offset uses '.' as the fraction delimiter, which depends on the locale.
    LC_ALL: 'C',
  };
}
