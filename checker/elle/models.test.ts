// checker/elle/models.test.ts — the consistency-model lattice: aliases, inheritance, weakest violated models.
import { describe, expect, it } from 'vitest';
import { CONSISTENCY_MODEL_NAMES, canonicalModel, forbiddenBy, violatedModels } from './models.ts';

describe('consistency models', () => {
  it('resolves Adya names and rejects unknown ones', () => {
    expect(canonicalModel('PL-3')).toBe('serializable');
    expect(canonicalModel('PL-SI')).toBe('snapshot-isolation');
    expect(() => canonicalModel('linearizable-ish')).toThrow(/expected one of/);
  });

  it('a model forbids everything its weaker models forbid', () => {
    expect(forbiddenBy('serializable').has('G0')).toBe(true);
    expect(forbiddenBy('serializable').has('G1a')).toBe(true);
    expect(forbiddenBy('serializable').has('G2-item')).toBe(true);
    expect(forbiddenBy('snapshot-isolation').has('G2-item')).toBe(false);
    expect(forbiddenBy('snapshot-isolation').has('G-single')).toBe(true);
    expect(forbiddenBy('strict-serializable').has('G2-item-realtime')).toBe(true);
    expect(forbiddenBy('serializable').has('G2-item-realtime')).toBe(false);
    expect(forbiddenBy('read-committed').has('G-single')).toBe(false);
    for (const m of CONSISTENCY_MODEL_NAMES) expect(forbiddenBy('strict-serializable').size).toBeGreaterThanOrEqual(forbiddenBy(m).size);
  });

  it('reports the weakest violated models as not, the rest as also-not', () => {
    expect(violatedModels(['G0'])).toEqual({ not: ['read-uncommitted'], alsoNot: CONSISTENCY_MODEL_NAMES.filter((m) => m !== 'read-uncommitted') });
    const g1c = violatedModels(['G1c']);
    expect(g1c.not).toEqual(['read-committed']);
    expect(g1c.alsoNot).not.toContain('read-uncommitted');
    expect(violatedModels(['G2-item']).not).toEqual(['repeatable-read']);
    expect(violatedModels(['G-nonadjacent']).not).toEqual(['snapshot-isolation', 'repeatable-read']);
    expect(violatedModels([])).toEqual({ not: [], alsoNot: [] });
  });
});
