// checker/elle/order-edges.test.ts — the reduced real-time edges imply exactly "completed before invoked".
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EdgeBuilder, forEachOut, PROCESS, REALTIME, type Graph } from './graph.ts';
import { addProcessEdges, realtimeRanges } from './order-edges.ts';
import { simulate } from './sim-store.ts';
import { collectTxns, FAIL, OK, type TxnTable } from './txns.ts';

function reachable(g: Graph, from: number, bit: number): Set<number> {
  const seen = new Set<number>();
  const todo = [from];
  while (todo.length > 0) {
    const v = todo.pop() as number;
    forEachOut(g, v, (w, bits) => {
      if ((bits & bit) !== 0 && !seen.has(w)) { seen.add(w); todo.push(w); }
    });
  }
  return seen;
}

function historyTable(seed: number, concurrency: number, txnCount: number): TxnTable {
  return collectTxns(simulate({
    workload: 'list-append', engine: 'serializable', txnCount, concurrency, keyCount: 3, writesPerKeyMax: 0,
    mopsMax: 2, failRate: 0.1, infoRate: 0.15, seed,
  }));
}

describe('order edges', () => {
  it('realtime: the transitive closure of the reduced ranges is the full real-time order', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 60 }), (seed, concurrency, txnCount) => {
      const table = historyTable(seed, concurrency, txnCount);
      const g = new EdgeBuilder(table.count).build(realtimeRanges(table));
      expect(g.edgeCount).toBeLessThanOrEqual(table.count * (2 * concurrency + 2));
      for (let a = 0; a < table.count; a++) {
        const reach = reachable(g, a, REALTIME);
        for (let c = 0; c < table.count; c++) {
          const expected = table.status[a] === OK && table.status[c] !== FAIL && table.completePosition[a] < table.invokePosition[c];
          expect(reach.has(c), `T${a} → T${c}`).toBe(expected);
        }
      }
    }), { numRuns: 40 });
  });

  it('realtime: the direct successors are exactly the transitive reduction (Elle\'s realtime graph)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 60 }), (seed, concurrency, txnCount) => {
      const table = historyTable(seed, concurrency, txnCount);
      const g = new EdgeBuilder(table.count).build(realtimeRanges(table));
      const before = (a: number, b: number): boolean => table.status[a] === OK && table.completePosition[a] < table.invokePosition[b];
      for (let a = 0; a < table.count; a++) {
        const direct = new Set<number>();
        forEachOut(g, a, (w) => direct.add(w));
        for (let b = 0; b < table.count; b++) {
          let between = false;
          for (let c = 0; c < table.count && !between; c++) between = before(a, c) && before(c, b);
          expect(direct.has(b), `T${a} → T${b}`).toBe(table.status[b] !== FAIL && before(a, b) && !between);
        }
      }
    }), { numRuns: 40 });
  });

  it('process: each process\'s txns form a chain, failed txns left out', () => {
    const table = historyTable(3, 4, 40);
    const b = new EdgeBuilder(table.count);
    addProcessEdges(table, b);
    const g = b.build();
    for (let a = 0; a < table.count; a++) {
      const reach = reachable(g, a, PROCESS);
      for (let c = 0; c < table.count; c++) {
        const expected = table.status[a] !== FAIL && table.status[c] !== FAIL && a < c && table.process[a] === table.process[c];
        expect(reach.has(c)).toBe(expected);
      }
    }
  });
});
