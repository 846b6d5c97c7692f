// history/pair.test.ts — pairing invokes with completions: outcomes, drops and malformed input.
import { describe, expect, it } from 'vitest';
import type { Op } from './op.ts';
import { historyClock, opIndexesOf, pairHistory, pairOps, toOperations } from './pair.ts';

function history(...ops: Omit<Op, 'index'>[]): Op[] {
  return ops.map((op, index) => ({ index, ...op }));
}

describe('toOperations', () => {
  it('pairs ok ops with their completion and keeps input and output', () => {
    const { operations } = toOperations(
      history(
        { type: 'invoke', process: 0, f: 'write', value: 1, time: 10 },
        { type: 'invoke', process: 1, f: 'read', value: null, key: 'k' },
        { type: 'ok', process: 1, f: 'read', value: 1, key: 'k' },
        { type: 'ok', process: 0, f: 'write', value: 1, time: 40 },
      ),
    );
    expect(operations).toEqual([
      { id: 0, process: 0, f: 'write', input: 1, output: 1, outcome: 'ok', invokeIndex: 0, returnIndex: 3, invokeTime: 10, returnTime: 40 },
      { id: 1, process: 1, f: 'read', key: 'k', input: null, output: 1, outcome: 'ok', invokeIndex: 1, returnIndex: 2 },
    ]);
  });

  it('removes failed ops, drops failed and info reads, keeps info writes with returnIndex Infinity', () => {
    const result = toOperations(
      history(
        { type: 'invoke', process: 0, f: 'cas', value: [1, 2] },
        { type: 'fail', process: 0, f: 'cas', value: [1, 2] },
        { type: 'invoke', process: 1, f: 'read', value: null },
        { type: 'fail', process: 1, f: 'read' },
        { type: 'invoke', process: 2, f: 'read', value: null },
        { type: 'info', process: 2, f: 'read' },
        { type: 'invoke', process: 3, f: 'write', value: 5 },
        { type: 'info', process: 3, f: 'write', value: 5 },
        { type: 'invoke', process: 'nemesis', f: 'start-partition' },
        { type: 'invoke', process: 4, f: 'write', value: 6 },
        { type: 'invoke', process: 5, f: 'get', value: null },
      ),
    );
    expect(result.operations.map((op) => [op.id, op.f, op.input, op.outcome, op.returnIndex])).toEqual([
      [0, 'write', 5, 'info', Infinity],
      [1, 'write', 6, 'info', Infinity],
    ]);
    expect(result).toMatchObject({
      droppedFailedReads: 1,
      droppedInfoReads: 2,
      droppedFailed: 1,
      infoCount: 2,
      pendingCount: 2,
      nemesisCount: 1,
    });
  });

  it('throws naming the index on a completion without a pending invoke', () => {
    expect(() => toOperations(history({ type: 'ok', process: 0, f: 'read', value: 1 }))).toThrow(/history index 0/);
  });

  it('throws naming the index on an invoke while the process has a pending op', () => {
    const ops = history(
      { type: 'invoke', process: 0, f: 'read' },
      { type: 'invoke', process: 0, f: 'write', value: 1 },
    );
    expect(() => toOperations(ops)).toThrow(/history index 1: process 0 invokes write while its read from index 0/);
  });

  it('throws naming the index on a completion whose f differs', () => {
    const ops = history({ type: 'invoke', process: 0, f: 'read' }, { type: 'ok', process: 0, f: 'write', value: 1 });
    expect(() => toOperations(ops)).toThrow(/history index 1: completion f write differs/);
  });

  it('throws when indexes do not increase', () => {
    const ops: Op[] = [
      { index: 3, type: 'invoke', process: 0, f: 'read' },
      { index: 2, type: 'ok', process: 0, f: 'read', value: 1 },
    ];
    expect(() => toOperations(ops)).toThrow(/history index 2/);
  });
});

describe('pairHistory (the one pairing)', () => {
  it("closes an ok or fail op's window at its completion; info and pending stay open, info keeps when the client gave up", () => {
    const { pairs, nemesisCount } = pairHistory(
      history(
        { type: 'invoke', process: 0, f: 'write', value: 1, time: 10 },
        { type: 'invoke', process: 1, f: 'write', value: 2, time: 20 },
        { type: 'invoke', process: 'nemesis', f: 'kill', time: 25 },
        { type: 'info', process: 1, f: 'write', value: 2, time: 30 },
        { type: 'fail', process: 0, f: 'write', value: 1, time: 40 },
        { type: 'invoke', process: 2, f: 'read', value: null, time: 50 },
      ),
    );
    expect(nemesisCount).toBe(1);
    expect(pairs.map((p) => [p.invoke.process, p.type, p.start, p.end, p.returned])).toEqual([
      [0, 'fail', 10, 40, 40],
      [1, 'info', 20, Infinity, 30],
      [2, 'pending', 50, Infinity, null],
    ]);
    expect(opIndexesOf(pairs[1])).toEqual([1, 3]);
    expect(opIndexesOf(pairs[2])).toEqual([5]);
  });

  it('orders by time when every op has one, by index for every op when some lack it', () => {
    const timed = history(
      { type: 'invoke', process: 0, f: 'read', time: 500 },
      { type: 'ok', process: 0, f: 'read', value: 1, time: 900 },
    );
    expect(historyClock(timed).timed).toBe(true);
    expect(pairOps(timed).map((p) => [p.start, p.end])).toEqual([[500, 900]]);
    const partly = history(
      { type: 'invoke', process: 0, f: 'read', time: 500 },
      { type: 'ok', process: 0, f: 'read', value: 1 },
      { type: 'invoke', process: 1, f: 'read', time: 700 },
      { type: 'ok', process: 1, f: 'read', value: 1, time: 800 },
    );
    expect(historyClock(partly).timed).toBe(false);
    expect(pairOps(partly).map((p) => [p.start, p.end])).toEqual([[0, 1], [2, 3]]);
    expect(historyClock([]).timed).toBe(false);
  });

  it('rejects the malformed histories toOperations rejects', () => {
    expect(() => pairOps(history({ type: 'ok', process: 0, f: 'read', value: 1 }))).toThrow(/history index 0: ok read of process 0 has no pending invoke/);
    expect(() => pairOps(history({ type: 'invoke', process: 0, f: 'read' }, { type: 'invoke', process: 0, f: 'read' }))).toThrow(/history index 1/);
  });
});
