// checker/models/register.ts — a single read/write register.
import type { Model, StepResult } from '../types.ts';
import type { Operation } from '../../history/op.ts';
import { describeRegisterOp, inputCheck, showValue, STEP_ILLEGAL, unknownFunction, valueKey, valuesEqual, casRegisterFlow } from './values.ts';

const FS = ['read', 'write'] as const;

/** registerModel: read must return the current value; write sets it. Info reads are unconstrained. */
export function registerModel(init: unknown = null): Model<unknown> {
  return {
    name: 'register',
    initArg: init,
    init: () => init,
    step(state: unknown, op: Operation): StepResult<unknown> {
      if (op.f === 'read') {
        if (op.outcome === 'info' || valuesEqual(op.output, state)) return { ok: true, state };
        return STEP_ILLEGAL;
      }
      if (op.f === 'write') return { ok: true, state: op.input };
      throw unknownFunction('register', op, FS);
    },
    stateKey: valueKey,
    readOnly: (op) => op.f === 'read',
    valueFlow: casRegisterFlow,
    checkInput: inputCheck('register', FS),
    describeOperation: describeRegisterOp,
    describeState: (state) => `register = ${showValue(state)}`,
  };
}
