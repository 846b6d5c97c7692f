// checker/models/cas-register.ts — a register with compare-and-set (Knossos's cas-register).
import type { Model, StepResult } from '../types.ts';
import type { Operation } from '../../history/op.ts';
import {
  casPair,
  describeRegisterOp,
  inputCheck,
  showValue,
  STEP_ILLEGAL,
  unknownFunction,
  valueKey,
  valuesEqual,
  casRegisterFlow,
} from './values.ts';

/** CAS_REGISTER_FS: the functions a cas register steps. */
export const CAS_REGISTER_FS = ['read', 'write', 'cas'] as const;

/**
 * casRegisterStep is Knossos's semantics: an ok cas happened, so the state equalled the expected
 * value; an info cas may have happened, so it changes the state iff the expected value matches.
 */
export function casRegisterStep(model: string, state: unknown, op: Operation): StepResult<unknown> {
  if (op.f === 'read') {
    if (op.outcome === 'info' || valuesEqual(op.output, state)) return { ok: true, state };
    return STEP_ILLEGAL;
  }
  if (op.f === 'write') return { ok: true, state: op.input };
  if (op.f === 'cas') {
    const [expected, next] = casPair(op);
    if (valuesEqual(expected, state)) return { ok: true, state: next };
    return op.outcome === 'info' ? { ok: true, state } : STEP_ILLEGAL;
  }
  throw unknownFunction(model, op, CAS_REGISTER_FS);
}

/** casRegisterModel: read/write/cas with value [expected, new]; init defaults to null. */
export function casRegisterModel(init: unknown = null): Model<unknown> {
  return {
    name: 'cas-register',
    initArg: init,
    init: () => init,
    step: (state, op) => casRegisterStep('cas-register', state, op),
    stateKey: valueKey,
    readOnly: (op) => op.f === 'read',
    valueFlow: casRegisterFlow,
    checkInput: inputCheck('cas-register', CAS_REGISTER_FS),
    describeOperation: describeRegisterOp,
    describeState: (state) => `register = ${showValue(state)}`,
  };
}
