// bench/porcupine.ts — build and time Porcupine beside us, when a checkout and Go are at hand.
//
// Porcupine's code never enters the repo: a checkout lives outside it (`--porcupine DIR`,
// $PORCUPINE_DIR, or ../peer/porcupine beside the repo). Our Go harness
// (bench/porcupine/harness_test.go) is compiled into that package with `go test -c -overlay`,
// so nothing is written into the checkout; the test binary goes to a temp dir we remove.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * KNOWN_SOURCES names a checkout by the sha256 of checker.go, model.go, porcupine.go and
 * porcupine_test.go concatenated (the harness uses the test file's parsers and models).
 * v1.3.0 was verified against the tag in github.com/anishathalye/porcupine.
 */
const KNOWN_SOURCES: Record<string, string> = {
  '43d9c0b242171ef9c61a393d9a8d8fe146f1216f67193fb23d52e1a2200feefd': 'Porcupine v1.3.0 (55508eb, 2026-06-26)',
};
const SOURCE_FILES = ['checker.go', 'model.go', 'porcupine.go', 'porcupine_test.go'];
const HARNESS = path.join(path.dirname(new URL(import.meta.url).pathname), 'porcupine', 'harness_test.go');

/** PorcupineBuild is a compiled harness binary and what it was built from. */
export interface PorcupineBuild {
  version: string;
  go: string;
  binary: string;
  /** dispose removes the temp dir holding the binary. */
  dispose: () => void;
}

/** PorcupineTiming is one family's times as the harness printed them. */
export interface PorcupineTiming {
  timesMs: number[];
  verdicts: string[];
}

/** porcupineDir picks the checkout: the flag, then $PORCUPINE_DIR, then ../peer/porcupine. */
export function porcupineDir(repoRoot: string, flag: string | undefined): string {
  return flag ?? process.env.PORCUPINE_DIR ?? path.resolve(repoRoot, '..', 'peer', 'porcupine');
}

/** buildPorcupine compiles the harness into the checkout's package, or says why it cannot. */
export function buildPorcupine(dir: string): PorcupineBuild | string {
  const missing = SOURCE_FILES.find((file) => !existsSync(path.join(dir, file)));
  if (missing !== undefined) return `no Porcupine checkout at ${dir} (${missing} missing)`;
  let go: string;
  try {
    go = execFileSync('go', ['version'], { encoding: 'utf8' }).trim().split(' ')[2] ?? 'go';
  } catch {
    return 'no go toolchain on PATH';
  }
  const digest = createHash('sha256');
  for (const file of SOURCE_FILES) digest.update(readFileSync(path.join(dir, file)));
  const sha = digest.digest('hex');
  const version = KNOWN_SOURCES[sha] ?? `Porcupine (unknown version; sources sha256 ${sha.slice(0, 12)})`;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-porcupine-'));
  const dispose = (): void => rmSync(tmp, { recursive: true, force: true });
  const overlay = path.join(tmp, 'overlay.json');
  const target = path.join(path.resolve(dir), 'zz_splitbrain_harness_test.go');
  writeFileSync(overlay, JSON.stringify({ Replace: { [target]: HARNESS } }));
  const binary = path.join(tmp, 'porcupine.test');
  try {
    // vet off: vet reads the overlaid file from disk, where it does not exist.
    execFileSync('go', ['test', '-c', '-vet=off', '-overlay', overlay, '-o', binary, '.'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    dispose();
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim().split('\n')[0] ?? String(error);
    return `go test -c failed in ${dir}: ${stderr}`;
  }
  return { version, go, binary, dispose };
}

/** timePorcupine runs one family in the harness; undefined when Porcupine has no counterpart. */
export function timePorcupine(
  build: PorcupineBuild,
  family: string,
  opts: { dataDir: string; runs: number; timeoutMs: number },
): PorcupineTiming | undefined {
  const out = execFileSync(build.binary, ['-test.run', '^TestSplitbrainHarness$', '-test.v'], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    env: { ...process.env, PORCUPINE_DATA: opts.dataDir, FAMILY: family, RUNS: String(opts.runs), TIMEOUT_MS: String(opts.timeoutMs) },
  });
  const line = out.split('\n').find((l) => l.startsWith('HARNESS '));
  if (line === undefined) return undefined;
  const parsed = JSON.parse(line.slice('HARNESS '.length)) as { timesMs: number[]; verdicts: string[] };
  return { timesMs: parsed.timesMs, verdicts: parsed.verdicts };
}
