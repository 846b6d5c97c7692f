// checker/models/knossos-multi-register.ts — Knossos's MultiRegister: read/write txns over keyed registers.
import type { Operation } from '../../history/op.ts';
import type { Model, StepResult } from '../types.ts';
import { clojureEqual, clojureKey, isNil, knossosValue } from './clojure-values.ts';
import { showValue, STEP_ILLEGAL, unknownFunction } from './values.ts';

/**
 * MultiRegisterState is the register map, immutable: `values` maps clojureKey(k) to [k, v].
 * Keys whose value is nil are left out, since `(get state k)` is nil for them either way;
 * `key` is the canonical text of the map (memoisation).
 */
export interface MultiRegisterState {
  readonly values: ReadonlyMap<string, readonly [unknown, unknown]>;
  readonly key: string;
}

type Mop = [unknown, unknown, unknown];

function makeState(values: Map<string, readonly [unknown, unknown]>): MultiRegisterState {
  const parts = [...values.entries()].map(([k, [, v]]) => `${k}=${clojureKey(v)}`).sort();
  return { values, key: parts.join('\u0000') };
}

/** initState reads `--init`: a map {"x": 0} or a list of [key, value] pairs (for non-string keys). */
function initState(init: unknown): MultiRegisterState {
  const values = new Map<string, readonly [unknown, unknown]>();
  for (const [k, v] of initPairs(init)) if (!isNil(v)) values.set(clojureKey(k), [k, v]);
  return makeState(values);
}

function initPairs(init: unknown): [unknown, unknown][] {
  if (isNil(init)) return [];
  if (!Array.isArray(init)) {
    if (typeof init === 'object') return Object.entries(init as Record<string, unknown>);
    throw new Error(`multi-register init: expected a map of keys to values, got ${JSON.stringify(init)}`);
  }
  return init.map((pair: unknown) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`multi-register init: expected [key, value] pairs, got ${JSON.stringify(pair)}`);
    return [pair[0], pair[1]];
  });
}

function mopsOf(op: Operation): Mop[] {
  const value = knossosValue(op);
  if (isNil(value)) return [];
  if (!Array.isArray(value)) throw new Error(`model multi-register: op ${op.id}: a txn value must be a sequence of [f k v], got ${JSON.stringify(value)}`);
  return value.map((mop: unknown) => {
    if (!Array.isArray(mop)) throw new Error(`model multi-register: op ${op.id}: micro-op ${JSON.stringify(mop)} is not [f k v]`);
    return [mop[0], mop[1] ?? null, mop[2] ?? null];
  });
}

/**
 * multiRegisterTxnStep is `MultiRegister.step`: :f must be :txn; its [f k v] micro-ops apply
 * in order, :read legal when v is nil or equals the key's value (nil when never written),
 * :write assoc'ing v. The first inconsistent read makes the whole txn inconsistent.
 */
function multiRegisterTxnStep(state: MultiRegisterState, op: Operation): StepResult<MultiRegisterState> {
  if (op.f !== 'txn') throw unknownFunction('multi-register (Knossos semantics)', op, ['txn']);
  let values: Map<string, readonly [unknown, unknown]> | null = null;
  for (const [f, k, v] of mopsOf(op)) {
    const slot = clojureKey(k);
    if (f === 'read') {
      const current = (values ?? state.values).get(slot)?.[1] ?? null;
      if (!isNil(v) && !clojureEqual(v, current)) return STEP_ILLEGAL;
    } else if (f === 'write') {
      values ??= new Map(state.values);
      if (isNil(v)) values.delete(slot);
      else values.set(slot, [k, v]);
    } else {
      throw new Error(`model multi-register: op ${op.id}: micro-op f ${JSON.stringify(f)}; valid: read, write`);
    }
  }
  return { ok: true, state: values === null ? state : makeState(values) };
}

/**
 * knossosMultiRegisterModel is `(knossos.model/multi-register init)`: txns of [:read k v] and
 * [:write k v] over registers named by key; nil reads are always legal. Txns span keys, so
 * there is no partition.
 */
export function knossosMultiRegisterModel(init: unknown = null): Model<MultiRegisterState> {
  const initial = initState(init);
  return {
    name: 'multi-register',
    semantics: 'knossos',
    initArg: init,
    init: () => initial,
    step: multiRegisterTxnStep,
    stateKey: (state) => state.key,
    readOnly: (op) => op.f === 'txn' && mopsOf(op).every(([f]) => f === 'read'),
    describeOperation(op) {
      const info = op.outcome === 'info' ? ' (info)' : '';
      const mops = mopsOf(op).map(([f, k, v]) => `[${String(f)} ${showValue(k)} ${showValue(v)}]`);
      return `txn ${mops.join(' ')}${info}`;
    },
    describeState(state) {
      const parts = [...state.values.values()].map(([k, v]) => `${showValue(k)} = ${showValue(v)}`);
      return parts.length === 0 ? 'every register nil' : parts.join(', ');
    },
  };
}
