// rsm/core/support.ts — small helpers shared by protocol cores: assert and option parsing.
import type { CoreConfig } from './types.ts';

/** assert crashes on a broken invariant: a failed assert is a bug, never caught. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

/**
 * intOption reads a positive integer tunable from config.options, or returns its default.
 * A malformed value is a configuration error, so it throws naming the option.
 */
export function intOption(config: CoreConfig, name: string, defaultValue: number): number {
  const raw = config.options[name];
  if (raw === undefined || raw === '') return defaultValue;
  const value = Number(raw);
  if (!(Number.isSafeInteger(value) && value > 0)) {
    throw new Error(`option ${name}: expected a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}
