// rsm/runtime/shape-checks.ts — composable checks of a parsed JSON value's shape, each naming where it is wrong.
//
// A Check answers why the value at path `at` is not what was expected, or null when it is. The
// tables built from them (peer-messages.ts) are typed with FieldChecks/VariantChecks against each
// protocol's own message types, so the compiler demands one check for every field of every
// message and refuses a check for a field the type does not have: the tables cannot drift.
// Checks walk the expected shape, not the value, so they never recurse deeper than a table.
import type { NodeId } from '../core/types.ts';

/** CheckContext: what a check may compare against besides the value (the cluster's replicas). */
export interface CheckContext {
  /** replicas: the ids a message may name as a replica (a view's primary and backup). */
  replicas: ReadonlySet<NodeId>;
}

/** Check: why `value` (found at path `at`) is malformed, or null. */
export type Check = (value: unknown, at: string, ctx: CheckContext) => string | null;

/** FieldChecks<T>: one Check per field of T, optional fields included, and no others. */
export type FieldChecks<T> = { readonly [K in keyof T]-?: Check };

/** VariantChecks<M>: the FieldChecks of every variant of a union tagged by `type`, keyed by the tag. */
export type VariantChecks<M extends { type: string }> = {
  readonly [T in M['type']]: FieldChecks<Omit<Extract<M, { type: T }>, 'type'>>;
};

/**
 * COUNT_MAX bounds every count a peer sends (terms, epochs, views, indexes): 2^48 is beyond any
 * counter an honest node reaches, and leaves room for a node adding to one or multiplying it by
 * the cluster size (an async-backup takeover) to stay an exact integer.
 */
export const COUNT_MAX = 2 ** 48;

type Fields = Record<string, unknown>;

function isFields(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** count: an integer in 0..COUNT_MAX. */
export const count: Check = (v, at) =>
  (Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= COUNT_MAX ? null : `${at} must be an integer in 0..2^48`);

export const bool: Check = (v, at) => (typeof v === 'boolean' ? null : `${at} must be a boolean`);

export const str: Check = (v, at) => (typeof v === 'string' ? null : `${at} must be a string`);

/** anyJson: a value the node carries without interpreting it (a written value); the frame bounded its depth. */
export const anyJson: Check = (v, at) => (v === undefined ? `${at} is missing` : null);

/** replicaId: the id of one of the cluster's replicas, so a node never sends to a stranger. */
export const replicaId: Check = (v, at, ctx) =>
  (typeof v === 'string' && ctx.replicas.has(v) ? null : `${at} must be one of the replicas ${[...ctx.replicas].join(', ')}`);

export function nullable(check: Check): Check {
  return (v, at, ctx) => (v === null ? null : check(v, at, ctx));
}

/** optional: a field that may be absent (but not malformed when present). */
export function optional(check: Check): Check {
  return (v, at, ctx) => (v === undefined ? null : check(v, at, ctx));
}

export function arrayOf(check: Check): Check {
  return (v, at, ctx) => {
    if (!Array.isArray(v)) return `${at} must be an array`;
    for (let i = 0; i < v.length; i += 1) {
      const why = check(v[i], `${at}[${i}]`, ctx);
      if (why !== null) return why;
    }
    return null;
  };
}

/** tuple: an array of exactly checks.length elements, each with its own check. */
export function tuple(...checks: Check[]): Check {
  return (v, at, ctx) => {
    if (!Array.isArray(v) || v.length !== checks.length) return `${at} must be an array of ${checks.length}`;
    for (let i = 0; i < checks.length; i += 1) {
      const why = checks[i](v[i], `${at}[${i}]`, ctx);
      if (why !== null) return why;
    }
    return null;
  };
}

/** fieldsError checks each field of an object; extra fields are ignored (no core reads them). */
function fieldsError(v: Fields, checks: Readonly<Record<string, Check>>, at: string, ctx: CheckContext): string | null {
  for (const [field, check] of Object.entries(checks)) {
    const value = Object.hasOwn(v, field) ? v[field] : undefined;
    const why = check(value, `${at}.${field}`, ctx);
    if (why !== null) return value === undefined ? `${at}.${field} is missing` : why;
  }
  return null;
}

/**
 * fields: an object with the given fields; `rule` then checks what relates fields to each
 * other (a view's primary is not its backup) and says why it is broken, or null.
 */
export function fields<T>(checks: FieldChecks<T>, rule?: (v: T) => string | null): Check {
  return (v, at, ctx) => {
    if (!isFields(v)) return `${at} must be an object`;
    const why = fieldsError(v, checks, at, ctx);
    if (why !== null || rule === undefined) return why;
    const broken = rule(v as T);
    return broken === null ? null : `${at}: ${broken}`;
  };
}

/**
 * oneOf: an object whose `type` is one of the variants, with that variant's fields. At the top
 * of a message (`at` empty) paths start with the type: "AppendEntries.prevIndex".
 */
export function oneOf<M extends { type: string }>(variants: VariantChecks<M>): Check {
  const table = variants as Readonly<Record<string, Readonly<Record<string, Check>>>>;
  const names = Object.keys(table);
  return (v, at, ctx) => {
    // hasOwn, not `in`: a type "constructor" or "__proto__" must not find Object.prototype's.
    if (!isFields(v) || typeof v.type !== 'string' || !Object.hasOwn(table, v.type)) {
      if (names.length === 0) return 'expected no message at all';
      return at === '' ? `expected a message of type ${names.join(', ')}` : `${at}.type must be one of ${names.join(', ')}`;
    }
    return fieldsError(v, table[v.type], at === '' ? v.type : at, ctx);
  };
}
