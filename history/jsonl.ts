// history/jsonl.ts — read and write history.jsonl, one op per line, streamed both ways.
import { close as closeCb, fsync as fsyncCb, open as openCb, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { HistoryParseError } from './errors.ts';
import { readLines } from './lines.ts';
import { opFromRecord, type OpCheck } from './op-record.ts';
import { isOpType, type Op } from './op.ts';

const openFd = promisify(openCb);
const fsyncFd = promisify(fsyncCb);
const closeFd = promisify(closeCb);

/**
 * readJsonlOps streams and validates the ops of a JSONL history (see op-record.ts for the
 * rules). Blank lines are skipped; anything else that is not a valid op, including a torn last
 * line, is a HistoryParseError. An op without "index" gets its position in the file. `check`,
 * when given, inspects every op as well (see OpCheck).
 */
export async function* readJsonlOps(path: string, check?: OpCheck): AsyncGenerator<Op> {
  let count = 0;
  for await (const { text, line } of readLines(path)) {
    if (text.trim().length === 0) continue;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text;
      const expected = 'a JSON object (one op per line)';
      throw new HistoryParseError(path, line, expected, JSON.stringify(shown));
    }
    yield opFromRecord(record, { file: path, line, indexDefault: count, syntax: 'json', check });
    count += 1;
  }
}

/** serializeOp renders one op as its JSONL line (no newline), fields in the canonical order. */
export function serializeOp(op: Op): string {
  if (!isOpType(op.type)) throw new Error(`serializeOp: bad type ${String(op.type)}`);
  if (!Number.isSafeInteger(op.index) || op.index < 0) {
    throw new Error(`serializeOp: bad index ${op.index}`);
  }
  return JSON.stringify({
    index: op.index, time: op.time, type: op.type, process: op.process, f: op.f,
    key: op.key, value: op.value, node: op.node, error: op.error,
  });
}

/** HistoryWriterOptions: `append` keeps an existing file; the others bound unflushed data. */
export interface HistoryWriterOptions {
  append?: boolean;
  /** flushIntervalMs: the longest an appended op waits in memory while the event loop runs. */
  flushIntervalMs?: number;
  /** bufferBytesMax: flush at once when this much is buffered (also bounds a sync burst). */
  bufferBytesMax?: number;
}

/**
 * HistoryWriter appends ops to a JSONL file as they happen. Lines are buffered and written
 * whole by one synchronous write loop per flush, at most `flushIntervalMs` (20) after the
 * first unflushed append, when the buffer passes `bufferBytesMax`, and on flush()/close().
 * A crash therefore loses at most the last interval and leaves a prefix of complete lines
 * (barring a crash inside the write itself). Writes are synchronous so the order on disk is
 * exactly the append order and no flush can interleave with another. A write error in the
 * timer's flush is kept and thrown by the next append, flush or close (never lost, never an
 * uncaught exception inside a timer). Until close, a process 'exit' hook flushes what is
 * buffered, so process.exit() or an uncaught exception still leaves every appended line.
 */
export class HistoryWriter {
  private chunks: string[] = [];
  private bytesBuffered = 0;
  private timer: NodeJS.Timeout | undefined;
  private fd: number | undefined;
  private appended = 0;
  private failure: unknown;
  private readonly onExit = (): void => this.flushKeepingFailure();
  private readonly flushIntervalMs: number;
  private readonly bufferBytesMax: number;

  private constructor(readonly path: string, fd: number, opts: HistoryWriterOptions) {
    this.fd = fd;
    this.flushIntervalMs = opts.flushIntervalMs ?? 20;
    this.bufferBytesMax = opts.bufferBytesMax ?? 1 << 20;
    if (!(this.flushIntervalMs > 0)) throw new Error('HistoryWriter: flushIntervalMs must be > 0');
    if (!(this.bufferBytesMax > 0)) throw new Error('HistoryWriter: bufferBytesMax must be > 0');
    process.on('exit', this.onExit);
  }

  /** open creates (or truncates; with `append`, extends) the file at `path`. */
  static async open(path: string, opts: HistoryWriterOptions = {}): Promise<HistoryWriter> {
    const fd = await openFd(path, opts.append === true ? 'a' : 'w');
    return new HistoryWriter(path, fd, opts);
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
    // Each writeSync writes at least one byte or throws, so this loop ends.
    while (offset < data.length) {
      const written = writeSync(this.fd, data, offset, data.length - offset);
      if (written <= 0) throw new Error(`HistoryWriter: write returned ${written} (${this.path})`);
      offset += written;
    }
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
    } catch (e) {
      this.failure ??= e;
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
