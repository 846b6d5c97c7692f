// control/arg-parsers.ts — commander argument parsers that name what was expected.
import { InvalidArgumentError } from 'commander';

/** parsePositiveSeconds is a commander argument parser for durations in seconds. */
export function parsePositiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidArgumentError(`expected a positive number of seconds, got "${value}"`);
  }
  return seconds;
}

/** parseJsonValue is a commander argument parser for JSON values (e.g. --init 0). */
export function parseJsonValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`expected a JSON value (e.g. 0, null, "x", [1,2]), got ${value}`);
  }
}

/** parsePositiveInt makes a commander argument parser for positive integers; errors name `flag`. */
export function parsePositiveInt(flag: string): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag}: expected a positive integer, got "${value}"`);
    return n;
  };
}
