// checker/models/multi-register.ts — independent registers, one per op.key (P-compositional).
import type { Model } from '../types.ts';
import { CAS_REGISTER_FS, casRegisterStep } from './cas-register.ts';
import { describeRegisterOp, inputCheck, partitionByKey, showValue, valueKey, casRegisterFlow } from './values.ts';

/**
 * multiRegisterModel: a map of registers (read/write/cas) keyed by op.key, each starting at
 * `init`. partition() splits by key, so the search only ever steps one key's ops against one
 * register value; the state is that value (like Porcupine's partitioned kvModel).
 */
export function multiRegisterModel(init: unknown = null): Model<unknown> {
  return {
    name: 'multi-register',
    initArg: init,
    init: () => init,
    step: (state, op) => casRegisterStep('multi-register', state, op),
    stateKey: valueKey,
    readOnly: (op) => op.f === 'read',
    valueFlow: casRegisterFlow,
    checkInput: inputCheck('multi-register', CAS_REGISTER_FS),
    partition: partitionByKey,
    describeOperation: (op) => `${describeRegisterOp(op)} [key ${showValue(op.key)}]`,
    describeState: (state) => `register = ${showValue(state)}`,
  };
}
