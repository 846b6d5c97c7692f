// rsm/runtime/durable-log.ts — an append-only, checksummed, group-committed record file.
//
// Layout: a sequence of records, each [u32 length][u32 CRC32 of the payload][JSON payload],
// big-endian. open() replays every intact record and truncates a torn or corrupt tail (a crash
// in the middle of a write leaves one), logging how many bytes went at which offset.
// append() resolves only after the bytes are fsynced; appends that arrive while an fsync is in
// flight are written and fsynced together by the next one (group commit). reset() atomically
// replaces the whole file (temp file, fsync, rename, fsync dir), for snapshots and compaction.
// Records are bounded JSON (json-limits.ts): one nested past STORED_DEPTH_MAX is never written,
// and one found at open (not ours: corruption) ends the intact prefix like a bad checksum.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { encodeBoundedJson, JsonLimitError, parseBoundedJson, STORED_DEPTH_MAX } from './json-limits.ts';

/** FsyncMode: 'always' is durable; 'never' skips fsync and is UNSAFE (experiments, --bug no-fsync). */
export type FsyncMode = 'always' | 'never';

/** DurableLogOptions tunes one log. */
export interface DurableLogOptions {
  fsync?: FsyncMode;
  /** log receives one line per notable event (truncation); defaults to stderr. */
  log?: (line: string) => void;
}

/** RECORD_HEADER_BYTES: u32 length + u32 crc. */
const RECORD_HEADER_BYTES = 8;
/** RECORD_PAYLOAD_BYTES_MAX bounds one record, so a corrupt length cannot make us allocate GiBs. */
export const RECORD_PAYLOAD_BYTES_MAX = 256 * 1024 * 1024;

/** encodeRecord frames one JSON record; throws when it is not bounded JSON or too large. */
export function encodeRecord(record: unknown): Buffer {
  let payload: Buffer;
  try {
    payload = encodeBoundedJson(record, STORED_DEPTH_MAX);
  } catch (err) {
    if (err instanceof JsonLimitError) throw new Error(`durable-log: record refused: ${err.message}`);
    throw err;
  }
  if (payload.length > RECORD_PAYLOAD_BYTES_MAX) throw new Error(`durable-log: record of ${payload.length} bytes is too large`);
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  header.writeUInt32BE(payload.length, 0);
  header.writeUInt32BE(zlib.crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/** DecodeResult: the intact records and where the intact prefix ends. */
export interface DecodeResult {
  records: unknown[];
  validBytes: number;
  /** why decoding stopped before the end of the buffer, if it did. */
  stopReason?: string;
}

/** decodeRecords parses records from a buffer, stopping at the first torn or corrupt one. */
export function decodeRecords(buf: Buffer): DecodeResult {
  const records: unknown[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (buf.length - offset < RECORD_HEADER_BYTES) return { records, validBytes: offset, stopReason: 'torn header' };
    const length = buf.readUInt32BE(offset);
    const crc = buf.readUInt32BE(offset + 4);
    if (length > RECORD_PAYLOAD_BYTES_MAX) return { records, validBytes: offset, stopReason: `bad length ${length}` };
    const end = offset + RECORD_HEADER_BYTES + length;
    if (end > buf.length) return { records, validBytes: offset, stopReason: 'torn payload' };
    const payload = buf.subarray(offset + RECORD_HEADER_BYTES, end);
    if (zlib.crc32(payload) !== crc) return { records, validBytes: offset, stopReason: 'crc mismatch' };
    let record: unknown;
    try {
      record = parseBoundedJson(payload, STORED_DEPTH_MAX);
    } catch (err) {
      return { records, validBytes: offset, stopReason: `unparseable record: ${(err as Error).message}` };
    }
    records.push(record);
    offset = end;
  }
  return { records, validBytes: offset };
}

type QueuedOp =
  | { kind: 'append'; bytes: Buffer; done: Array<(err?: Error) => void> }
  | { kind: 'reset'; records: unknown[]; done: Array<(err?: Error) => void> };

/** DurableLog: one open record file. Create with DurableLog.open. */
export class DurableLog {
  private queue: QueuedOp[] = [];
  private flushing = false;
  private closed = false;
  /** fsyncCount counts fsyncs of the log file (tests check group commit with it). */
  fsyncCount = 0;
  /** appendedCount counts records appended since open. */
  appendedCount = 0;

  private constructor(
    readonly filePath: string,
    private handle: fsp.FileHandle,
    private readonly fsyncMode: FsyncMode,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * open opens (creating if needed) the log at filePath and returns it with the replayed records.
   * A torn or corrupt tail is truncated away (and fsynced) before anything new is appended.
   */
  static async open(filePath: string, options: DurableLogOptions = {}): Promise<{ log: DurableLog; records: unknown[] }> {
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const fsyncMode = options.fsync ?? 'always';
    await fsp.mkdir(path.dirname(filePath), { recursive: true });
    // A leftover temp file is an interrupted reset: the rename never happened, so the old log stands.
    await fsp.rm(`${filePath}.tmp`, { force: true });
    let buf: Buffer;
    try {
      buf = await fsp.readFile(filePath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      buf = Buffer.alloc(0);
    }
    const decoded = decodeRecords(buf);
    if (decoded.validBytes < buf.length) {
      const dropped = buf.length - decoded.validBytes;
      log(`durable-log: truncated ${dropped} bytes at offset ${decoded.validBytes} of ${filePath} (${decoded.stopReason})`);
      await fsp.truncate(filePath, decoded.validBytes);
    }
    const created = !(await fileExists(filePath));
    const handle = await fsp.open(filePath, 'a');
    if (decoded.validBytes < buf.length && fsyncMode === 'always') await handle.sync();
    // A new file's directory entry must be durable too, or a crash could lose the whole log.
    if (created && fsyncMode === 'always') await syncDir(path.dirname(filePath));
    return { log: new DurableLog(filePath, handle, fsyncMode, log), records: decoded.records };
  }

  /** append writes records and resolves once they are durable (group-committed with neighbours). */
  append(records: unknown[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('durable-log: append after close'));
    if (records.length === 0) return this.barrier();
    let bytes: Buffer;
    try {
      bytes = Buffer.concat(records.map(encodeRecord));
    } catch (err) {
      // A rejection, not a throw: the caller's persist path handles failures in one place.
      return Promise.reject(err as Error);
    }
    this.appendedCount += records.length;
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => (err === undefined ? resolve() : reject(err));
      const last = this.queue[this.queue.length - 1];
      // Batch into the op still waiting (not the one being written): that is the group commit.
      if (last !== undefined && last.kind === 'append') {
        last.bytes = Buffer.concat([last.bytes, bytes]);
        last.done.push(done);
      } else {
        this.queue.push({ kind: 'append', bytes, done: [done] });
      }
      this.kick();
    });
  }

  /** reset atomically replaces the whole log with records, after earlier appends are durable. */
  reset(records: unknown[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('durable-log: reset after close'));
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'reset', records: records.map((r) => structuredClone(r)), done: [(err) => (err === undefined ? resolve() : reject(err))] });
      this.kick();
    });
  }

  /** barrier resolves once everything queued before it is durable. */
  barrier(): Promise<void> {
    if (this.queue.length === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'append', bytes: Buffer.alloc(0), done: [(err) => (err === undefined ? resolve() : reject(err))] });
      this.kick();
    });
  }

  /** close waits for queued writes and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.barrier();
    this.closed = true;
    await this.handle.close();
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = true;
    void this.flushLoop();
  }

  /** flushLoop drains the queue one op at a time; new appends gather behind the one in flight. */
  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const op = this.queue.shift()!;
        try {
          if (op.kind === 'append') await this.writeAppend(op.bytes);
          else await this.writeReset(op.records);
          for (const d of op.done) d();
        } catch (err) {
          this.log(`durable-log: write to ${this.filePath} failed: ${(err as Error).message}`);
          for (const d of op.done) d(err as Error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeAppend(bytes: Buffer): Promise<void> {
    if (bytes.length > 0) {
      let written = 0;
      // A write may be short; loop until all bytes are in (bounded by the byte count).
      while (written < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, written, bytes.length - written);
        if (bytesWritten <= 0) throw new Error('durable-log: write made no progress');
        written += bytesWritten;
      }
    }
    if (this.fsyncMode === 'always') {
      await this.handle.datasync();
      this.fsyncCount += 1;
    }
  }

  private async writeReset(records: unknown[]): Promise<void> {
    const tmp = `${this.filePath}.tmp`;
    const bytes = Buffer.concat(records.map(encodeRecord));
    const tmpHandle = await fsp.open(tmp, 'w');
    try {
      await tmpHandle.writeFile(bytes);
      if (this.fsyncMode === 'always') await tmpHandle.sync();
    } finally {
      await tmpHandle.close();
    }
    await this.handle.close();
    await fsp.rename(tmp, this.filePath);
    if (this.fsyncMode === 'always') {
      await syncDir(path.dirname(this.filePath));
      this.fsyncCount += 1;
    }
    this.handle = await fsp.open(this.filePath, 'a');
  }
}

async function fileExists(filePath: string): Promise<boolean> {
  try {
    await fsp.access(filePath);
    return true;
  } catch {
    return false;
  }
}

/** syncDir fsyncs a directory, making renames and new entries in it durable. */
async function syncDir(dirPath: string): Promise<void> {
  const dir = await fsp.open(dirPath, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
