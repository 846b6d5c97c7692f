// rsm/core/support.ts — option parsing shared by protocol cores.
import type { CoreConfig } from './types.ts';

/** TICK_MS_DEFAULT: a node's tick period when --tick-ms is not given (real nodes and the simulator alike). */
export const TICK_MS_DEFAULT = 10;

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

/** positiveInt parses a protocol's positive integer option text; `protocol` prefixes the error. */
export function positiveInt(protocol: string, name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${protocol}: ${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/** ticksRange parses a randomized timeout option: "MIN..MAX", or "N" for N..2N. */
export function ticksRange(protocol: string, name: string, text: string): [number, number] {
  const [lo, hi, ...rest] = text.split('..');
  if (rest.length > 0) throw new Error(`${protocol}: ${name} must be "MIN..MAX" or "N", got ${JSON.stringify(text)}`);
  const min = positiveInt(protocol, name, lo);
  const max = hi === undefined ? 2 * min : positiveInt(protocol, name, hi);
  if (max < min) throw new Error(`${protocol}: ${name} ${text}: MAX is below MIN`);
  return [min, max];
}

/** checkKnownBugs rejects bug names a protocol does not plant, so a typo does not test nothing. */
export function checkKnownBugs(protocol: string, known: readonly string[], bugs: ReadonlySet<string>): void {
  for (const bug of bugs) {
    if (!known.includes(bug)) throw new Error(`${protocol}: unknown bug ${JSON.stringify(bug)}; expected one of ${known.join(', ')}`);
  }
}
