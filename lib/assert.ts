// lib/assert.ts — the one invariant check: a failed assert is a bug, crash and never catch.

/**
 * assert throws when `condition` is false: the caller's own invariant broke. A message that
 * interpolates values may be passed as a function: a template string is otherwise built (its
 * numbers formatted) on every call, which in a core's hot path costs more than the check.
 */
export function assert(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${typeof message === 'string' ? message : message()}`);
}
