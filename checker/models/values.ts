// checker/models/values.ts — value equality, keys and text shared by the register-like models.
import { describeFound } from '../../history/errors.ts';
import type { InputProblem, ValueFlow } from '../types.ts';
import type { Operation } from '../../history/op.ts';

/** valuesEqual compares two JSON values; primitives by ===, structures by their JSON text. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return (a ?? null) === (b ?? null);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** valueKey is a cheap memoisation key for a JSON value; the type tag keeps 1 and "1" apart. */
export function valueKey(value: unknown): string {
  if (value === null || value === undefined) return 'n';
  switch (typeof value) {
    case 'number':
      return `d${value}`;
    case 'string':
      return `s${value}`;
    case 'boolean':
      return value ? 't' : 'f';
    default:
      return `j${JSON.stringify(value)}`;
  }
}

/** showValue renders a value for humans: nil for null, JSON otherwise. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** casPair reads a cas input [expected, new]; throws on anything else (a workload bug). */
export function casPair(op: Operation): [unknown, unknown] {
  const value = op.input;
  if (!Array.isArray(value) || value.length !== 2) {
    throw new Error(`op ${op.id}: cas expects [expected, new], got ${JSON.stringify(value)}`);
  }
  return [value[0], value[1]];
}

/**
 * inputCheck builds a Model.checkInput for a model that steps the functions `fs`:
 * f must be one of them, and a cas input must be [expected, new].
 */
export function inputCheck(model: string, fs: readonly string[]): (op: Operation) => InputProblem | undefined {
  return (op) => {
    if (!fs.includes(op.f)) {
      return { expected: `"f" to be one of ${fs.join(', ')} (model ${model})`, got: JSON.stringify(op.f) };
    }
    if (op.f === 'cas' && !(Array.isArray(op.input) && op.input.length === 2)) {
      return { expected: `a cas "value" [expected, new] (model ${model})`, got: describeFound(op.input) };
    }
    return undefined;
  };
}

/** unknownFunction is the error for an op the model does not define. */
export function unknownFunction(model: string, op: Operation, valid: readonly string[]): Error {
  return new Error(`model ${model}: op ${op.id} has f "${op.f}"; valid: ${valid.join(', ')}`);
}

/** describeRegisterOp gives "read 3", "write 1", "cas 1->2" with "(info)" for unknown outcomes. */
export function describeRegisterOp(op: Operation): string {
  const info = op.outcome === 'info' ? ' (info)' : '';
  if (op.f === 'read') return `read ${op.outcome === 'ok' ? showValue(op.output) : '?'}${info}`;
  if (op.f === 'cas' && Array.isArray(op.input) && op.input.length === 2) {
    return `cas ${showValue(op.input[0])}->${showValue(op.input[1])}${info}`;
  }
  return `${op.f} ${showValue(op.input)}${info}`;
}

/** partitionByKey groups ops by their key (ops without a key share one group), in op order. */
export function partitionByKey(ops: Operation[]): Operation[][] {
  const groups = new Map<unknown, Operation[]>();
  for (const op of ops) {
    const key = op.key ?? null;
    let group = groups.get(key);
    if (group === undefined) {
      group = [];
      groups.set(key, group);
    }
    group.push(op);
  }
  return [...groups.values()];
}

/** STEP_ILLEGAL is shared by models so an illegal step allocates nothing. */
export const STEP_ILLEGAL = Object.freeze({ ok: false, state: undefined as never });

/**
 * casRegisterFlow is Model.valueFlow for read/write/cas registers on our semantics: an ok read
 * needs the value it returned (an info read needs nothing), a write leaves its value, a cas (ok
 * or info) needs its expected value and leaves its new one.
 */
export function casRegisterFlow(op: Operation): ValueFlow {
  if (op.f === 'read') return op.outcome === 'ok' ? { requires: valueKey(op.output) } : {};
  if (op.f === 'write') return { leaves: valueKey(op.input) };
  if (op.f === 'cas') {
    const [expected, next] = casPair(op);
    return { requires: valueKey(expected), leaves: valueKey(next) };
  }
  return {};
}
