// test/elle-property.test.ts — Elle checker vs a simulated store: serializable runs are valid; snapshot isolation shows only write skew.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkElle } from '../checker/elle/index.ts';
import { simulate, type SimOptions } from '../checker/elle/sim-store.ts';
import type { ElleResult } from '../checker/elle/types.ts';

/** expectSimpleCycles: every reported cycle visits each transaction once and closes on itself. */
function expectSimpleCycles(r: ElleResult): void {
  for (const anomaly of r.anomalies) {
    if (anomaly.cycle === undefined) continue;
    const froms = anomaly.cycle.map((step) => step.from);
    expect(new Set(froms).size, anomaly.explanation).toBe(froms.length);
    anomaly.cycle.forEach((step, i) => expect(step.to).toBe(anomaly.cycle![(i + 1) % anomaly.cycle!.length].from));
  }
}

const simArb = (engine: SimOptions['engine']): fc.Arbitrary<SimOptions> =>
  fc.record({
    workload: fc.constantFrom<SimOptions['workload']>('list-append', 'rw-register'),
    engine: fc.constant(engine),
    txnCount: fc.integer({ min: 10, max: 150 }),
    concurrency: fc.integer({ min: 1, max: 8 }),
    keyCount: fc.integer({ min: 1, max: 5 }),
    writesPerKeyMax: fc.constantFrom(0, 4, 16),
    mopsMax: fc.integer({ min: 1, max: 5 }),
    failRate: fc.constantFrom(0, 0.05, 0.2),
    infoRate: fc.constantFrom(0, 0.05, 0.2),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    plantWriteSkew: fc.boolean(),
  });

describe('Elle against a simulated store', () => {
  it('a serializable store (each txn atomic between invoke and completion) is always strict-serializable', () => {
    fc.assert(
      fc.property(simArb('serializable'), (opts) => {
        const history = simulate(opts);
        const r = checkElle(history, { workload: opts.workload, consistencyModel: 'strict-serializable' });
        expect(r.anomalyTypes, JSON.stringify(r.anomalies.slice(0, 1))).toEqual([]);
        expect(r.valid).toBe(true);
        expect(r.txnCount).toBe(opts.txnCount + (opts.plantWriteSkew === true ? 3 : 0));
      }),
      { numRuns: 60 },
    );
  });

  it('a snapshot-isolation store never shows G0, G1 or G-single, and shows G2-item where write skew is planted', () => {
    const forbiddenUnderSi = ['G0', 'G1a', 'G1b', 'G1c', 'internal', 'dirty-update', 'lost-update', 'G-single', 'G-nonadjacent',
      'duplicate-elements', 'incompatible-order', 'garbage-read'];
    fc.assert(
      fc.property(simArb('snapshot'), (opts) => {
        const history = simulate(opts);
        const r = checkElle(history, { workload: opts.workload, consistencyModel: 'snapshot-isolation' });
        for (const t of forbiddenUnderSi) expect(r.anomalyTypes, JSON.stringify(r.anomalies.find((a) => a.type === t))).not.toContain(t);
        expectSimpleCycles(r);
        expect(r.valid).toBe(true);
        if (opts.plantWriteSkew === true) {
          expect(r.anomalyTypes).toContain('G2-item');
          const serializable = checkElle(history, { workload: opts.workload, consistencyModel: 'serializable' });
          expect(serializable.valid).toBe(false);
          expect(serializable.notModels).toContain('repeatable-read');
        }
      }),
      { numRuns: 60 },
    );
  });

  it('the same planted txns on the serializable store are not write skew', () => {
    const history = simulate({
      workload: 'list-append', engine: 'serializable', txnCount: 0, concurrency: 1, keyCount: 1, writesPerKeyMax: 0,
      mopsMax: 1, failRate: 0, infoRate: 0, seed: 1, plantWriteSkew: true,
    });
    const r = checkElle(history, { workload: 'list-append', consistencyModel: 'strict-serializable' });
    expect(r.valid).toBe(true);
    expect(r.txnCount).toBe(3);
  });

  it('a store without first-committer-wins loses updates, and the checker says so', () => {
    let lost = 0;
    for (let seed = 0; seed < 30; seed++) {
      for (const workload of ['list-append', 'rw-register'] as const) {
        const history = simulate({
          workload, engine: 'no-conflict-check', txnCount: 100, concurrency: 6, keyCount: 2, writesPerKeyMax: 0,
          mopsMax: 4, failRate: 0, infoRate: 0, seed,
        });
        const r = checkElle(history, { workload, consistencyModel: 'snapshot-isolation' });
        if (!r.anomalyTypes.includes('lost-update')) continue;
        lost++;
        expect(r.valid).toBe(false);
        expect([...r.notModels, ...r.alsoNotModels]).toContain('cursor-stability');
        expect(r.anomalies.find((a) => a.type === 'lost-update')?.explanation).toMatch(/both read key .* and both (appended to|wrote) it/);
      }
    }
    expect(lost).toBeGreaterThan(10);
  });
});
