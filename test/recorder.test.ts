// test/recorder.test.ts — the recorder's ops: index and time first, fields in order, unset optional fields absent (not undefined).
import { describe, expect, it } from 'vitest';
import type { Op } from '../history/op.ts';
import { Recorder } from '../control/runner/recorder.ts';

describe('Recorder', () => {
  it('leaves unset optional fields out, keeps the rest in order, and a completion carries the invoke value', () => {
    const ops: Op[] = [];
    let nowNs = 0n;
    const r = new Recorder({ append: (op) => ops.push(op) }, () => nowNs);
    r.invoke(0, { f: 'read', key: 'k' }, 'n1');
    nowNs = 5n;
    r.complete(0, { type: 'ok', value: 3 });
    r.invoke(1, { f: 'write', value: 7 });
    r.complete(1, { type: 'info', error: 'timeout' });
    expect(ops.map((op) => Object.keys(op))).toEqual([
      ['index', 'time', 'type', 'process', 'f', 'key', 'node'],
      ['index', 'time', 'type', 'process', 'f', 'key', 'value', 'node'],
      ['index', 'time', 'type', 'process', 'f', 'value'],
      ['index', 'time', 'type', 'process', 'f', 'value', 'error'],
    ]);
    expect(ops[1]).toEqual({ index: 1, time: 5, type: 'ok', process: 0, f: 'read', key: 'k', value: 3, node: 'n1' });
    expect(ops[3]).toEqual({ index: 3, time: 5, type: 'info', process: 1, f: 'write', value: 7, error: 'timeout' });
    // null is a value (a read of a missing key), not unset.
    r.invoke(2, { f: 'read', key: 'k' });
    r.complete(2, { type: 'ok', value: null });
    expect('value' in ops[5] && ops[5].value === null).toBe(true);
  });
});
