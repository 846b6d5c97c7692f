// test/support/history-files.ts — helpers shared by the history tests: temp files and error checks.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { HistoryParseError } from '../../history/errors.ts';

/** TempFiles writes small inputs into one temp dir that `remove` deletes. */
export interface TempFiles {
  dir: string;
  write(text: string, name?: string): Promise<string>;
  remove(): Promise<void>;
}

/** tempFiles makes a fresh temp dir for one test file. */
export async function tempFiles(): Promise<TempFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'splitbrain-history-'));
  let count = 0;
  return {
    dir,
    async write(text: string, name?: string): Promise<string> {
      count += 1;
      const path = join(dir, name ?? `input-${count}.txt`);
      await writeFile(path, text);
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** collect drains an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * expectParseError asserts `run` rejects with a HistoryParseError for `file` at `line` whose
 * `expected` text contains `expectedPart`; returns the error for further checks.
 */
export async function expectParseError(
  run: () => Promise<unknown>, file: string, line: number, expectedPart: string,
): Promise<HistoryParseError> {
  let caught: unknown;
  try {
    await run();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(HistoryParseError);
  const err = caught as HistoryParseError;
  expect(err.file).toBe(file);
  expect(err.line).toBe(line);
  expect(err.expected).toContain(expectedPart);
  expect(err.message.startsWith(`${file}:${line}: expected `)).toBe(true);
  return err;
}
