// history/txn-check.test.ts — the per-op shape check of Elle histories, in both spellings.
import { describe, expect, it } from 'vitest';
import type { Op } from './op.ts';
import { txnHistoryCheck } from './txn-check.ts';

const op = (index: number, type: Op['type'], process: Op['process'], value: unknown, f = 'txn'): Op => ({ index, type, process, f, value });

describe('txnHistoryCheck', () => {
  it('passes a well-formed list-append history, nemesis ops, and fail/info completions of any value', () => {
    const check = txnHistoryCheck('append');
    const history = [
      op(0, 'invoke', 0, [['append', 'x', 1], ['r', 'x', null]]),
      op(1, 'info', 'nemesis', { isolated: ['n1'] }, 'start-partition'),
      op(2, 'ok', 0, [['append', 'x', 1], ['r', 'x', [1]]]),
      op(3, 'invoke', 1, [['append', 7, 2]]),
      op(4, 'info', 1, null),
      op(5, 'invoke', 0, [['r', 7, null]]),
      op(6, 'fail', 0, undefined),
    ];
    expect(history.map((o) => check(o, 'edn'))).toEqual(history.map(() => undefined));
  });

  it('spells what it expected as the file does', () => {
    expect(txnHistoryCheck('w')(op(0, 'invoke', 0, [['w', 'x']]), 'json')?.expected)
      .toBe('"value" to be a vector of micro-ops ["w", k, v] or ["r", k, v]');
    expect(txnHistoryCheck('w')(op(0, 'invoke', 0, 5, 'read'), 'edn')?.expected).toMatch(/^:f :txn/);
  });

  it('rejects a second invoke, a nil write, a list-append read of a scalar, and an ok txn with other keys', () => {
    const check = txnHistoryCheck('append');
    expect(check(op(0, 'invoke', 0, [['append', 'x', 1]]), 'edn')).toBeUndefined();
    expect(check(op(1, 'invoke', 0, [['append', 'x', 2]]), 'edn')?.expected).toMatch(/process 0 to complete its txn \(invoked at index 0\)/);
    expect(check(op(2, 'ok', 0, [['append', 'y', 1]]), 'edn')?.expected).toMatch(/repeat the micro-ops of its invoke at index 0/);
    expect(check(op(3, 'invoke', 1, [['append', 'x', null]]), 'edn')?.got).toEqual(['append', 'x', null]);
    expect(check(op(4, 'invoke', 2, [['r', 'x', 3]]), 'edn')).toBeDefined();
    expect(txnHistoryCheck('w')(op(0, 'invoke', 2, [['r', 'x', 3]]), 'edn')).toBeUndefined();
  });
});
