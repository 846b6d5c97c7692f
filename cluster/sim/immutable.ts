// cluster/sim/immutable.ts — messages and records shared by reference, made immutable so sharing cannot change a run.

/**
 * freezeDeep makes `value` and everything reachable from it immutable, and returns it. The
 * simulator passes peer messages and disk records by reference instead of copying them
 * (JSON copies were a third of its time); freezing is the aliasing guard: a core that mutates
 * what it sent, received or persisted throws (modules are strict mode), which crashes its node
 * and fails the run loudly instead of letting two nodes share state silently. An object
 * already frozen is not walked again, so a log entry resent in many AppendEntries costs once.
 */
export function freezeDeep<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (const item of value) freezeDeep(item);
  } else {
    for (const key in value) freezeDeep((value as Record<string, unknown>)[key]);
  }
  return value;
}
