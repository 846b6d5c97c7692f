// checker/models/etcd.ts — Porcupine's etcdModel: one register with read/write/cas, init nil.
import type { Model, StepResult } from '../types.ts';
import type { Operation } from '../../history/op.ts';
import { casPair, describeRegisterOp, inputCheck, showValue, STEP_ILLEGAL, unknownFunction, valueKey, casRegisterFlow } from './values.ts';

const FS = ['read', 'write', 'cas'] as const;

/**
 * etcdModel follows Porcupine's etcdModel on numbers/nil. Failed cas ops never reach the
 * search (pairing drops every `fail`), so an ok cas needs expected == state; an info cas may
 * have happened: state = (expected == state ? new : state).
 */
export function etcdModel(init: unknown = null): Model<unknown> {
  return {
    name: 'etcd',
    initArg: init,
    init: () => init,
    step(state: unknown, op: Operation): StepResult<unknown> {
      if (op.f === 'read') {
        if (op.outcome === 'info' || (op.output ?? null) === state) return { ok: true, state };
        return STEP_ILLEGAL;
      }
      if (op.f === 'write') return { ok: true, state: op.input ?? null };
      if (op.f === 'cas') {
        const [expected, next] = casPair(op);
        if ((expected ?? null) === state) return { ok: true, state: next ?? null };
        return op.outcome === 'info' ? { ok: true, state } : STEP_ILLEGAL;
      }
      throw unknownFunction('etcd', op, FS);
    },
    stateKey: valueKey,
    readOnly: (op) => op.f === 'read',
    valueFlow: casRegisterFlow,
    checkInput: inputCheck('etcd', FS),
    describeOperation: describeRegisterOp,
    describeState: (state) => `register = ${showValue(state)}`,
  };
}
