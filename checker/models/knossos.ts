// checker/models/knossos.ts — Knossos's Register, CASRegister and Mutex, rule for rule (knossos/model.clj).
import type { Operation } from '../../history/op.ts';
import type { Model, StepResult, ValueFlow } from '../types.ts';
import { clojureEqual, clojureKey, destructurePair, isNil, knossosValue } from './clojure-values.ts';
import { showValue, STEP_ILLEGAL, unknownFunction } from './values.ts';

// These models step with the value Knossos would (knossosValue: the ok completion's, else
// the invocation's). They need no rule for info ops: the search may leave an info op
// unlinearized, as Knossos does, so an op illegal in a state simply cannot go there.

/**
 * knossosRegisterStep is `Register.step`: :write sets the value; :read is legal when its
 * value is nil ("we don't know what the read was") or equals the register's. Any other :f
 * throws, as condp does.
 */
function knossosRegisterStep(model: string, state: unknown, op: Operation): StepResult<unknown> {
  const value = knossosValue(op);
  if (op.f === 'write') return { ok: true, state: value ?? null };
  if (op.f === 'read') return isNil(value) || clojureEqual(state, value) ? { ok: true, state } : STEP_ILLEGAL;
  throw unknownFunction(model, op, ['read', 'write']);
}

/**
 * knossosCasRegisterStep is `CASRegister.step`: :write sets the value; :cas [cur new] sets
 * new when cur equals the value and is inconsistent otherwise; :read as in Register.
 */
function knossosCasRegisterStep(model: string, state: unknown, op: Operation): StepResult<unknown> {
  if (op.f !== 'cas') {
    if (op.f === 'read' || op.f === 'write') return knossosRegisterStep(model, state, op);
    throw unknownFunction(model, op, ['read', 'write', 'cas']);
  }
  const [current, next] = destructurePair(knossosValue(op), `model ${model}: op ${op.id} cas`);
  return clojureEqual(current, state) ? { ok: true, state: next } : STEP_ILLEGAL;
}

/** describeKnossosRegisterOp: "read 3", "read nil (any value)", "write 1", "cas 1->2", "(info)". */
export function describeKnossosRegisterOp(op: Operation): string {
  const info = op.outcome === 'info' ? ' (info)' : '';
  const value = knossosValue(op);
  if (op.f === 'read') {
    if (op.outcome !== 'ok') return `read ?${info}`;
    return isNil(value) ? 'read nil (any value)' : `read ${showValue(value)}`;
  }
  if (op.f === 'cas' && (isNil(value) || Array.isArray(value))) {
    const [current, next] = destructurePair(value, 'describe');
    return `cas ${showValue(current)}->${showValue(next)}${info}`;
  }
  return `${op.f} ${showValue(value)}${info}`;
}

/**
 * knossosRegisterFlow is Model.valueFlow on Knossos's rules: a read of nil needs nothing (it read
 * "some value"), another read needs its value, a write leaves its value, a cas needs cur, leaves new.
 */
function knossosRegisterFlow(op: Operation): ValueFlow {
  const value = knossosValue(op);
  if (op.f === 'read') return isNil(value) ? {} : { requires: clojureKey(value) };
  if (op.f === 'write') return { leaves: clojureKey(value ?? null) };
  if (op.f === 'cas') {
    const [current, next] = destructurePair(value, `op ${op.id} cas`);
    return { requires: clojureKey(current), leaves: clojureKey(next) };
  }
  return {};
}

function registerShaped(name: 'register' | 'cas-register', init: unknown, step: typeof knossosRegisterStep): Model<unknown> {
  return {
    name,
    semantics: 'knossos',
    initArg: init,
    init: () => init,
    step: (state, op) => step(name, state, op),
    stateKey: clojureKey,
    readOnly: (op) => op.f === 'read',
    valueFlow: knossosRegisterFlow,
    describeOperation: describeKnossosRegisterOp,
    describeState: (state) => `register = ${showValue(state)}`,
  };
}

/** knossosRegisterModel is `(knossos.model/register init)`; Knossos's default init is nil. */
export function knossosRegisterModel(init: unknown = null): Model<unknown> {
  return registerShaped('register', init, knossosRegisterStep);
}

/** knossosCasRegisterModel is `(knossos.model/cas-register init)`; Knossos's default init is nil. */
export function knossosCasRegisterModel(init: unknown = null): Model<unknown> {
  return registerShaped('cas-register', init, knossosCasRegisterStep);
}

/**
 * mutexModel is `Mutex.step` (knossos/model.clj): :acquire is legal only when free and locks;
 * :release is legal only when held and frees. It reads no values, so both semantics agree.
 */
export function mutexModel(): Model<boolean> {
  return {
    name: 'mutex',
    init: () => false,
    step(locked: boolean, op: Operation): StepResult<boolean> {
      if (op.f === 'acquire') return locked ? STEP_ILLEGAL : { ok: true, state: true };
      if (op.f === 'release') return locked ? { ok: true, state: false } : STEP_ILLEGAL;
      throw unknownFunction('mutex', op, ['acquire', 'release']);
    },
    stateKey: (locked) => (locked ? 'locked' : 'free'),
    describeOperation: (op) => `${op.f}${op.outcome === 'info' ? ' (info)' : ''}`,
    describeState: (locked) => (locked ? 'mutex held' : 'mutex free'),
  };
}
