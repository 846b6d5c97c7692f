// reports/checker-results.test.ts — every checker result in results.json is found and classified.
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../checker/linearizable/index.ts';
import { getModel } from '../checker/models/index.ts';
import { collectCheckers } from './checker-results.ts';
import { registerWorkload } from '../workloads/register.ts';
import { fixtureHistory } from '../test/support/report-fixture.ts';

describe('collectCheckers', () => {
  it('finds the linearizability result inside the runner shape and skips its wrapper', async () => {
    const history = fixtureHistory().filter((op) => op.process !== 'nemesis');
    const linearizable = await checkLinearizable(history, getModel('multi-register', null));
    expect(linearizable.valid).toBe(false);
    const found = collectCheckers({ valid: false, anomalies: ['x'], checker: { valid: false, anomalies: [], linearizable, stats: {} } });
    expect(found.verdicts.map((v) => [v.path, v.valid])).toEqual([['', false], ['checker', false], ['checker.linearizable', false]]);
    expect(found.sections.map((s) => [s.kind, s.path])).toEqual([['linearizable', 'checker.linearizable']]);
    expect(found.verdicts[2].summary).toContain('key 1');
    expect(found.anomalies).toEqual(['x']);
  });

  it('says why a completed run has no verdict (results.json checkerError)', () => {
    const found = collectCheckers({ valid: 'unknown', anomalies: [], checkerError: 'analysis ran out of memory: its heap cap is 32 MB (--check-memory-mb)' });
    expect(found.error).toBe('no verdict: analysis ran out of memory: its heap cap is 32 MB (--check-memory-mb)');
    expect(collectCheckers({ valid: 'unknown', error: 'interrupted', checkerError: 'x' }).error).toBe('interrupted');
  });

  it('reads a bare LinearizabilityResult (what `check DIR` writes)', async () => {
    const linearizable = await checkLinearizable(fixtureHistory().filter((op) => op.process !== 'nemesis'), getModel('multi-register', null));
    const found = collectCheckers(JSON.parse(JSON.stringify(linearizable)));
    expect(found.sections.map((s) => [s.kind, s.path])).toEqual([['linearizable', '']]);
  });

  it('shows element arrays as tables and unknown results as JSON', () => {
    const found = collectCheckers({
      valid: false,
      set: { valid: false, lost: [{ element: 3, opIndexes: [7, 'x'] }, 4], stale: [] },
      bank: { valid: true, elementTables: [{ name: 'negative balances', rows: [{ element: { account: 1 } }] }] },
      weird: { valid: ':unknown', data: [1] },
      noise: { nested: { deeper: { valid: 'maybe' } } },
    });
    const kinds = found.sections.map((s) => [s.kind, s.path]);
    expect(kinds).toEqual([['elements', 'set'], ['elements', 'bank'], ['other', 'weird']]);
    const set = found.sections[0];
    if (set.kind !== 'elements') throw new Error('expected elements');
    expect(set.tables.map((t) => [t.name, t.rows.length])).toEqual([['lost', 2], ['stale', 0]]);
    expect(set.tables[0].rows[0]).toEqual({ element: 3, opIndexes: [7] });
    expect(set.tables[0].rows[1]).toEqual({ element: 4 });
  });

  it('shows a linearizability result with malformed failures as JSON rather than drawing it', () => {
    const found = collectCheckers({ lin: { valid: false, model: 'm', partitions: 1, failures: [{ prefix: 'nope' }] } });
    expect(found.sections.map((s) => [s.kind, s.path])).toEqual([['other', 'lin']]);
  });

  it('survives results.json that is not an object', () => {
    expect(collectCheckers(null)).toEqual({ verdicts: [], sections: [], anomalies: [] });
    expect(collectCheckers([1, 2])).toEqual({ verdicts: [], sections: [], anomalies: [] });
  });

  it('draws a typed result by its kind and walks only the fields its view names', async () => {
    const history = fixtureHistory();
    const checker = await registerWorkload.check(history, { timeoutMs: 10_000 });
    expect(checker.kind).toBe('register');
    const results = {
      kind: 'run', valid: false, anomalies: [], checker,
      stats: { valid: false, note: 'not a checker result: the run view does not walk here' },
      set: { kind: 'set', valid: false, elementTables: [{ name: 'lost', rows: [{ element: 1 }] }] },
    };
    const found = collectCheckers(results);
    expect(found.verdicts.map((v) => v.path)).toEqual(['', 'checker', 'checker.linearizable']);
    expect(found.sections.map((s) => [s.kind, s.path])).toEqual([['linearizable', 'checker.linearizable']]);
    const alone = collectCheckers({ kind: 'run', valid: false, checker: results.set });
    expect(alone.sections.map((s) => [s.kind, s.path])).toEqual([['elements', 'checker']]);
  });

  it('shows a result of a kind it has no view for, or a malformed typed one, as JSON', () => {
    const found = collectCheckers({ kind: 'run', valid: false, checker: { kind: 'bank', valid: false, tables: 'nope' } });
    expect(found.sections.map((s) => [s.kind, s.path])).toEqual([['other', 'checker']]);
    const unknown = collectCheckers({ future: { kind: 'quantum', valid: 'unknown' } });
    expect(unknown.sections.map((s) => [s.kind, s.path])).toEqual([['other', 'future']]);
  });

  it('re-renders results.json written before kinds the same way, by inference', async () => {
    const history = fixtureHistory();
    const typed = { kind: 'run', valid: false, anomalies: [], checker: await registerWorkload.check(history, { timeoutMs: 10_000 }) };
    const untyped = JSON.parse(JSON.stringify(typed, (name, value: unknown) => (name === 'kind' ? undefined : value))) as unknown;
    expect(JSON.stringify(untyped)).not.toContain('"kind"');
    const a = collectCheckers(JSON.parse(JSON.stringify(typed)));
    const b = collectCheckers(untyped);
    expect(b.verdicts).toEqual(a.verdicts);
    expect(b.sections.map((s) => [s.kind, s.path])).toEqual(a.sections.map((s) => [s.kind, s.path]));
  });
});
