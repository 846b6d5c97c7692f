// history/located.test.ts — errors found after reading (pairing, a checker's input) name the op's own line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryInputError, HistoryParseError } from './errors.ts';
import { locateError, readLocatedOperations } from './located.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-located-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function historyFile(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

// Indexes jump (10, 20, …) and blank lines sit between ops, so neither lines nor indexes count up by one throughout.
const op = (index: number, type: string, process: number, f = 'write'): string => JSON.stringify({ index, type, process, f, value: 1 });

describe('readLocatedOperations', () => {
  it('names the line of a completion that closes nothing, past blank lines', async () => {
    const file = historyFile('unpaired.jsonl', [op(10, 'invoke', 0), '', op(20, 'ok', 0), '', '', op(30, 'ok', 1)]);
    const error = await readLocatedOperations(file, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HistoryParseError);
    expect((error as HistoryParseError).message).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}:6: expected an invoke by process 1`));
  });

  it('locates a later input error by its history index', async () => {
    const lines = [op(0, 'invoke', 0), op(1, 'ok', 0)];
    for (let i = 0; i < 100; i++) lines.push('', op(10 * i + 100, 'invoke', 1), op(10 * i + 105, 'ok', 1));
    const file = historyFile('many.jsonl', lines);
    const { locator } = await readLocatedOperations(file, file);
    const located = locateError(new HistoryInputError({ index: 595, detail: 'd', expected: 'a value', got: 'x' }), locator);
    // index 595 is the ok of op i = 49: line 2 + 3·49 + 3.
    expect((located as HistoryParseError).message).toBe(`${file}:152: expected a value, got x`);
    expect(locateError(new HistoryInputError({ index: 596, detail: 'd', expected: 'e', got: 'g' }), locator)).toBeInstanceOf(HistoryInputError);
  });
});
