// history/porcupine.ts — read Jepsen's op log lines (Porcupine's etcd test data) as Ops.
import { parseEdn } from './edn.ts';
import { HistoryParseError } from './errors.ts';
import { VALUE_DEPTH_MAX } from './limits.ts';
import { readLines, type TextInput, openText } from './lines.ts';
import { isOpType, OP_TYPES, type Op, type Process } from './op.ts';
import type { LineSink } from './position-runs.ts';

/** LOG_OP_PREFIX matches the logger prefix of jepsen.util/log-op lines. */
export const LOG_OP_PREFIX = /^INFO\s+jepsen\.util\s+-\s+/;
const OP_FIELDS = /^(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/;
// A bare keyword as the value of a fail/info line is the reason, e.g. `:timed-out`.
const KEYWORD_ONLY = /^:[^\s,()[\]{}";:][^\s,()[\]{}";]*$/;
const TYPE_KEYWORDS = OP_TYPES.map((type) => `:${type}`).join('|');

/**
 * readPorcupineOps streams the ops of a Jepsen log in the shape
 * `INFO  jepsen.util - <process> :<type> :<f> <value>` (TAB or spaces between fields).
 * <process> is an integer or :nemesis, <value> one EDN form. On a fail/info line a bare
 * keyword value is the reason: `:fail :read :timed-out` → {type:'fail', error:'timed-out'}
 * and `:info :cas :timed-out` → {type:'info', error:'timed-out'} (no value; the invoke has
 * it). Porcupine's own parser skips :info lines and leaves the op pending; an info op means
 * the same thing ("may have happened"), so we keep it. Lines without the jepsen.util prefix
 * are other log output and are skipped; a line with the prefix that is not a valid op is a
 * HistoryParseError. Ops get index = their order; there is no time. Values nest at most
 * VALUE_DEPTH_MAX deep. `lines`, when given, receives each op's line number.
 */
export async function* readPorcupineOps(input: TextInput, lines?: LineSink): AsyncGenerator<Op> {
  const source = openText(input);
  let count = 0;
  for await (const { text, line } of readLines(source)) {
    const prefix = LOG_OP_PREFIX.exec(text);
    if (prefix === null) continue;
    lines?.push(line);
    yield parseLogOp(text.slice(prefix[0].length).trim(), source.name, line, count);
    count += 1;
  }
}

/** parseLogOp parses the part of a log-op line after the logger prefix. */
export function parseLogOp(body: string, file: string, line: number, index: number): Op {
  const m = OP_FIELDS.exec(body);
  if (m === null) {
    const expected = '"<process> :<type> :<f> <value>" after "INFO  jepsen.util - "';
    throw lineError(file, line, expected, body);
  }
  const [, processText, typeText, fText, valueText] = m;
  const process = parseProcess(processText);
  if (process === undefined) {
    throw lineError(file, line, 'a process number or :nemesis', processText);
  }
  const type = typeText.startsWith(':') ? typeText.slice(1) : '';
  if (!isOpType(type)) throw lineError(file, line, `:type to be one of ${TYPE_KEYWORDS}`, typeText);
  if (!fText.startsWith(':') || fText.length < 2) {
    throw lineError(file, line, 'a keyword :f such as :read', fText);
  }
  if (valueText === undefined) throw lineError(file, line, 'a value after the :f field', body);
  const op: Op = { index, type, process, f: fText.slice(1) };
  if ((type === 'fail' || type === 'info') && KEYWORD_ONLY.test(valueText)) {
    op.error = valueText.slice(1);
    return op;
  }
  op.value = parseValue(valueText, file, line);
  return op;
}

function lineError(file: string, line: number, expected: string, got: string): HistoryParseError {
  return new HistoryParseError(file, line, expected, JSON.stringify(got));
}

function parseProcess(text: string): Process | undefined {
  if (text === ':nemesis') return 'nemesis';
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseValue(text: string, file: string, line: number): unknown {
  let items;
  try {
    items = parseEdn(text, file, { depthMax: VALUE_DEPTH_MAX });
  } catch (e) {
    // The EDN reader counts lines within the value; report the log line instead.
    if (e instanceof HistoryParseError) {
      throw new HistoryParseError(file, line, `one EDN value (${e.expected})`, e.got);
    }
    throw e;
  }
  if (items.length !== 1) {
    const got = `${items.length} in ${JSON.stringify(text)}`;
    throw new HistoryParseError(file, line, 'exactly one EDN value', got);
  }
  return items[0].value;
}
