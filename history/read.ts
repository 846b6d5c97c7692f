// history/read.ts — one entry point for every history format: detect, stream, read.
import { HistoryParseError } from './errors.ts';
import { forEachJsonlOp, isRegularFile, readJsonlOps } from './jsonl.ts';
import { readKnossosOps } from './knossos.ts';
import { openText, type TextInput, type TextSource } from './lines.ts';
import type { OpCheck } from './op-record.ts';
import type { Op } from './op.ts';
import type { LineSink } from './position-runs.ts';
import { OperationPairer, type PairOptions, type PairResult } from './pair.ts';
import { readPorcupineOps } from './porcupine.ts';

/**
 * HistoryFormat: our JSONL, EDN (Jepsen, Knossos, Porcupine kv) or a Jepsen op log
 * (Porcupine etcd).
 */
export type HistoryFormat = 'jsonl' | 'edn' | 'porcupine-etcd';

/** HistoryFormatName also accepts the aliases knossos, porcupine-kv (edn) and jepsen-log. */
export type HistoryFormatName = HistoryFormat | 'knossos' | 'porcupine-kv' | 'jepsen-log';

const FORMAT_ALIASES: Record<HistoryFormatName, HistoryFormat> = {
  jsonl: 'jsonl', edn: 'edn', knossos: 'edn', 'porcupine-kv': 'edn',
  'porcupine-etcd': 'porcupine-etcd', 'jepsen-log': 'porcupine-etcd',
};

/** HISTORY_FORMAT_NAMES lists every accepted format name (for CLI help). */
export const HISTORY_FORMAT_NAMES = Object.keys(FORMAT_ALIASES) as HistoryFormatName[];

/** parseHistoryFormat resolves a format name or alias; throws on an unknown name. */
export function parseHistoryFormat(name: string): HistoryFormat {
  const format = (FORMAT_ALIASES as Record<string, HistoryFormat | undefined>)[name];
  if (format === undefined) {
    const names = HISTORY_FORMAT_NAMES.join('|');
    throw new Error(`unknown history format "${name}": expected one of ${names}`);
  }
  return format;
}

/**
 * HistoryReadOptions: `format` skips detection; `lines` receives each op's 1-based line;
 * `check` inspects every op (jsonl and edn only).
 */
export interface HistoryReadOptions {
  format?: HistoryFormatName;
  lines?: LineSink;
  check?: OpCheck;
  /** onFormat hears the format once it is known (detected or given), before the first op. */
  onFormat?: (format: HistoryFormat) => void;
}

// A logger line: level, logger name, " - " (Jepsen's log4j layout).
const LOG_LINE = /^(INFO|WARN|ERROR|DEBUG|TRACE)\s+\S+\s+-\s/;
// detectFormat looks at no more of the first non-blank line than this.
const HEAD_CHARS_MAX = 200;

/**
 * detectFormat looks at the first non-blank line: `{"` → jsonl; `{:`, `[`, `(`, `#` or `;`
 * → edn; a log line (`INFO  jepsen.util - …`) → porcupine-etcd. An empty (or blank) file is
 * 'jsonl', a valid empty history. Anything else is a HistoryParseError. It reads chunks, not
 * lines, so a history written as one huge line is not loaded to decide.
 */
export async function detectFormat(input: TextInput): Promise<HistoryFormat> {
  const sniffed = await sniffFormat(openText(input));
  await sniffed.rest.close();
  return sniffed.format;
}

/** SniffedSource is a source whose format is known and whose text can still be read once. */
interface SniffedSource {
  format: HistoryFormat;
  rest: TextSource & { close(): Promise<void> };
}

// sniffFormat reads only as much of `source` as detection needs and hands back a source that
// replays what was read, then continues from the same open stream (read once: pipes work).
async function sniffFormat(source: TextSource): Promise<SniffedSource> {
  const iterator = source.chunks[Symbol.asyncIterator]();
  const seen: string[] = [];
  const close = async (): Promise<void> => { await iterator.return?.(); };
  let head: Head | undefined;
  try {
    head = await firstContent(source.name, iterator, seen);
  } catch (e) {
    await close();
    throw e;
  }
  const format = head === undefined ? 'jsonl' : formatOfHead(source.name, head);
  async function* replay(): AsyncGenerator<string> {
    try {
      yield* seen.splice(0);
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
        yield next.value;
      }
    } finally {
      await close();
    }
  }
  return { format, rest: { name: source.name, chunks: replay(), close } };
}

function formatOfHead(name: string, head: Head): HistoryFormat {
  const { text, line } = head;
  if (/^\{\s*"/.test(text) || /^\{\s*\}/.test(text)) return 'jsonl';
  if (/^(\{\s*:|[[(#;])/.test(text)) return 'edn';
  if (LOG_LINE.test(text)) return 'porcupine-etcd';
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  const expected = 'a history: JSONL (\'{"\'), EDN (\'{:\', \'[\' or \'(\') or a Jepsen log '
    + '(\'INFO  jepsen.util - \')';
  throw new HistoryParseError(name, line, expected, JSON.stringify(shown));
}

// firstContent returns the start of the first non-blank line (up to HEAD_CHARS_MAX characters,
// from its first non-blank character) and its 1-based line number; undefined for a blank file.
// Every chunk it takes from `chunks` is appended to `seen`, to be read again.
async function firstContent(
  name: string, chunks: AsyncIterator<string>, seen: string[],
): Promise<Head | undefined> {
  let pending = '';
  let newlinesSkipped = 0;
  for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) {
    seen.push(next.value);
    pending += next.value;
    const start = pending.search(/\S/);
    if (start < 0) {
      // All blank so far: count its lines and keep nothing, however long the blank run.
      newlinesSkipped += pending.split('\n').length - 1;
      pending = '';
      continue;
    }
    const lineEnd = pending.indexOf('\n', start);
    if (lineEnd < 0 && pending.length - start < HEAD_CHARS_MAX) continue;
    return headAt(pending, start, newlinesSkipped);
  }
  const start = pending.search(/\S/);
  return start < 0 ? undefined : headAt(pending, start, newlinesSkipped);
}

interface Head { text: string; line: number }

function headAt(text: string, start: number, newlinesBefore: number): Head {
  const newlines = text.slice(0, start).split('\n').length - 1;
  const lineEnd = text.indexOf('\n', start);
  const end = Math.min(lineEnd < 0 ? text.length : lineEnd, start + HEAD_CHARS_MAX);
  return { text: text.slice(start, end).trimEnd(), line: newlinesBefore + newlines + 1 };
}

/**
 * streamHistory yields the ops of a history of any supported format as it is read. `input`
 * is a path, `-` for stdin, or an open TextSource; it is opened and read exactly once.
 */
export async function* streamHistory(
  input: TextInput, opts: HistoryReadOptions = {},
): AsyncGenerator<Op> {
  const source = openText(input);
  const { format, rest } = opts.format === undefined
    ? await sniffFormat(source)
    : { format: parseHistoryFormat(opts.format), rest: source };
  const lines = opts.lines;
  opts.onFormat?.(format);
  switch (format) {
    case 'jsonl':
      yield* readJsonlOps(rest, { lines, check: opts.check });
      return;
    case 'edn':
      yield* readKnossosOps(rest, { lines, check: opts.check });
      return;
    case 'porcupine-etcd':
      if (opts.check !== undefined) throw new Error('streamHistory: a check applies to jsonl and edn histories only');
      yield* readPorcupineOps(rest, lines);
      return;
    default: {
      const never: never = format;
      throw new Error(`unhandled format ${String(never)}`);
    }
  }
}

/** readHistory reads a whole history into memory (use streamHistory for huge files). */
export async function readHistory(input: TextInput, opts: HistoryReadOptions = {}): Promise<Op[]> {
  const ops: Op[] = [];
  await forEachOp(input, opts, (op) => ops.push(op));
  return ops;
}

/**
 * readOperations reads and pairs a history in one pass (OperationPairer): the result
 * toOperations(await readHistory(input)) gives, without holding every op at once.
 */
export async function readOperations(input: TextInput, opts: HistoryReadOptions & PairOptions = {}): Promise<PairResult> {
  const pairer = new OperationPairer(opts);
  await forEachOp(input, opts, (op) => pairer.accept(op));
  return pairer.finish();
}

/** forEachOp hands every op of a history to `sink`, in file order (the fastest way to read one). */
export async function forEachOp(input: TextInput, opts: HistoryReadOptions, sink: (op: Op) => void): Promise<void> {
  if (isRegularFile(input)) {
    // A regular file may be opened twice: detect, then read JSONL 4 MiB at a time
    // (a million ops cost a few hundred awaits, not a million).
    const format = opts.format === undefined ? await detectFormat(input) : parseHistoryFormat(opts.format);
    if (format === 'jsonl') {
      opts.onFormat?.(format);
      await forEachJsonlOp(input, opts, sink);
      return;
    }
  }
  for await (const op of streamHistory(input, opts)) sink(op);
}
