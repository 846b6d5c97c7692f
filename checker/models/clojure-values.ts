// checker/models/clojure-values.ts — Clojure's `=` and Knossos's op value, for histories read from EDN.
import type { Operation } from '../../history/op.ts';
import { valueKey } from './values.ts';

/**
 * clojureEqual is Clojure's `=` on EDN read as JSON (history/edn.ts): nil is null or
 * undefined; vectors, lists and sets are arrays compared element by element; maps are equal
 * when they hold the same keys with equal values, whatever their order. What the JSON shape
 * has lost cannot be told apart here: 1 and 1.0, a keyword and a string of the same name, a
 * set and a vector of the same elements in the same order.
 */
export function clojureEqual(a: unknown, b: unknown): boolean {
  // An explicit stack: values may nest deeply, and checkers never recurse (STYLE.md §11).
  const stack: [unknown, unknown][] = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    if (x === y) continue;
    if (x === null || x === undefined || y === null || y === undefined) {
      if ((x ?? null) !== (y ?? null)) return false;
      continue;
    }
    if (typeof x !== 'object' || typeof y !== 'object') return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) stack.push([x[i], y[i]]);
      continue;
    }
    const xs = x as Record<string, unknown>;
    const ys = y as Record<string, unknown>;
    const keys = Object.keys(xs);
    if (keys.length !== Object.keys(ys).length) return false;
    for (const key of keys) {
      if (!Object.hasOwn(ys, key)) return false;
      stack.push([xs[key], ys[key]]);
    }
  }
  return true;
}

/**
 * clojureKey maps values that are clojureEqual to one string (and others to different ones):
 * map keys are sorted, nil is one tag. It memoises model states.
 */
export function clojureKey(value: unknown): string {
  return typeof value === 'object' && value !== null ? `j${JSON.stringify(value, sortedKeys)}` : valueKey(value);
}

// sortedKeys orders every map's keys, so maps equal under clojureEqual print alike.
function sortedKeys(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * knossosValue is the value Knossos steps its model with (knossos/history.clj `complete`):
 * an ok op's invocation takes its completion's value, so it is the completion's (nil when the
 * completion has none); an info or never-completed op keeps its invocation's value.
 */
export function knossosValue(op: Operation): unknown {
  return op.outcome === 'ok' ? op.output : op.input;
}

/** isNil is Clojure's nil? on a value read from EDN or JSON. */
export function isNil(value: unknown): boolean {
  return value === null || value === undefined;
}

/**
 * destructurePair is Clojure's `(let [[a b] v] ...)`: nil gives [nil nil], a shorter vector
 * pads with nil, a longer one keeps its first two. Anything else throws, as nth does.
 */
export function destructurePair(value: unknown, what: string): [unknown, unknown] {
  if (isNil(value)) return [null, null];
  if (!Array.isArray(value)) throw new Error(`${what}: expected a vector to destructure, got ${JSON.stringify(value)}`);
  return [value[0] ?? null, value[1] ?? null];
}
