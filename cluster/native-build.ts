// cluster/native-build.ts — builds one of the project's C programs (native/<name>) when its binary is missing or stale.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const NATIVE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'native');

/** nativeBinary: where `make -C native/<name>` puts program `binary`. */
export function nativeBinary(name: string, binary: string): string {
  return path.join(NATIVE_DIR, name, 'build', binary);
}

/**
 * ensureNativeBinary runs `make -C native/<name>` when the binary is missing or older than a
 * source, and returns its path; a failed build throws naming `setupScript`, which installs
 * what the program needs (`needs`).
 */
export function ensureNativeBinary(name: string, binary: string, setupScript: string, needs: string): string {
  const source = path.join(NATIVE_DIR, name);
  const out = nativeBinary(name, binary);
  const built = fs.existsSync(out) ? fs.statSync(out).mtimeMs : 0;
  const sources = fs.readdirSync(source).filter((f) => /\.(c|h)$|^Makefile$/.test(f));
  if (sources.every((f) => fs.statSync(path.join(source, f)).mtimeMs <= built)) return out;
  const make = spawnSync('make', ['-s', '-C', source], { encoding: 'utf8' });
  if (make.error !== undefined || make.status !== 0) {
    const why = make.error?.message ?? make.stderr.trim().split('\n').slice(-3).join(' / ');
    throw new Error(`${binary}: building native/${name} failed (${why}); run ${setupScript}, which installs ${needs}`);
  }
  return out;
}

/** nfqShaperBinary builds native/nfq-shaper if needed (docker images and ssh hosts get it); null when it cannot be built here. */
export function nfqShaperBinary(): string | null {
  try {
    return ensureNativeBinary('nfq-shaper', 'nfq-shaper', 'scripts/build-nfq-shaper.sh', 'libnetfilter-queue-dev, gcc, make and pkg-config');
  } catch {
    return null;
  }
}

/** NFQ_SHAPER_HOST_PACKAGES: what a machine needs to run the shaper built here (its shared library; ldd pulls the rest). */
export const NFQ_SHAPER_HOST_PACKAGES = ['libnetfilter-queue1'] as const;
