// checker/elle/assert.ts — invariant checks: a failed assert is a checker bug, never caught.

/** assert throws when `condition` is false: the checker's own invariant broke. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`elle: assertion failed: ${message}`);
}
