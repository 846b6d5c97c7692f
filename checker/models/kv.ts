// checker/models/kv.ts — Porcupine's kvModel: get/put/append on string values, partitioned by key.
import type { Model, StepResult } from '../types.ts';
import type { Operation } from '../../history/op.ts';
import { partitionByKey, inputCheck, showValue, STEP_ILLEGAL, unknownFunction } from './values.ts';
import { TextInterner, type InternedText } from './text-interner.ts';

export const KV_FS = ['get', 'put', 'append'] as const;

/** kvText reads a kv value: strings as-is, nil as "" (Porcupine's empty string). */
export function kvText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : String(value);
}

/** describeKvOp gives `get "x"`, `put "x"`, `append "x"` with the key. */
export function describeKvOp(op: Operation): string {
  const info = op.outcome === 'info' ? ' (info)' : '';
  const key = op.key === undefined ? '' : ` [key ${showValue(op.key)}]`;
  if (op.f === 'get') return `get ${op.outcome === 'ok' ? JSON.stringify(kvText(op.output)) : '?'}${key}${info}`;
  return `${op.f} ${JSON.stringify(kvText(op.input))}${key}${info}`;
}

/**
 * kvModel: per-key string state starting at `init` (""): get must return the state, put sets
 * it, append concatenates. partition() splits by key, so a state is one key's string. States
 * are interned texts, so the search compares them by id instead of hashing long strings.
 */
export function kvModel(init: unknown = ''): Model<InternedText> {
  const texts = new TextInterner();
  const initial = texts.of(kvText(init));
  return {
    name: 'kv',
    initArg: init,
    init: () => initial,
    step(state: InternedText, op: Operation): StepResult<InternedText> {
      if (op.f === 'get') {
        if (op.outcome === 'info' || texts.equals(state, kvText(op.output))) return state.legal;
        return STEP_ILLEGAL;
      }
      if (op.f === 'put') return texts.of(kvText(op.input)).legal;
      if (op.f === 'append') return texts.append(state, kvText(op.input)).legal;
      throw unknownFunction('kv', op, KV_FS);
    },
    readOnly: (op) => op.f === 'get',
    // Without a put, the value only grows by appends: a get can only see an extension of it.
    grows: (op) => op.f !== 'put',
    readReachable: (state, read) => texts.mayPrefix(state, kvText(read.output)),
    checkInput: inputCheck('kv', KV_FS),
    stateKey: (state) => String(state.id),
    stateId: (state) => state.id,
    partition: partitionByKey,
    describeOperation: describeKvOp,
    describeState: (state) => `value = ${JSON.stringify(state.text)}`,
  };
}
