// history/op-record.ts — validate a parsed record (JSON object or EDN map) into an Op.
import { HistoryParseError, describeFound } from './errors.ts';
import type { LineSink } from './position-runs.ts';
import { OP_TYPES, isOpType, type Op, type OpKey, type Process, type Stamp } from './op.ts';

/** RecordSyntax selects how field names are quoted in errors and how lenient `error` is. */
export type RecordSyntax = 'json' | 'edn';

/** OpProblem: what an OpCheck expected of an op, and what it found instead. */
export interface OpProblem {
  expected: string;
  got: unknown;
}

/**
 * OpCheck inspects every op of a history in file order, after its fields are valid; it may keep
 * state (pending invokes, say). A problem it returns is reported at the op's line.
 */
export type OpCheck = (op: Op, syntax: RecordSyntax) => OpProblem | undefined;

/** ReadHooks: what a history reader's caller gets or demands beside the ops: each op's 1-based line, an extra per-op check. */
export interface ReadHooks {
  lines?: LineSink;
  check?: OpCheck;
}

/** RecordContext locates a record for errors and supplies the index used when it has none. */
export interface RecordContext {
  file: string;
  line: number;
  /** indexDefault is the op's position in the history, used when the record has no index. */
  indexDefault: number;
  syntax: RecordSyntax;
  /** check: what a reader's caller also demands of each op (e.g. txn shapes). */
  check?: OpCheck;
}

type Fields = Record<string, unknown>;

/**
 * opFromRecord checks one record and builds an Op with fields in a fixed order. Required:
 * type (invoke|ok|fail|info), process (non-negative integer or "nemesis"), f (non-empty string).
 * Optional, checked when present: index (non-negative integer), time (finite number),
 * key (string or number), node (string), error (string; in EDN any other value is
 * JSON-stringified and nil means none), stamp (null or [clock, node]). value is copied as is.
 * Other fields are ignored.
 */
export function opFromRecord(record: unknown, ctx: RecordContext): Op {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    const what = ctx.syntax === 'json' ? 'a JSON object (one op per line)' : 'a map (one op)';
    throw fail(ctx, what, record);
  }
  const rec = record as Fields;
  const { type, process, f, time } = rec;
  if (!isOpType(type)) throw badField(ctx, 'type', `to be one of ${OP_TYPES.join('|')}`, type);
  if (!isProcess(process)) {
    const nemesis = ctx.syntax === 'json' ? '"nemesis"' : ':nemesis';
    throw badField(ctx, 'process', `to be a non-negative integer or ${nemesis}`, process);
  }
  if (typeof f !== 'string' || f.length === 0) {
    throw badField(ctx, 'f', 'to be a non-empty string', f);
  }
  let index = ctx.indexDefault;
  if (rec.index !== undefined) {
    if (!isIndex(rec.index)) {
      throw badField(ctx, 'index', 'to be a non-negative integer', rec.index);
    }
    index = rec.index;
  }
  if (time !== undefined && (typeof time !== 'number' || !Number.isFinite(time))) {
    throw badField(ctx, 'time', 'to be a finite number', time);
  }
  // Fields go in one fixed order: index, time, type, process, f, key, value, node, error, stamp.
  const op: Op = time === undefined
    ? { index, type, process, f }
    : { index, time, type, process, f };
  if (rec.key !== undefined) {
    if (!isKey(rec.key)) throw badField(ctx, 'key', 'to be a string or a number', rec.key);
    op.key = rec.key;
  }
  if (rec.value !== undefined) op.value = rec.value;
  if (rec.node !== undefined) {
    if (typeof rec.node !== 'string') throw badField(ctx, 'node', 'to be a string', rec.node);
    op.node = rec.node;
  }
  const error = errorText(rec.error, ctx.syntax);
  if (error === false) throw badField(ctx, 'error', 'to be a string', rec.error);
  if (error !== undefined) op.error = error;
  if (rec.stamp !== undefined) {
    if (!isStamp(rec.stamp)) throw badField(ctx, 'stamp', 'to be null or [clock, node] (a non-negative integer and a string)', rec.stamp);
    op.stamp = rec.stamp;
  }
  const problem = ctx.check?.(op, ctx.syntax);
  if (problem !== undefined) throw fail(ctx, problem.expected, problem.got);
  return op;
}

// badField names the field the way the input spells it: "type" in JSON, :type in EDN.
function badField(
  ctx: RecordContext, name: string, expectation: string, got: unknown,
): HistoryParseError {
  const spelled = ctx.syntax === 'json' ? `"${name}"` : `:${name}`;
  return fail(ctx, `${spelled} ${expectation}`, got);
}

function fail(ctx: RecordContext, expected: string, got: unknown): HistoryParseError {
  return new HistoryParseError(ctx.file, ctx.line, expected, describeFound(got));
}

function isProcess(value: unknown): value is Process {
  return value === 'nemesis' || isIndex(value);
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isStamp(value: unknown): value is Stamp | null {
  return value === null || (Array.isArray(value) && value.length === 2 && isIndex(value[0]) && typeof value[1] === 'string');
}

function isKey(value: unknown): value is OpKey {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

// errorText: undefined = no error field, false = invalid for this syntax.
function errorText(value: unknown, syntax: RecordSyntax): string | undefined | false {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (syntax === 'json') return false;
  if (value === null) return undefined;
  return JSON.stringify(value);
}
