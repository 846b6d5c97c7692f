// reports/convergence-view.test.ts — the verdict card's sentence: not linearizable but converged, or not converged.
import { describe, expect, it } from 'vitest';
import { consistencySentence, convergenceSummary } from './convergence-view.ts';

const convergence = (valid: unknown, anomalies: string[] = []) => ({
  kind: 'convergence', valid, anomalies, keyCount: 4, nodes: ['n1', 'n2', 'n3'],
  staleReads: { count: 12, duringFaults: 11, staleMsMax: 840.4, windowMs: [1000, 5000], examples: [] },
});
const run = (linear: unknown, conv: unknown) => ({ kind: 'run', valid: false, checker: { kind: 'register', linearizable: { kind: 'linearizable', valid: linear }, convergence: conv } });

describe('consistencySentence', () => {
  it('not linearizable but converged: says both, with the stale reads', () => {
    const s = consistencySentence(run(false, convergence(true)));
    expect(s).toMatch(/^Not linearizable, but converged: .*12 stale reads \(the stalest 840 ms behind an acknowledged write\)/);
  });
  it('not converged, and unknown, each in their own words', () => {
    expect(consistencySentence(run(false, convergence(false)))).toMatch(/^Did not converge: /);
    expect(consistencySentence(run(false, convergence('unknown')))).toMatch(/^Convergence unknown: /);
    expect(consistencySentence(run(true, convergence(true)))).toMatch(/^Linearizable and converged/);
  });
  it('says nothing for a run without a convergence result (every other system)', () => {
    expect(consistencySentence({ kind: 'run', checker: { kind: 'register', linearizable: { valid: true } } })).toBeUndefined();
    expect(consistencySentence(run(false, { kind: 'convergence', valid: true }))).toBeUndefined();
  });
  it('the verdict row names the first anomaly, or the agreement', () => {
    expect(convergenceSummary(convergence(true))).toBe('4 keys agree on n1, n2, n3, every acknowledged write present or superseded; 12 stale reads (the stalest 840 ms behind an acknowledged write)');
    expect(convergenceSummary(convergence(false, ['replicas did not converge on 1 key(s): ...']))).toMatch(/^replicas did not converge/);
  });
});
