// lib/json-copy.ts — what a JSON round trip of a value gives, without the text.

/**
 * jsonCopy returns JSON.parse(JSON.stringify(value)): the simulator passes client requests and
 * answers through it, as the real HTTP exchange does, so no object is shared between a client
 * and a node. Plain data (null, booleans, strings, finite numbers, arrays and plain objects of
 * them) is copied directly, a few times faster than the text; anything else — undefined, a
 * non-finite number, a class instance, toJSON — takes the text path, so the result is always
 * exactly the round trip's. Throws where JSON.stringify throws (a bigint, a cycle).
 */
export function jsonCopy<T>(value: T): T {
  const copy = plainCopy(value, 0);
  return copy === NOT_PLAIN ? (JSON.parse(JSON.stringify(value)) as T) : (copy as T);
}

/** NOT_PLAIN: what plainCopy returns when the value needs JSON's own rules. */
const NOT_PLAIN: unique symbol = Symbol('not plain JSON data');

/** DEPTH_MAX: deeper values take the text path (which then bounds them as JSON does). */
const DEPTH_MAX = 64;

function plainCopy(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // -0 becomes 0 in JSON text; NaN and ±Infinity become null (the text path says so).
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : NOT_PLAIN;
    case 'object':
      break;
    default:
      return NOT_PLAIN;
  }
  if (value === null) return null;
  if (depth >= DEPTH_MAX) return NOT_PLAIN;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i += 1) {
      // A hole reads as undefined, which JSON writes as null: the text path handles both.
      const item = plainCopy(value[i], depth + 1);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      out[i] = item;
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const source = value as Record<string, unknown>;
  if (typeof source.toJSON === 'function') return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(source)) {
    // An own "__proto__" key would set the copy's prototype here; JSON.parse makes it a property.
    if (key === '__proto__') return NOT_PLAIN;
    const item = plainCopy(source[key], depth + 1);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    out[key] = item;
  }
  return out;
}
