// test/support/brute-force.ts — the exhaustive linearizability oracle the property tests compare
// our search against (Wing & Gong without pruning): every order of every subset of optional ops.

/** OracleEntry: an operation placed by the oracle; ok ops are `required`, info/pending ops optional. */
export interface OracleEntry {
  required: boolean;
  invoke: number;
  complete: number;
}

/** ILLEGAL: what a step returns when the op cannot take effect in that state. */
export const ILLEGAL = Symbol('illegal');

/**
 * linearizableByExhaustion: is there an order of all required ops and some optional ones, each
 * legal from `init`, where an op goes next only once every required op that completed before its
 * invoke is placed?
 */
export function linearizableByExhaustion<S, O extends OracleEntry>(ops: O[], init: S, step: (state: S, op: O) => S | typeof ILLEGAL): boolean {
  const placed = new Array<boolean>(ops.length).fill(false);
  const search = (state: S, requiredLeft: number): boolean => {
    if (requiredLeft === 0) return true;
    for (let i = 0; i < ops.length; i++) {
      if (placed[i]) continue;
      if (ops.some((other, j) => !placed[j] && other.required && other.complete < ops[i].invoke)) continue;
      const next = step(state, ops[i]);
      if (next === ILLEGAL) continue;
      placed[i] = true;
      const found = search(next, requiredLeft - (ops[i].required ? 1 : 0));
      placed[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(init, ops.filter((op) => op.required).length);
}
