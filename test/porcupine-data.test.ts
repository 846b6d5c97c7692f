// test/porcupine-data.test.ts — the checker agrees with Porcupine's verdicts on Porcupine's own data.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLinearizable, type CheckOptions } from '../checker/linearizable/index.ts';
import { getModel } from '../checker/models/index.ts';
import { readHistory } from '../history/read.ts';
import { sharedTestdata } from './support/shared-testdata.ts';

const data = sharedTestdata('porcupine');
const dataDir = data.dir;
const present = data.present;

interface Expectation {
  file: string;
  linearizable: boolean;
  ops: number;
}

function expectations(): Expectation[] {
  return data.rows().map((row) => {
    const [file, , expected, ops] = row;
    return { file, linearizable: expected === 'linearizable', ops: Number(ops) };
  });
}

// Porcupine tests its unpartitioned kv model on c01 and c10 only (c50 does not finish there):
// the whole-map search (partition: false) runs there; kv-unpartitioned split by key runs on all.
function modelsFor(file: string): [string, CheckOptions][] {
  if (file.startsWith('jepsen/')) return [['etcd', {}]];
  const split: [string, CheckOptions][] = [['kv', {}], ['kv-unpartitioned', {}]];
  return /c(01|10)-/.test(file) ? [...split, ['kv-unpartitioned', { partition: false }]] : split;
}

describe('Porcupine test data', () => {
  it('is present (required on CI)', () => data.checkPresence());

  it.runIf(present)('every file gets its expected verdict', async () => {
    const mismatches: string[] = [];
    const rows = expectations();
    expect(rows.length).toBe(109);
    for (const row of rows) {
      const history = await readHistory(path.join(dataDir, row.file));
      const invokes = history.filter((op) => op.type === 'invoke').length;
      expect(invokes, row.file).toBe(row.ops);
      for (const [name, options] of modelsFor(row.file)) {
        const result = await checkLinearizable(history, getModel(name), { timeoutMs: 20_000, ...options });
        const how = options.partition === false ? ' (whole map)' : '';
        if (result.valid !== row.linearizable) mismatches.push(`${row.file} ${name}${how}: got ${result.valid}`);
        if (result.valid === false) expect(result.failures.length, row.file).toBe(1);
      }
    }
    expect(mismatches).toEqual([]);
  });
});
