// control/store.ts — the store: store/<test-name>/<timestamp>/ with test.json, history, results, logs.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './files.ts';

/** RUN_DIR_ATTEMPTS_MAX bounds the suffixes tried when two runs start in the same millisecond. */
const RUN_DIR_ATTEMPTS_MAX = 1000;

/** LATEST_LINK: the name of the link to the newest run, in the store and in each test's dir. */
export const LATEST_LINK = 'latest';

/**
 * TEST_NAME_EXPECTED says what isTestName accepts: a test name is one path segment inside the
 * store, so it starts with a letter or digit (no ".", "..", hidden or flag-like names), has no
 * separator, and is not the store's own `latest` link.
 */
export const TEST_NAME_EXPECTED = 'a name of letters, digits and ._+- that starts with a letter or digit, at most 100, not "latest"';

/** isTestName: whether `name` can name a test directory inside the store (TEST_NAME_EXPECTED). */
export function isTestName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/.test(name) && name !== LATEST_LINK;
}

/** timestampName renders a time as Jepsen does in its store: 20261122T000205.123Z. */
export function timestampName(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '');
}

/** RunDir: the files of one run. */
export interface RunDir {
  root: string;
  testName: string;
  dir: string;
  testJson: string;
  historyJsonl: string;
  resultsJson: string;
  /** Each node's view of who leads over time (control/runner/roles.ts), for the report's roles lane. */
  rolesJsonl: string;
  logsDir: string;
}

/** runFiles names the files of the run directory `dir`. */
export function runFiles(root: string, testName: string, dir: string): RunDir {
  return {
    root,
    testName,
    dir,
    testJson: path.join(dir, 'test.json'),
    historyJsonl: path.join(dir, 'history.jsonl'),
    resultsJson: path.join(dir, 'results.json'),
    rolesJsonl: path.join(dir, 'roles.jsonl'),
    logsDir: path.join(dir, 'logs'),
  };
}

/**
 * createRunDir makes store/<testName>/<timestamp>/ (with a -2, -3 ... suffix if it exists).
 * The `latest` links are the caller's to move (updateLatest) once the run has its test.json,
 * so `latest` never points at a run that could not even be described.
 */
export async function createRunDir(root: string, testName: string, now: Date = new Date()): Promise<RunDir> {
  if (!isTestName(testName)) throw new Error(`createRunDir: bad test name ${JSON.stringify(testName)}: expected ${TEST_NAME_EXPECTED}`);
  const testDir = path.join(root, testName);
  await mkdir(testDir, { recursive: true });
  const base = timestampName(now);
  for (let attempt = 1; attempt <= RUN_DIR_ATTEMPTS_MAX; attempt += 1) {
    const dir = path.join(testDir, attempt === 1 ? base : `${base}-${attempt}`);
    try {
      await mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    const run = runFiles(root, testName, dir);
    await mkdir(run.logsDir);
    return run;
  }
  throw new Error(`createRunDir: ${RUN_DIR_ATTEMPTS_MAX} runs of ${testName} at ${base}`);
}

/**
 * updateLatest points store/<test>/latest at the run and store/latest at store/<test>/<run>.
 * Links are relative (the store can be moved) and replaced atomically by rename.
 */
export async function updateLatest(run: RunDir): Promise<void> {
  const testDir = path.join(run.root, run.testName);
  await replaceSymlink(path.basename(run.dir), path.join(testDir, LATEST_LINK));
  await replaceSymlink(path.join(run.testName, path.basename(run.dir)), path.join(run.root, LATEST_LINK));
}

async function replaceSymlink(target: string, linkPath: string): Promise<void> {
  const temp = `${linkPath}.tmp-${process.pid}`;
  await rm(temp, { force: true });
  await symlink(target, temp);
  await rename(temp, linkPath);
}

/**
 * writeJson writes a JSON file atomically (temp + rename: never torn or empty, even on a full
 * disk); Infinity, which JSON lacks, becomes null.
 */
export async function writeJson(file: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value, (_k, v: unknown) => (v === Infinity || v === -Infinity ? null : v), 2);
  await writeFileAtomic(file, `${text}\n`);
}

/** splitbrainVersion reads the version from package.json (unknown if it cannot). */
export function splitbrainVersion(): string {
  const file = new URL('../package.json', import.meta.url);
  if (!existsSync(file)) return 'unknown';
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
