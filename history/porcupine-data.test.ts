// history/porcupine-data.test.ts — every Porcupine test file parses with the expected op count.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Op } from './op.ts';
import { detectFormat, readHistory } from './read.ts';

// The data lives outside the repo (never copied in); SPLITBRAIN_TESTDATA overrides the place.
const TESTDATA = process.env.SPLITBRAIN_TESTDATA ?? '/work/shared/testdata';
const ROOT = join(TESTDATA, 'porcupine');
const EXPECTED = join(ROOT, 'EXPECTED.tsv');

interface Row { file: string; model: string; expected: string; ops: number }

function loadRows(): Row[] {
  const lines = readFileSync(EXPECTED, 'utf8').split('\n').filter((line) => line.trim().length > 0);
  const header = lines[0].split('\t');
  expect(header.slice(0, 4)).toEqual(['file', 'model', 'expected', 'ops']);
  return lines.slice(1).map((line) => {
    const [file, model, expected, ops] = line.split('\t');
    return { file, model, expected, ops: Number(ops) };
  });
}

// checkPairs: every completion follows an outstanding invoke of the same process and f.
function checkPairs(ops: Op[]): void {
  const pending = new Map<Op['process'], string>();
  for (const op of ops) {
    if (op.type === 'invoke') {
      const twice = `process ${op.process} invokes twice (index ${op.index})`;
      expect(pending.has(op.process), twice).toBe(false);
      pending.set(op.process, op.f);
    } else {
      expect(pending.get(op.process), `completion without invoke at index ${op.index}`).toBe(op.f);
      pending.delete(op.process);
    }
  }
}

if (!existsSync(EXPECTED)) {
  const why = `Porcupine test data not found at ${ROOT} (set SPLITBRAIN_TESTDATA)`;
  if (process.env.CI !== undefined) {
    it('has the Porcupine test data', () => { throw new Error(why); });
  } else {
    console.warn(`SKIP porcupine-data.test.ts: ${why}`);
    it.skip(`Porcupine data: ${why}`, () => {});
  }
} else {
  const rows = loadRows();
  describe('Porcupine test data', () => {
    it('lists the 103 etcd logs and 6 kv files', () => {
      expect(rows.filter((row) => row.file.startsWith('jepsen/'))).toHaveLength(103);
      expect(rows.filter((row) => row.file.startsWith('kv/'))).toHaveLength(6);
    });

    it.each(rows)('$file parses with $ops invocations', async ({ file, ops: invokes }) => {
      const path = join(ROOT, file);
      const text = readFileSync(path, 'utf8');
      const lines = text.split('\n').filter((line) => line.trim().length > 0);
      const ops = await readHistory(path);
      expect(ops.filter((op) => op.type === 'invoke')).toHaveLength(invokes);
      // Nothing dropped: every line of these files is one op, numbered in file order.
      expect(ops).toHaveLength(lines.length);
      expect(ops.every((op, i) => op.index === i && op.time === undefined)).toBe(true);
      checkPairs(ops);
      if (lines.length === 0) return;
      expect(await detectFormat(path)).toBe(file.startsWith('kv/') ? 'edn' : 'porcupine-etcd');
      const infoLines = lines.filter((line) => /\s:info\s/.test(line)).length;
      const infos = ops.filter((op) => op.type === 'info');
      expect(infos).toHaveLength(infoLines);
      expect(infos.every((op) => op.error === 'timed-out' && !('value' in op))).toBe(true);
    });
  });
}
