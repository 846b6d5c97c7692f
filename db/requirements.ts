// db/requirements.ts — finding a Db's executables on this machine, and the one-line error when one is missing.
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Executable: a program a Db runs. `candidates` are absolute paths or bare names looked up in
 * PATH; the environment variable `envVar` (default SPLITBRAIN_<NAME>_BIN), when set, replaces
 * them (a user's own build, or a test pointing at a path that does not exist).
 */
export interface Executable {
  name: string;
  candidates: readonly string[];
  /** How to get it, e.g. "apt-get install etcd-server". */
  install: string;
  envVar?: string;
}

/** envVarOf: the variable that overrides where an executable is. */
export function envVarOf(exe: Executable): string {
  return exe.envVar ?? `SPLITBRAIN_${exe.name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_BIN`;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** searchPlaces: where a candidate may be (itself when absolute, else each PATH entry). */
function searchPlaces(candidate: string): string[] {
  if (path.isAbsolute(candidate)) return [candidate];
  return (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '').map((d) => path.join(d, candidate));
}

/** findExecutable: the absolute path of the first candidate that exists and is executable, or null. */
export function findExecutable(exe: Executable): string | null {
  const override = process.env[envVarOf(exe)];
  const candidates = override !== undefined && override !== '' ? [override] : exe.candidates;
  for (const candidate of candidates) {
    const found = searchPlaces(candidate).find(isExecutable);
    if (found !== undefined) return found;
  }
  return null;
}

/** missingExecutable: one line naming the missing executable, where it was looked for and how to get it; null when found. */
export function missingExecutable(db: string, exe: Executable): string | null {
  if (findExecutable(exe) !== null) return null;
  const override = process.env[envVarOf(exe)];
  const looked = override !== undefined && override !== '' ? `${override} (from ${envVarOf(exe)})` : `${exe.candidates.join(', ')}; or set ${envVarOf(exe)}`;
  return `--db ${db}: ${exe.name} not found (looked at ${looked}); install it: ${exe.install}`;
}

/** requireExecutable: the executable's path, or throws the missingExecutable line. */
export function requireExecutable(db: string, exe: Executable): string {
  const found = findExecutable(exe);
  if (found === null) throw new Error(missingExecutable(db, exe)!);
  return found;
}
