// workloads/set-check.test.ts — the near-linear set-full checker: against a brute-force oracle, on range-encoded reads, within its budget.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Op } from '../history/op.ts';
import { HistoryBuilder } from '../test/support/history-builder.ts';
import { pairOps, type Pair } from '../history/pair.ts';
import { checkSet } from './set-check.ts';
import { decodeSetRead, encodeSetRead } from './set-read.ts';

/**
 * oracle: set-full straight from its definition, element by element over every read
 * (O(elements × reads)); returns lost, stale, never-read, unexpected and duplicated elements.
 */
function oracle(history: readonly Op[]): Record<string, unknown[]> {
  const pairs = pairOps(history);
  const reads = pairs.filter((p) => p.invoke.f === 'read' && p.type === 'ok').sort((a, b) => a.start - b.start);
  const contents = reads.map((r) => (Array.isArray(r.completion?.value) ? (r.completion?.value as unknown[]) : []));
  const adds = new Map<unknown, Pair>();
  for (const p of pairs) if (p.invoke.f === 'add') adds.set(p.invoke.value, p);
  const out: Record<string, unknown[]> = { lost: [], stale: [], neverRead: [], unexpected: [], duplicated: [] };
  for (const [element, add] of adds) {
    if (add.type === 'fail') continue;
    const present = reads.filter((_, j) => contents[j].includes(element));
    const knownAt = Math.min(add.type === 'ok' ? add.end : Infinity, present[0]?.end ?? Infinity);
    if (knownAt === Infinity) continue;
    const after = reads.filter((r) => r.start > knownAt);
    const lastAbsent = after.filter((r) => !contents[reads.indexOf(r)].includes(element)).at(-1);
    if (after.length === 0) out.neverRead.push(element);
    else if (lastAbsent !== undefined && (present.at(-1)?.start ?? -Infinity) > lastAbsent.start) out.stale.push(element);
    else if (lastAbsent !== undefined) out.lost.push(element);
  }
  const seen = new Set(contents.flat());
  for (const e of seen) if (adds.get(e) === undefined || adds.get(e)?.type === 'fail') out.unexpected.push(e);
  for (const c of contents) for (const e of new Set(c)) if (c.filter((x) => x === e).length > 1 && !out.duplicated.includes(e)) out.duplicated.push(e);
  for (const list of Object.values(out)) list.sort((a, b) => Number(a) - Number(b));
  return out;
}

function summary(history: readonly Op[]): Record<string, unknown[]> {
  const r = checkSet(history);
  const sorted = (xs: unknown[]): unknown[] => [...xs].sort((a, b) => Number(a) - Number(b));
  return {
    lost: r.lostElements, stale: sorted(r.stale.map((x) => x.element)), neverRead: sorted(r.elementTables[0].rows.map((x) => x.element)),
    unexpected: sorted(r.unexpected.map((x) => x.element)), duplicated: sorted(r.duplicated.map((x) => x.element)),
  };
}

/** encodeReads: the same history with every read's list in the history's compact form. */
function encodeReads(history: readonly Op[]): Op[] {
  return history.map((op) => (op.f === 'read' && op.type === 'ok' ? { ...op, value: encodeSetRead(op.value) } : op));
}

/** randomHistory: adds of 0..elementsMax, reads of random subsets (with a few strays and copies), random overlap. */
const historyArbitrary = fc.array(
  fc.record({
    f: fc.constantFrom('add', 'read', 'read'),
    element: fc.integer({ min: 0, max: 12 }),
    subset: fc.array(fc.integer({ min: 0, max: 14 }), { maxLength: 16 }),
    type: fc.constantFrom('ok', 'ok', 'ok', 'info', 'fail'),
    startMs: fc.integer({ min: 0, max: 40 }),
    lengthMs: fc.integer({ min: 0, max: 6 }),
  }),
  { maxLength: 30 },
).map((specs) => {
  const h = new HistoryBuilder();
  const timed = specs.map((s, process) => ({ ...s, process })).sort((a, b) => a.startMs - b.startMs);
  // Each op is its own process: invokes and completions interleave by time.
  const events = timed.flatMap((s) => [{ at: s.startMs, s, invoke: true }, { at: s.startMs + s.lengthMs + 0.5, s, invoke: false }]).sort((a, b) => a.at - b.at);
  for (const { at, s, invoke } of events) {
    if (invoke) h.invoke(s.process, s.f, s.f === 'add' ? s.element : null, at);
    else if (s.f === 'add') h.complete(s.process, s.type as 'ok' | 'info' | 'fail', at);
    else h.complete(s.process, s.type === 'fail' ? 'fail' : 'ok', at, s.subset);
  }
  return h.ops;
});

describe('checkSet against a brute-force set-full oracle', () => {
  it('agrees on random histories, with reads as lists and as ranges', () => {
    fc.assert(fc.property(historyArbitrary, (history) => {
      const expected = oracle(history);
      expect(summary(history)).toEqual(expected);
      expect(summary(encodeReads(history))).toEqual(expected);
    }), { numRuns: 1000 });
  });
});

describe('set reads as ranges', () => {
  it('encodes a near-full set as a few ranges with its duplicates, and decodes the same multiset', () => {
    const read = [5, 3, 4, 1, 0, 2, 9, 8, 7, 4, 11, 12, 13, 14];
    const encoded = encodeSetRead(read);
    expect(encoded).toEqual({ ranges: [[0, 5], [7, 9], [11, 14]], duplicates: [[4, 2]] });
    expect(decodeSetRead(encoded, 'x')).toEqual(decodeSetRead(read, 'x'));
    // Sparse or non-integer sets stay lists: the ranges would not be shorter.
    expect(encodeSetRead([1, 5, 9])).toEqual([1, 5, 9]);
    expect(encodeSetRead(['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
  });

  it('refuses ranges out of order, overlapping or reversed, naming the history line', () => {
    expect(() => decodeSetRead({ ranges: [[3, 4], [1, 2]] }, 'history index 7')).toThrow(/history index 7: ranges\[1\] overlaps or precedes/);
    expect(() => decodeSetRead({ ranges: [[4, 3]] }, 'history index 7')).toThrow(/lo > hi/);
    expect(() => decodeSetRead({ ranges: [[1, 'x']] }, 'history index 7')).toThrow(/list of \[lo, hi\] integer pairs/);
  });

  it('finds a lost element and a stray one inside ranges', () => {
    const h = new HistoryBuilder();
    for (let e = 0; e < 100; e += 1) h.op(e % 5, 'add', e, e, 'ok', e + 0.5);
    h.op(10, 'read', null, 200, 'ok', 201, { ranges: [[0, 99]] });
    h.op(11, 'read', null, 202, 'ok', 203, { ranges: [[0, 40], [42, 99], [500, 502]] });
    const result = checkSet(h.ops);
    expect(result.valid).toBe(false);
    expect(result.lostElements).toEqual([41]);
    expect(result.lost[0].detail).toMatch(/seen by 1 read\(s\).*absent from read 203/);
    expect(result.unexpectedCount).toBe(3);
    expect(result.unexpected.map((r) => r.element)).toEqual([500, 501, 502]);
    expect(result.stableCount).toBe(99);
  });
});

/** fullSetHistory: `adds` adds by 20 threads and a read of the whole set so far after every `readEvery` adds, as ranges. */
function fullSetHistory(adds: number, readEvery: number, lost?: number): Op[] {
  const ops: Op[] = [];
  const push = (op: Omit<Op, 'index'>): void => {
    ops.push({ index: ops.length, ...op } as Op);
  };
  for (let e = 0; e < adds; e += 1) {
    push({ time: e * 1000, type: 'invoke', process: e % 20, f: 'add', value: e });
    push({ time: e * 1000 + 500, type: 'ok', process: e % 20, f: 'add', value: e });
    if (e % readEvery === readEvery - 1) {
      const ranges = lost !== undefined && e > lost + readEvery ? [[0, lost - 1], [lost + 1, e]] : [[0, e]];
      push({ time: e * 1000 + 600, type: 'invoke', process: 20, f: 'read', value: null });
      push({ time: e * 1000 + 700, type: 'ok', process: 20, f: 'read', value: { ranges } });
    }
  }
  return ops;
}

describe('checkSet on a large history', () => {
  it('checks 200k adds and 50k whole-set reads (5·10^9 memberships) in seconds, and finds the one lost element', () => {
    const history = fullSetHistory(200_000, 4, 123_456);
    const startMs = performance.now();
    const result = checkSet(history, { timeoutMs: 60_000 });
    const elapsedMs = performance.now() - startMs;
    expect(result.lostElements).toEqual([123_456]);
    expect(result.stableCount).toBe(199_999);
    expect(elapsedMs).toBeLessThan(20_000);
  }, 60_000);

  it('answers unknown, with the reason, when the budget runs out', () => {
    const history = fullSetHistory(20_000, 2);
    let clockMs = 0;
    // Each look at the clock costs a second: the 5 s budget runs out within a few thousand reads.
    const result = checkSet(history, { timeoutMs: 5000, now: () => (clockMs += 1000) });
    expect(result.valid).toBe('unknown');
    expect(result.unknownReason).toBe('set checker: check budget of 5000 ms exhausted');
    expect(result.attemptCount).toBe(20_000);
    expect(checkSet(history, { timeoutMs: 60_000 }).valid).toBe(true);
  });
});
