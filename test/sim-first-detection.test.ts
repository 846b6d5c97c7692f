// test/sim-first-detection.test.ts — bench:detect's time to first detection: the shortest history prefix the checker rejects.
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../checker/linearizable/index.ts';
import { getModel } from '../checker/models/index.ts';
import type { Op } from '../history/op.ts';
import { firstInvalidPrefix } from '../control/sim/first-detection.ts';
import { HistoryBuilder } from './support/history-builder.ts';

const register = async (prefix: readonly Op[]): Promise<boolean | 'unknown'> => (await checkLinearizable([...prefix], getModel('register'))).valid;

/**
 * A register written 1 then 2, read as 1 at 50–55 ms (stale: the write of 2 had ended at 30 ms),
 * with correct traffic before and after; one write stays open across the stale read.
 */
function staleReadAt55(): Op[] {
  const h = new HistoryBuilder();
  h.op(0, 'write', 1, 0, 'ok', 10).op(0, 'write', 2, 20, 'ok', 30);
  h.invoke(3, 'write', 9, 40);
  h.op(1, 'read', null, 45, 'ok', 48, 2);
  h.op(1, 'read', null, 50, 'ok', 55, 1);
  for (let i = 0; i < 40; i++) h.op(2, 'read', null, 100 + 10 * i, 'ok', 105 + 10 * i, 2);
  h.complete(3, 'info', 600);
  return h.ops;
}

describe('firstInvalidPrefix', () => {
  it('ends at the completion of the stale read, with the open write still pending', async () => {
    const history = staleReadAt55();
    const found = await firstInvalidPrefix(history, register);
    expect(found).not.toBeNull();
    expect(found!.atMs).toBe(55);
    expect(history[found!.opCount - 1]).toMatchObject({ type: 'ok', f: 'read', value: 1 });
    expect(found!.checks).toBeLessThanOrEqual(1 + Math.ceil(Math.log2(history.length)));
  });

  it('is null for a valid history and when the checker cannot decide', async () => {
    const valid = staleReadAt55().filter((op) => !(op.process === 1 && op.time! >= 50e6));
    expect(await firstInvalidPrefix(valid, register)).toBeNull();
    expect(await firstInvalidPrefix(staleReadAt55(), async () => 'unknown')).toBeNull();
  });
});
