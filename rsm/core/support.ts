// rsm/core/support.ts — option parsing shared by protocol cores.
import type { CoreConfig } from './types.ts';

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
