// history/operation-table.test.ts — rows settle into exactly the operations the pairing defines.
import { describe, expect, it } from 'vitest';
import type { Op, Operation } from './op.ts';
import { OperationTable } from './operation-table.ts';

const invoke = (index: number, extra: Partial<Op> = {}): Op => ({ index, type: 'invoke', process: index % 3, f: 'write', value: index, ...extra });
const ok = (index: number, extra: Partial<Op> = {}): Op => ({ index, type: 'ok', process: 0, f: 'write', value: `v${index}`, ...extra });

describe('OperationTable', () => {
  it('keeps ok and info rows in invoke order, drops the rest, and numbers them from 0', () => {
    const table = new OperationTable();
    const a = table.openRow(invoke(0, { time: 10, key: 'k' }));
    const b = table.openRow(invoke(1));
    const c = table.openRow(invoke(2, { value: [1, 2] }));
    table.closeOk(a, ok(5, { time: 50 }));
    table.drop(b);
    table.closeInfo(c);
    table.compact();
    expect(table.count).toBe(2);
    expect(table.operations()).toStrictEqual([
      expect.objectContaining({ id: 0, process: 0, f: 'write', key: 'k', input: 0, output: 'v5', outcome: 'ok', invokeIndex: 0, returnIndex: 5, invokeTime: 10, returnTime: 50 }),
      expect.objectContaining({ id: 1, process: 2, f: 'write', input: [1, 2], output: undefined, outcome: 'info', invokeIndex: 2, returnIndex: Infinity }),
    ]);
    const info = table.operation(1);
    // Absent fields are absent, as when the pairer built objects: no key, no times.
    expect(Object.keys(info)).not.toContain('key');
    expect(Object.keys(info)).not.toContain('invokeTime');
    expect(Object.keys(info)).not.toContain('returnTime');
  });

  it('fills a scratch operation with what operation() builds', () => {
    const table = new OperationTable();
    for (let i = 0; i < 3000; i++) {
      const row = table.openRow(invoke(2 * i, { time: 2 ** 40 + i, key: i % 7 }));
      if (i % 3 === 0) table.drop(row);
      else if (i % 3 === 1) table.closeOk(row, ok(2 * i + 1, { time: 2 ** 40 + i + 1 }));
      else table.closeInfo(row);
    }
    table.compact();
    expect(table.count).toBe(2000);
    const scratch = table.operation(0);
    for (const row of [0, 1, 999, 1999]) {
      table.fill(row, scratch);
      const defined = (op: Operation): Partial<Operation> => Object.fromEntries(Object.entries(op).filter(([, v]) => v !== undefined));
      const built = table.operation(row);
      expect(defined(scratch)).toStrictEqual(defined(built));
      expect(table.keyAt(row)).toBe(built.key);
    }
  });

  it('refuses to settle a row twice, to compact an open row, and to be read before compact', () => {
    const table = new OperationTable();
    const row = table.openRow(invoke(0));
    expect(() => table.operation(row)).toThrow(/before compact/);
    expect(() => table.compact()).toThrow(/still open/);
    const fresh = new OperationTable();
    const only = fresh.openRow(invoke(0));
    fresh.drop(only);
    expect(() => fresh.closeInfo(only)).toThrow(/not open/);
    fresh.compact();
    expect(fresh.count).toBe(0);
    expect(() => fresh.openRow(invoke(1))).toThrow(/after compact/);
  });
});
