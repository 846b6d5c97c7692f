// control/files.ts — files named by flags: check them before the work, write them atomically.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './exit-codes.ts';

const FS_ERROR_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EIO: 'input/output error',
};

/** fsErrorText names a file system error in words ("read-only file system"), for one-line errors. */
export function fsErrorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && FS_ERROR_TEXT[code] !== undefined) return FS_ERROR_TEXT[code];
  return error instanceof Error ? error.message : String(error);
}

/** isFsError: an error from the operating system about a file (it has an errno code). */
export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string'
    && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * checkWritableFile throws a UsageError naming `flag` unless `file` can be written: its
 * directory exists and is writable (a read-only file system counts), and the file, if it
 * exists, is a writable regular file. Called before the work whose result goes there.
 */
export function checkWritableFile(flag: string, file: string): void {
  const dir = path.dirname(path.resolve(file));
  const fail = (why: string): never => {
    throw new UsageError(`${flag} ${file}: expected a writable file: ${why}`);
  };
  if (!existsSync(dir)) fail(`directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) fail(`${dir} is not a directory`);
  const exists = existsSync(file);
  if (exists && !statSync(file).isFile()) fail('it exists and is not a regular file');
  try {
    accessSync(exists ? file : dir, constants.W_OK);
  } catch (error) {
    fail(fsErrorText(error));
  }
}

/**
 * checkWritableDir throws a UsageError naming `flag` unless `dir` is (or can be created as) a
 * writable directory: the nearest part of it that exists must be a writable directory.
 */
export function checkWritableDir(flag: string, dir: string): void {
  const fail = (why: string): never => {
    throw new UsageError(`${flag} ${dir}: expected a writable directory: ${why}`);
  };
  let existing = path.resolve(dir);
  while (!existsSync(existing)) existing = path.dirname(existing);
  if (!statSync(existing).isDirectory()) fail(existing === path.resolve(dir) ? 'it is not a directory' : `${existing} is not a directory`);
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (error) {
    fail(fsErrorText(error));
  }
}

/** checkReadableDir throws a UsageError naming `flag` unless `dir` is an existing, readable directory. */
export function checkReadableDir(flag: string, dir: string): void {
  const fail = (why: string): never => {
    throw new UsageError(`${flag} ${dir}: expected a readable directory: ${why}`);
  };
  if (!existsSync(dir)) fail('it does not exist');
  if (!statSync(dir).isDirectory()) fail('it is not a directory');
  try {
    accessSync(dir, constants.R_OK | constants.X_OK);
  } catch (error) {
    fail(fsErrorText(error));
  }
}

/**
 * writeFileAtomic writes `text` to a temp file beside `file` and renames it over `file`, so a
 * reader (or a crash, or a full disk) sees the old content or the new, never a torn or empty
 * file. On failure the temp file is removed and the error rethrown.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${Date.now()}`);
  try {
    await writeFile(temp, text);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * writeFlagFile writes the file a flag named (atomically); a failure is one line naming the
 * flag and why (a disk that filled since checkWritableFile), not a stack trace.
 */
export async function writeFlagFile(flag: string, file: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(file, text);
  } catch (error) {
    if (!isFsError(error)) throw error;
    throw new OutputError(`${flag} ${file}: not written: ${fsErrorText(error)}`);
  }
}

/**
 * OutputError: a result could not be written (the disk filled, the file system went away).
 * One line, exit 2: the work was done but its result is lost, which is not bad input.
 */
export class OutputError extends Error {
  override name = 'OutputError';
}
