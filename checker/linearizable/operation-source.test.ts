// checker/linearizable/operation-source.test.ts — a table is partitioned and input-checked as its operations are.
import { describe, expect, it } from 'vitest';
import type { Op } from '../../history/op.ts';
import { toOperations } from '../../history/pair.ts';
import { getModel } from '../models/index.ts';
import { partitionByKey } from '../models/values.ts';
import { operationsOf } from './interleave.ts';
import { arraySource, tableSource } from './operation-source.ts';

function history(count: number): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < count; i++) {
    const process = i % 4;
    const key = i % 5 === 0 ? undefined : `k${i % 3}`;
    ops.push({ index: 2 * i, type: 'invoke', process, f: i % 2 === 0 ? 'write' : 'read', key, value: i % 2 === 0 ? i : null });
    ops.push({ index: 2 * i + 1, type: i % 7 === 0 ? 'info' : 'ok', process, f: i % 2 === 0 ? 'write' : 'read', key, value: i });
  }
  return ops;
}

describe('tableSource', () => {
  it('splits by the key column into partitionByKey\'s groups, in the same order', () => {
    const paired = toOperations(history(200));
    const model = getModel('multi-register');
    const fromTable = tableSource(paired.table).partitions(model, true).map(operationsOf);
    expect(fromTable).toStrictEqual(partitionByKey(paired.operations));
    expect(fromTable.length).toBe(4);
    expect(tableSource(paired.table).partitions(model, false).map(operationsOf)).toStrictEqual([paired.operations]);
  });

  it('reports the first op the model cannot step, like the array source', () => {
    const ops = history(40);
    ops[21] = { ...ops[21], f: 'frob' };
    ops[20] = { ...ops[20], f: 'frob' };
    const paired = toOperations(ops);
    const model = getModel('multi-register');
    const fromArray = (() => { try { arraySource(paired.operations).checkInputs(model); } catch (e) { return e; } })();
    const fromTable = (() => { try { tableSource(paired.table).checkInputs(model); } catch (e) { return e; } })();
    expect(fromTable).toBeInstanceOf(Error);
    expect(fromTable).toStrictEqual(fromArray);
    expect((fromTable as Error).message).toMatch(/history index 20/);
  });
});
