// db/redis-sentinel/binaries.ts — find redis-server and redis-sentinel on the control node, or say which package is missing.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** RedisBinaries: absolute paths of the two programs a node runs. */
export interface RedisBinaries {
  server: string;
  sentinel: string;
}

/** PACKAGES: the Debian package of each program (Debian splits them; redis-tools holds the shared binary). */
const PACKAGES = { server: 'redis-server', sentinel: 'redis-sentinel' } as const;

/** findOnPath returns the first executable `name` in `searchPath` (a PATH string), or null. */
export function findOnPath(name: string, searchPath = process.env.PATH ?? ''): string | null {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** missingBinaries: one line naming the missing programs and the packages that install them; null when both are there. */
export function missingBinaries(searchPath = process.env.PATH ?? ''): string | null {
  const missing = (Object.keys(PACKAGES) as Array<keyof typeof PACKAGES>).filter((k) => findOnPath(`redis-${k}`, searchPath) === null);
  if (missing.length === 0) return null;
  const names = missing.map((k) => `redis-${k}`).join(' and ');
  const pkgs = missing.map((k) => PACKAGES[k]).join(' ');
  return `--db redis-sentinel: ${names} not found on PATH; install ${missing.length > 1 ? 'them' : 'it'} with \`apt-get install ${pkgs}\` (or run scripts/redis-setup.sh)`;
}

/** requireRedisBinaries returns both programs or throws missingBinaries' line (checked before anything starts). */
export function requireRedisBinaries(searchPath = process.env.PATH ?? ''): RedisBinaries {
  const missing = missingBinaries(searchPath);
  if (missing !== null) throw new Error(missing);
  // Not realpath: the one binary behind both names picks its mode from the name it runs as.
  return { server: findOnPath('redis-server', searchPath)!, sentinel: findOnPath('redis-sentinel', searchPath)! };
}
