// history/jsonl.ts — read and write history.jsonl, one op per line, streamed both ways.
import { close as closeCb, fstatSync, fsync as fsyncCb, ftruncateSync, open as openCb, statSync, writeSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describeFound, HistoryParseError } from './errors.ts';
import { CanonicalOpScanner } from './jsonl-scan.ts';
import { checkJsonDepth } from './limits.ts';
import { isStdinPath, openText, readLines, type TextInput } from './lines.ts';
import { opFromRecord, type OpCheck, type ReadHooks } from './op-record.ts';
import { isOpType, type Op } from './op.ts';

const openFd = promisify(openCb);
const fsyncFd = promisify(fsyncCb);
const closeFd = promisify(closeCb);

/** CHUNK_BYTES is how much of the file one read takes; lines never straddle a batch. */
const CHUNK_BYTES = 1 << 22;
const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * readJsonlOps streams and validates the ops of a JSONL history (see op-record.ts for the
 * rules). Blank lines are skipped; anything else that is not a valid op, including a torn last
 * line or one nested deeper than VALUE_DEPTH_MAX, is a HistoryParseError. An op without
 * "index" gets its position in the file. `hooks.lines` receives each op's line number;
 * `hooks.check` inspects every op as well (see OpCheck).
 */
export async function* readJsonlOps(input: TextInput, hooks: ReadHooks = {}): AsyncGenerator<Op> {
  if (isRegularFile(input)) {
    for await (const batch of readJsonlBatches(input, hooks)) yield* batch;
    return;
  }
  yield* readJsonlText(input, hooks);
}

/** isRegularFile: a path to a regular file, which may be opened again (unlike a pipe or stdin). */
export function isRegularFile(input: TextInput): input is string {
  if (typeof input !== 'string' || isStdinPath(input)) return false;
  try {
    return statSync(input).isFile();
  } catch {
    return false;
  }
}

/**
 * readJsonlBatches is readJsonlOps a chunk of the file at a time, for readers that want every
 * op: one await per 4 MiB instead of one per line. Lines end at LF, CRLF or a lone CR, as with
 * readline; a leading BOM is skipped. Lines in the canonical shape serializeOp writes are read
 * from the bytes (jsonl-scan.ts); any other line goes through JSON.parse and opFromRecord.
 */
export async function* readJsonlBatches(path: string, hooks: ReadHooks = {}): AsyncGenerator<Op[]> {
  const reader = new JsonlChunkReader(path, hooks);
  for await (const { bytes, end, atEof } of wholeLineChunks(path)) {
    const batch: Op[] = [];
    reader.lines(bytes, end, atEof, (op) => batch.push(op));
    if (batch.length > 0) yield batch;
  }
}

/**
 * forEachJsonlOp is readJsonlBatches handing each op to `sink` as soon as it is read, so an op
 * the sink does not keep dies young (a batch of 40k ops would outlive a scavenge and be
 * promoted, which made GC a third of reading a million-op history).
 */
export async function forEachJsonlOp(path: string, hooks: ReadHooks, sink: (op: Op) => void): Promise<void> {
  const reader = new JsonlChunkReader(path, hooks);
  for await (const { bytes, end, atEof } of wholeLineChunks(path)) reader.lines(bytes, end, atEof, sink);
}

interface WholeLines {
  bytes: Buffer;
  end: number;
  atEof: boolean;
}

// wholeLineChunks reads the file CHUNK_BYTES at a time and yields bytes[0, end) ending at a line
// end (or the end of file); the buffer is reused, so each chunk is valid until the next one.
async function* wholeLineChunks(path: string): AsyncGenerator<WholeLines> {
  const file = await openFile(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let filled = 0;
    for (;;) {
      if (filled === buffer.length) {
        // One line longer than the buffer: grow it (doubling keeps the copying linear).
        const grown = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(grown, 0, 0, filled);
        buffer = grown;
      }
      const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, null);
      const end = filled + bytesRead;
      const atEof = bytesRead === 0;
      const cut = atEof ? end : buffer.lastIndexOf(NEWLINE, end - 1) + 1;
      if (cut > 0) yield { bytes: buffer, end: cut, atEof };
      if (atEof) return;
      buffer.copy(buffer, 0, cut, end);
      filled = end - cut;
    }
  } finally {
    await file.close();
  }
}

/** JsonlChunkReader turns whole lines of bytes into ops, counting lines across chunks. */
class JsonlChunkReader {
  private readonly scanner = new CanonicalOpScanner();
  private line = 0;
  private count = 0;
  private first = true;

  constructor(private readonly path: string, private readonly hooks: ReadHooks = {}) {}

  /** lines parses bytes[0, end) into `sink`: whole lines, the last one unterminated only at the end of file. */
  lines(bytes: Buffer, end: number, atEof: boolean, sink: (op: Op) => void): void {
    let start = 0;
    if (this.first && end >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
    if (end > 0) this.first = false;
    const { scanner, hooks } = this;
    while (start < end) {
      // A canonical op needs no search for its line end: it is the byte after its closing brace.
      const scanned = scanner.scanFrom(bytes, start, end);
      if (scanned !== undefined) {
        const after = scanner.stop;
        const next = after < end && bytes[after] === NEWLINE ? after + 1
          : after + 1 < end && bytes[after] === CR && bytes[after + 1] === NEWLINE ? after + 2
            : after === end && atEof ? end : -1;
        if (next >= 0) {
          this.line += 1;
          const problem = hooks.check?.(scanned, 'json');
          if (problem !== undefined) throw new HistoryParseError(this.path, this.line, problem.expected, describeFound(problem.got));
          hooks.lines?.push(this.line);
          this.count += 1;
          sink(scanned);
          start = next;
          continue;
        }
      }
      let stop = bytes.indexOf(NEWLINE, start);
      if (stop < 0 || stop >= end) {
        if (!atEof) throw new Error('JsonlChunkReader: a chunk must end with a newline');
        stop = end;
      }
      const next = stop + 1;
      if (stop > start && bytes[stop - 1] === CR) stop--;
      this.line += 1;
      const op = stop > start ? this.scanner.scan(bytes, start, stop) : undefined;
      if (op !== undefined) {
        const problem = this.hooks.check?.(op, 'json');
        if (problem !== undefined) throw new HistoryParseError(this.path, this.line, problem.expected, describeFound(problem.got));
        this.hooks.lines?.push(this.line);
        this.count += 1;
        sink(op);
      } else if (stop > start) {
        this.general(bytes.toString('utf8', start, stop), sink);
      }
      start = next;
    }
  }

  // general is the path for every line the scanner does not take; a lone CR also ends a line.
  private general(decoded: string, sink: (op: Op) => void): void {
    const pieces = decoded.includes('\r') ? decoded.split('\r') : [decoded];
    this.line -= 1;
    for (const text of pieces) {
      this.line += 1;
      if (text.trim().length === 0) continue;
      const op = parseJsonlLine(text, this.path, this.line, this.count, this.hooks.check);
      this.hooks.lines?.push(this.line);
      this.count += 1;
      sink(op);
    }
  }
}

// readJsonlText reads a history that can be read only once (stdin, a pipe, a FIFO, a sniffed source).
async function* readJsonlText(input: TextInput, hooks: ReadHooks): AsyncGenerator<Op> {
  const source = openText(input);
  let count = 0;
  for await (const { text, line } of readLines(source)) {
    if (text.trim().length === 0) continue;
    const op = parseJsonlLine(text, source.name, line, count, hooks.check);
    hooks.lines?.push(line);
    yield op;
    count += 1;
  }
}

/** parseJsonlLine reads one non-blank line: depth-bounded JSON, then a validated op. */
function parseJsonlLine(text: string, file: string, line: number, indexDefault: number, check: OpCheck | undefined): Op {
  checkJsonDepth(text, file, line);
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text;
    throw new HistoryParseError(file, line, 'a JSON object (one op per line)', JSON.stringify(shown));
  }
  return opFromRecord(record, { file, line, indexDefault, syntax: 'json', check });
}

/** serializeOp renders one op as its JSONL line (no newline), fields in the canonical order. */
export function serializeOp(op: Op): string {
  if (!isOpType(op.type)) throw new Error(`serializeOp: bad type ${String(op.type)}`);
  if (!Number.isSafeInteger(op.index) || op.index < 0) {
    throw new Error(`serializeOp: bad index ${op.index}`);
  }
  return JSON.stringify({
    index: op.index, time: op.time, type: op.type, process: op.process, f: op.f,
    key: op.key, value: op.value, node: op.node, error: op.error, stamp: op.stamp,
  });
}

/** HistoryWriterOptions: `append` keeps an existing file; the others bound unflushed data. */
export interface HistoryWriterOptions {
  append?: boolean;
  /** flushIntervalMs: the longest an appended op waits in memory while the event loop runs. */
  flushIntervalMs?: number;
  /** bufferBytesMax: flush at once when this much is buffered (also bounds a sync burst). */
  bufferBytesMax?: number;
  /** onFailure is called once, as soon as a write fails (a full disk), even inside the timer. */
  onFailure?: (error: unknown) => void;
}

/**
 * HistoryWriter appends ops to a JSONL file as they happen. Lines are buffered and written
 * whole by one synchronous write loop per flush, at most `flushIntervalMs` (20) after the
 * first unflushed append, when the buffer passes `bufferBytesMax`, and on flush()/close().
 * A crash therefore loses at most the last interval and leaves a prefix of complete lines
 * (barring a crash inside the write itself). Writes are synchronous so the order on disk is
 * exactly the append order and no flush can interleave with another. A write error in the
 * timer's flush is kept and thrown by the next append, flush or close (never lost, never an
 * uncaught exception inside a timer), and reported at once to `onFailure`. A failed write is
 * cut back to its last whole line, so the file stays a checkable prefix. Until close, a process
 * 'exit' hook flushes what is buffered, so process.exit() or an uncaught exception still leaves
 * every appended line.
 */
export class HistoryWriter {
  private chunks: string[] = [];
  private bytesBuffered = 0;
  private timer: NodeJS.Timeout | undefined;
  private fd: number | undefined;
  private appended = 0;
  /** fileBytes: bytes on disk, always ending with a whole line. */
  private fileBytes = 0;
  private failure: unknown;
  private readonly onExit = (): void => this.flushKeepingFailure();
  private readonly flushIntervalMs: number;
  private readonly bufferBytesMax: number;
  private readonly onFailure: ((error: unknown) => void) | undefined;

  private constructor(readonly path: string, fd: number, opts: HistoryWriterOptions) {
    this.fd = fd;
    this.flushIntervalMs = opts.flushIntervalMs ?? 20;
    this.bufferBytesMax = opts.bufferBytesMax ?? 1 << 20;
    this.onFailure = opts.onFailure;
    if (!(this.flushIntervalMs > 0)) throw new Error('HistoryWriter: flushIntervalMs must be > 0');
    if (!(this.bufferBytesMax > 0)) throw new Error('HistoryWriter: bufferBytesMax must be > 0');
    process.on('exit', this.onExit);
  }

  /** open creates (or truncates; with `append`, extends) the file at `path`. */
  static async open(path: string, opts: HistoryWriterOptions = {}): Promise<HistoryWriter> {
    const fd = await openFd(path, opts.append === true ? 'a' : 'w');
    const writer = new HistoryWriter(path, fd, opts);
    if (opts.append === true) writer.fileBytes = fstatSync(fd).size;
    return writer;
  }

  /** count is the number of ops appended so far (flushed or not). */
  get count(): number {
    return this.appended;
  }

  /** append buffers one op; it reaches the file within flushIntervalMs. */
  append(op: Op): void {
    if (this.fd === undefined) throw new Error(`HistoryWriter: append after close (${this.path})`);
    this.throwFailure();
    const line = `${serializeOp(op)}\n`;
    this.chunks.push(line);
    this.bytesBuffered += line.length;
    this.appended += 1;
    if (this.bytesBuffered >= this.bufferBytesMax) {
      this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flushKeepingFailure(), this.flushIntervalMs);
      // The timer must not keep a finished process alive; close() flushes the rest.
      this.timer.unref();
    }
  }

  /** flush writes every buffered line to the file now (to the OS; close() also fsyncs). */
  flush(): void {
    this.throwFailure();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.chunks.length === 0 || this.fd === undefined) return;
    const data = Buffer.from(this.chunks.join(''), 'utf8');
    this.chunks = [];
    this.bytesBuffered = 0;
    let offset = 0;
    try {
      // Each writeSync writes at least one byte or throws, so this loop ends.
      while (offset < data.length) {
        const written = writeSync(this.fd, data, offset, data.length - offset);
        if (written <= 0) throw new Error(`HistoryWriter: write returned ${written} (${this.path})`);
        offset += written;
      }
    } catch (error) {
      this.failed(error, data.subarray(0, offset).lastIndexOf(0x0a) + 1);
      throw error;
    }
    this.fileBytes += data.length;
  }

  // failed keeps the first failure, cuts a torn line off the file and reports it once.
  private failed(error: unknown, wholeBytes: number): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.fileBytes += wholeBytes;
    try {
      if (this.fd !== undefined) ftruncateSync(this.fd, this.fileBytes);
    } catch {
      // Truncating frees space, so it rarely fails; a torn last line is then left for readers to name.
    }
    this.onFailure?.(error);
  }

  /** close flushes, fsyncs and closes the file; calling it again does nothing. */
  async close(): Promise<void> {
    if (this.fd === undefined) return;
    const fd = this.fd;
    try {
      this.flush();
      await fsyncFd(fd);
    } finally {
      this.fd = undefined;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      process.off('exit', this.onExit);
      await closeFd(fd);
    }
  }

  private flushKeepingFailure(): void {
    try {
      this.flush();
    } catch {
      // Kept in this.failure by flush: thrown by the next append, flush or close.
    }
  }

  private throwFailure(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}

/** writeJsonlOps writes `ops` to `path` (replacing it) and returns how many were written. */
export async function writeJsonlOps(
  path: string, ops: Iterable<Op> | AsyncIterable<Op>,
): Promise<number> {
  const writer = await HistoryWriter.open(path);
  try {
    for await (const op of ops) writer.append(op);
  } finally {
    await writer.close();
  }
  return writer.count;
}
