// checker/models/models.test.ts — model semantics, names, keys and descriptions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Model } from '../types.ts';
import type { Operation } from '../../history/op.ts';
import { getModel, MODEL_NAMES } from './index.ts';
import { TextInterner } from './text-interner.ts';
import { kvUnpartitionedModel } from './kv-unpartitioned.ts';
import { checkOperations } from '../linearizable/index.ts';

function op(f: string, input: unknown, output?: unknown, extra: Partial<Operation> = {}): Operation {
  return { id: 0, process: 0, f, input, output, outcome: 'ok', invokeIndex: 0, returnIndex: 1, ...extra };
}

function run(model: Model, ops: Operation[]): { ok: boolean; state: unknown } {
  let state = model.init();
  for (const o of ops) {
    const result = model.step(state, o);
    if (!result.ok) return { ok: false, state };
    state = result.state;
  }
  return { ok: true, state };
}

describe('getModel', () => {
  it('knows every listed name and rejects others listing the valid ones', () => {
    expect(MODEL_NAMES).toEqual(['register', 'cas-register', 'multi-register', 'mutex', 'etcd', 'kv', 'kv-unpartitioned']);
    for (const name of MODEL_NAMES) expect(getModel(name).name).toBe(name);
    expect(() => getModel('bogus')).toThrow('unknown model "bogus"; valid models: register, cas-register');
    expect(() => getModel('toString')).toThrow(/unknown model/);
  });

  it('rejects an op the model does not define', () => {
    expect(() => getModel('register').step(null, op('cas', [1, 2]))).toThrow(/has f "cas"; valid: read, write/);
  });
});

describe('register models', () => {
  it('cas-register follows Knossos: ok cas needs a match, info cas changes state iff it matches', () => {
    const m = getModel('cas-register', 0);
    expect(run(m, [op('cas', [0, 5]), op('read', null, 5)]).ok).toBe(true);
    expect(run(m, [op('cas', [1, 5])]).ok).toBe(false);
    expect(m.step(0, op('cas', [0, 5], undefined, { outcome: 'info' }))).toEqual({ ok: true, state: 5 });
    expect(m.step(3, op('cas', [0, 5], undefined, { outcome: 'info' }))).toEqual({ ok: true, state: 3 });
    expect(m.describeOperation?.(op('cas', [0, 5]))).toBe('cas 0->5');
    expect(m.describeState?.(null)).toBe('register = nil');
  });

  it('etcd reads nil as the initial state and compares numbers', () => {
    const m = getModel('etcd');
    expect(run(m, [op('read', null, null), op('write', 3), op('read', null, 3)]).ok).toBe(true);
    expect(run(m, [op('read', null, 0)]).ok).toBe(false);
  });

  it('register compares structured values by content and keys them by type', () => {
    const m = getModel('register');
    expect(run(m, [op('write', [1, 2]), op('read', null, [1, 2])]).ok).toBe(true);
    expect(m.stateKey?.(1)).not.toBe(m.stateKey?.('1'));
    expect(m.describeOperation?.(op('read', null, 3))).toBe('read 3');
  });

  it('multi-register partitions by key', () => {
    const m = getModel('multi-register');
    const ops = [op('write', 1, 1, { id: 0, key: 'a' }), op('write', 2, 2, { id: 1, key: 'b' }), op('read', null, 1, { id: 2, key: 'a' })];
    expect(m.partition?.(ops).map((p) => p.map((o) => o.id))).toEqual([[0, 2], [1]]);
  });
});

describe('kv models', () => {
  it('kv gets, puts and appends strings', () => {
    const m = getModel('kv');
    expect(run(m, [op('get', null, ''), op('append', 'x'), op('append', 'y'), op('get', null, 'xy')]).ok).toBe(true);
    expect(run(m, [op('put', 'a'), op('get', null, 'b')]).ok).toBe(false);
  });

  it('kv states reached by different paths get one state id', () => {
    const m = getModel('kv');
    const a = run(m, [op('append', 'ab'), op('append', 'c')]).state;
    const b = run(m, [op('put', 'a'), op('append', 'bc')]).state;
    expect(m.stateId?.(a)).toBe(m.stateId?.(b));
    expect(m.describeState?.(a)).toBe('value = "abc"');
  });

  it('kv-unpartitioned keeps one state for all keys, with a canonical key', () => {
    const m = getModel('kv-unpartitioned');
    const x = run(m, [op('append', '1', undefined, { key: 'x' }), op('put', '2', undefined, { key: 'y' })]).state;
    const y = run(m, [op('put', '2', undefined, { key: 'y' }), op('append', '1', undefined, { key: 'x' })]).state;
    expect(m.stateKey?.(x)).toBe(m.stateKey?.(y));
    const cleared = run(m, [op('put', '2', undefined, { key: 'y' }), op('put', '', undefined, { key: 'y' })]).state;
    expect(m.stateKey?.(cleared)).toBe(m.stateKey?.(m.init()));
    expect(m.step(x, op('get', null, '1', { key: 'x' })).ok).toBe(true);
    expect(m.step(x, op('get', null, '', { key: 'x' })).ok).toBe(false);
    // Each op touches one key's slot only: the model splits by key (locality), like kv.
    expect(m.partition?.([op('get', null, '', { key: 'x' }), op('put', '2', undefined, { key: 'y' })]).length).toBe(2);
  });

  it('kv-unpartitioned past its state cap answers unknown, not a RangeError', async () => {
    // Three concurrent puts to three keys reach 2^3 distinct maps; a cap of 4 cannot hold them.
    const ops = ['x', 'y', 'z'].map((key, i) => op('put', String(i + 1), undefined, { id: i, process: i, key, invokeIndex: i, returnIndex: 10 + i }));
    ops.push(op('get', null, 'wrong', { id: 3, process: 3, key: 'x', invokeIndex: 20, returnIndex: 21 }));
    const capped = await checkOperations(ops, kvUnpartitionedModel('', { statesMax: 4 }), { partition: false, shrinkMs: 0 });
    expect(capped.valid).toBe('unknown');
    expect(capped.unknownReason).toMatch(/model-state table is full/);
    const uncapped = await checkOperations(ops, kvUnpartitionedModel(''), { partition: false, shrinkMs: 0 });
    expect(uncapped.valid).toBe(false);
  });
});

describe('TextInterner', () => {
  it('gives equal texts one id however they were built', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.constantFrom('a', 'b', 'ab', ''), { maxLength: 5 }), { minLength: 2, maxLength: 6 }), (builds) => {
        const interner = new TextInterner();
        const results = builds.map((parts) => parts.reduce((text, part) => interner.append(text, part), interner.of('')));
        for (const x of results) {
          for (const y of results) expect(x.id === y.id).toBe(x.text === y.text);
          expect(interner.of(x.text).id).toBe(x.id);
        }
      }),
      { numRuns: 300 },
    );
  });
});
