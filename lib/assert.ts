// lib/assert.ts — the one invariant check: a failed assert is a bug, crash and never catch.

/** assert throws when `condition` is false: the caller's own invariant broke. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
