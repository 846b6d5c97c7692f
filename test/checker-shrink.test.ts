// test/checker-shrink.test.ts — a failing partition is shrunk to the few ops that conflict.
import { describe, expect, it } from 'vitest';
import { checkLinearizable, formatLinearizabilityResult } from '../checker/linearizable/index.ts';
import { getModel } from '../checker/models/index.ts';
import type { Op } from '../history/op.ts';
import { subHistory } from './support/sub-history.ts';

/** HistoryBuilder appends events with consecutive indexes. */
class HistoryBuilder {
  readonly ops: Op[] = [];

  add(type: Op['type'], process: number, f: string, value: unknown): this {
    this.ops.push({ index: this.ops.length, type, process, f, value });
    return this;
  }
}

/**
 * plantedStaleRead: a write of 1 completes, then a read returns the initial nil. Around it: a
 * read of nil concurrent with the write (legal), crashed writes that never return, and 200
 * writes in concurrent groups of four afterwards, all on the one register. The only set that
 * cannot be linearized without the rest is {write 1, the stale read}.
 */
function plantedStaleRead(): Op[] {
  const h = new HistoryBuilder();
  h.add('invoke', 90, 'write', 7).add('invoke', 91, 'write', 8);
  h.add('invoke', 0, 'write', 1).add('invoke', 2, 'read', null).add('ok', 2, 'read', null).add('ok', 0, 'write', 1);
  h.add('invoke', 1, 'read', null).add('ok', 1, 'read', null);
  h.add('info', 90, 'write', 7).add('info', 91, 'write', 8);
  for (let group = 0; group < 50; group++) {
    for (let p = 0; p < 4; p++) h.add('invoke', 10 + p, 'write', 100 + 4 * group + p);
    for (let p = 3; p >= 0; p--) h.add('ok', 10 + p, 'write', 100 + 4 * group + p);
  }
  return h.ops;
}

describe('counterexample shrinking', () => {
  it('names exactly the two conflicting ops of a planted stale read among 200 others', async () => {
    const result = await checkLinearizable(plantedStaleRead(), getModel('register'));
    expect(result.valid).toBe(false);
    const failure = result.failures[0];
    expect(failure.partitionOpCount).toBe(205);
    expect(failure.minimal).toBe(true);
    const byId = new Map(failure.ops.map((view) => [view.id, view]));
    const named = (failure.minimalOpIds ?? []).map((id) => byId.get(id));
    expect(named.map((view) => [view?.process, view?.f, view?.input, view?.output])).toEqual([
      [0, 'write', 1, 1],
      [1, 'read', null, null],
    ]);
    const text = formatLinearizabilityResult(result);
    expect(text).toContain('These 2 ops cannot be ordered: op 2 (process 0, write 1, history 2..5), op 4 (process 1, read nil');
  });

  it('keeps the write a stale read saw: the set is an ordering conflict, not an unexplained read', async () => {
    const h = new HistoryBuilder();
    h.add('invoke', 0, 'write', 1).add('ok', 0, 'write', 1);
    for (let p = 0; p < 4; p++) h.add('invoke', 10 + p, 'write', 20 + p);
    for (let p = 0; p < 4; p++) h.add('ok', 10 + p, 'write', 20 + p);
    h.add('invoke', 1, 'read', null).add('ok', 1, 'read', 1);
    const result = await checkLinearizable(h.ops, getModel('register'));
    const failure = result.failures[0];
    expect(failure.minimal).toBe(true);
    const byId = new Map(failure.ops.map((view) => [view.id, view]));
    const named = (failure.minimalOpIds ?? []).map((id) => byId.get(id)?.text);
    // A read of 1 alone also fails (nothing wrote 1), but says nothing about order.
    expect(named).toHaveLength(3);
    expect(named[0]).toBe('write 1');
    expect(named[2]).toBe('read 1');
  });

  it('never drops the write a kept op read from: the set fails where the whole history does, not only on its own', async () => {
    // The bug is the stale read of 3 after write 2. Dropping write 1 would leave cas 1->3 with only
    // the later write of 1 to read from: {cas 1->3, write 1} fails alone, but blames the cas, which
    // read the first write of 1 (the shape a CI run of etcd once reported).
    const h = new HistoryBuilder();
    h.add('invoke', 0, 'write', 1).add('ok', 0, 'write', 1);
    h.add('invoke', 1, 'cas', [1, 3]).add('ok', 1, 'cas', [1, 3]);
    h.add('invoke', 2, 'read', null).add('ok', 2, 'read', 3);
    h.add('invoke', 3, 'write', 2).add('ok', 3, 'write', 2);
    h.add('invoke', 4, 'read', null).add('ok', 4, 'read', 3);
    h.add('invoke', 5, 'write', 1).add('ok', 5, 'write', 1);
    const result = await checkLinearizable(h.ops, getModel('cas-register'));
    const failure = result.failures[0];
    expect(failure.minimal).toBe(true);
    const byId = new Map(failure.ops.map((view) => [view.id, `${view.text} p${view.process}`]));
    expect((failure.minimalOpIds ?? []).map((id) => byId.get(id))).toEqual(['write 1 p0', 'cas 1->3 p1', 'write 2 p3', 'read 3 p4']);
  });

  it('reports the smallest set found so far, marked not minimal, when the budget runs out', async () => {
    const result = await checkLinearizable(plantedStaleRead(), getModel('register'), { shrinkSteps: 300 });
    expect(result.valid).toBe(false);
    const failure = result.failures[0];
    expect(failure.minimal).toBe(false);
    const ids = failure.minimalOpIds ?? [];
    expect(ids.length).toBeGreaterThan(2);
    // Whatever was reported must itself fail: re-check exactly those ops.
    const recheck = await checkLinearizable(subHistory(failure.ops, ids), getModel('register'), { shrinkMs: 0 });
    expect(recheck.opCount).toBe(ids.length);
    expect(recheck.valid).toBe(false);
    expect(formatLinearizabilityResult(result)).toContain('the shrinking budget ran out: a smaller set may exist');
  });

  it('skips shrinking with shrinkMs 0 and keeps the same verdict', async () => {
    const result = await checkLinearizable(plantedStaleRead(), getModel('register'), { shrinkMs: 0 });
    expect(result.valid).toBe(false);
    expect(result.failures[0].minimalOpIds).toBeUndefined();
    expect(formatLinearizabilityResult(result)).not.toContain('cannot be ordered');
  });

  it('shrinks inside worker threads too', async () => {
    const h = new HistoryBuilder();
    h.add('invoke', 0, 'put', 'x').add('ok', 0, 'put', 'x');
    for (let i = 0; i < 20; i++) h.add('invoke', 2, 'append', `${i}`).add('ok', 2, 'append', `${i}`);
    h.add('invoke', 3, 'get', null).add('ok', 3, 'get', '');
    const history = h.ops.map((op) => ({ ...op, key: op.process === 2 ? 'b' : 'a' }));
    const result = await checkLinearizable(history, getModel('kv'), { strategy: 'workers', workers: 2 });
    expect(result.valid).toBe(false);
    const failure = result.failures[0];
    expect(failure.key).toBe('a');
    expect(failure.minimal).toBe(true);
    expect((failure.minimalOpIds ?? []).map((id) => failure.ops.find((view) => view.id === id)?.f)).toEqual(['put', 'get']);
  });
});
