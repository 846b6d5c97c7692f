// history/jsonl.test.ts — JSONL reader/writer: round trip, flushing, crashes, errors, streaming.
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HistoryWriter, readJsonlOps, serializeOp, writeJsonlOps } from './jsonl.ts';
import type { Op } from './op.ts';
import { collect, expectParseError, tempFiles, type TempFiles } from '../test/support/history-files.ts';

let files: TempFiles;
beforeAll(async () => { files = await tempFiles(); });
afterAll(async () => { await files.remove(); });
afterEach(() => { vi.useRealTimers(); });

const sample: Op[] = [
  { index: 0, time: 1_000, type: 'invoke', process: 0, f: 'write', key: 'k1', value: 5, node: 'n1' },
  { index: 1, time: 2_500, type: 'invoke', process: 'nemesis', f: 'start-partition', value: { n1: ['n2'] } },
  { index: 2, time: 3_000, type: 'info', process: 0, f: 'write', key: 'k1', value: 5, error: 'timeout' },
  { index: 3, time: 4_000, type: 'ok', process: 7, f: 'txn', key: 3, value: [['append', 3, 1], ['r', 3, null]] },
  { index: 4, time: 4_100, type: 'fail', process: 7, f: 'cas', value: [1, 2], error: 'compare failed: "x"\n' },
];

const opAt = (i: number): Op => ({
  index: i, time: i * 10, type: i % 2 === 0 ? 'invoke' : 'ok', process: i % 50, f: 'write', key: i % 7,
  value: i,
});
const lineCount = (path: string): number =>
  readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0).length;

describe('JSONL round trip', () => {
  it('writes ops in the canonical field order and reads them back equal', async () => {
    const path = join(files.dir, 'round.jsonl');
    expect(await writeJsonlOps(path, sample)).toBe(sample.length);
    expect(await collect(readJsonlOps(path))).toEqual(sample);
    const first = readFileSync(path, 'utf8').split('\n')[0];
    expect(first).toBe('{"index":0,"time":1000,"type":"invoke","process":0,"f":"write","key":"k1","value":5,"node":"n1"}');
    expect(serializeOp(sample[1])).toBe(JSON.stringify(sample[1]));
  });

  it('numbers ops without "index" by position and skips blank lines', async () => {
    const path = await files.write('{"type":"invoke","process":1,"f":"read"}\n\n  \n{"type":"ok","process":1,"f":"read","value":null}\n');
    expect(await collect(readJsonlOps(path))).toEqual([
      { index: 0, type: 'invoke', process: 1, f: 'read' },
      { index: 1, type: 'ok', process: 1, f: 'read', value: null },
    ]);
  });

  it('refuses to write a malformed op', () => {
    expect(() => serializeOp({ ...sample[0], type: 'okk' as Op['type'] })).toThrow(/bad type/);
    expect(() => serializeOp({ ...sample[0], index: -1 })).toThrow(/bad index/);
  });
});

describe('HistoryWriter flushing', () => {
  it('flushes within 20 ms of the first unflushed append, and on flush()', async () => {
    const path = join(files.dir, 'timed.jsonl');
    const writer = await HistoryWriter.open(path);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    for (const op of sample.slice(0, 3)) writer.append(op);
    expect(statSync(path).size).toBe(0);
    vi.advanceTimersByTime(19);
    expect(statSync(path).size).toBe(0);
    vi.advanceTimersByTime(1);
    expect(lineCount(path)).toBe(3);
    writer.append(sample[3]);
    writer.flush();
    expect(lineCount(path)).toBe(4);
    vi.useRealTimers();
    writer.append(sample[4]);
    await writer.close();
    await writer.close();
    expect(await collect(readJsonlOps(path))).toEqual(sample);
    expect(() => writer.append(sample[0])).toThrow(/after close/);
  });

  it('flushes at once when the buffer passes bufferBytesMax', async () => {
    const path = join(files.dir, 'bounded.jsonl');
    const writer = await HistoryWriter.open(path, { bufferBytesMax: 1000 });
    for (let i = 0; i < 3; i += 1) writer.append(opAt(i));
    expect(lineCount(path)).toBe(0);
    for (let i = 3; i < 30; i += 1) writer.append(opAt(i));
    expect(lineCount(path)).toBeGreaterThanOrEqual(10);
    await writer.close();
    expect(lineCount(path)).toBe(30);
  });

  it('appends to an existing file when asked', async () => {
    const path = join(files.dir, 'append.jsonl');
    await writeJsonlOps(path, sample.slice(0, 2));
    const writer = await HistoryWriter.open(path, { append: true });
    writer.append(sample[2]);
    await writer.close();
    expect(await collect(readJsonlOps(path))).toEqual(sample.slice(0, 3));
  });

  // The child appends 1000 ops, lets the 20 ms timer flush them, appends 5 more and then
  // dies by SIGKILL (the 5 are lost) or by an uncaught exception (the exit hook saves them).
  const childSource = (writerUrl: string): string => `
import { HistoryWriter } from '${writerUrl}';
const [path, mode] = process.argv.slice(2);
const w = await HistoryWriter.open(path);
const op = (i) => ({ index: i, type: 'invoke', process: i, f: 'read', value: null });
for (let i = 0; i < 1000; i++) w.append(op(i));
await new Promise((r) => setTimeout(r, 100));
for (let i = 1000; i < 1005; i++) w.append(op(i));
if (mode === 'kill') process.kill(process.pid, 'SIGKILL');
throw new Error('crash');
`;

  it.each([
    ['kill', 1000],
    ['throw', 1005],
  ])('leaves whole lines when the process dies (%s)', async (mode, lines) => {
    const path = join(files.dir, `crash-${mode}.jsonl`);
    const writerUrl = new URL('./jsonl.ts', import.meta.url).href;
    const script = await files.write(childSource(writerUrl), `crash-${mode}.mts`);
    const repoRoot = fileURLToPath(new URL('..', import.meta.url));
    const args = ['--import', 'tsx', script, path, mode];
    const child = spawnSync(process.execPath, args, { cwd: repoRoot, timeout: 15_000 });
    if (mode === 'kill') expect(child.signal).toBe('SIGKILL');
    else expect(child.status).toBe(1);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
    expect(lineCount(path)).toBe(lines);
    expect(await collect(readJsonlOps(path))).toHaveLength(lines);
  });
});

describe('JSONL errors', () => {
  it('reports the exact line and expectation for a bad type', async () => {
    const good = '{"index":0,"type":"invoke","process":0,"f":"read"}\n';
    const path = await files.write(`${good.repeat(16)}{"index":16,"type":"okk","process":0,"f":"read"}\n`, 'history.jsonl');
    const err = await expectParseError(() => collect(readJsonlOps(path)), path, 17, '"type" to be one of');
    expect(err.message).toBe(`${path}:17: expected "type" to be one of invoke|ok|fail|info, got "okk"`);
  });

  it.each([
    ['{"type":"ok","process":0,"f":"read"}\n{"type":"ok",', 2, 'a JSON object (one op per line)'],
    ['[1,2]', 1, 'a JSON object'],
    ['\n{"type":"ok","process":"x","f":"read"}', 2, '"process" to be a non-negative integer or "nemesis"'],
    ['{"type":"ok","process":0}', 1, '"f" to be a non-empty string'],
    ['{"type":"ok","process":0,"f":"read","index":-3}', 1, '"index" to be a non-negative integer'],
    ['{"type":"ok","process":0,"f":"read","time":"1"}', 1, '"time" to be a finite number'],
    ['{"type":"ok","process":0,"f":"read","key":null}', 1, '"key" to be a string or a number'],
    ['{"type":"ok","process":0,"f":"read","node":1}', 1, '"node" to be a string'],
    ['{"type":"fail","process":0,"f":"read","error":{"a":1}}', 1, '"error" to be a string'],
  ])('%j → line %i', async (text, line, expected) => {
    const path = await files.write(text);
    await expectParseError(() => collect(readJsonlOps(path)), path, line, expected);
  });
});

describe('JSONL at scale', () => {
  // Throughput (ops/s written and read) is a bench figure, not a test: `npm run bench:parse`.
  it('writes 200k ops and streams every one back, in order', async () => {
    const path = join(files.dir, 'big.jsonl');
    const count = 200_000;
    const writer = await HistoryWriter.open(path);
    for (let i = 0; i < count; i += 1) writer.append(opAt(i));
    await writer.close();
    let seen = 0;
    for await (const op of readJsonlOps(path)) {
      if (op.index !== seen) throw new Error(`op ${seen} has index ${op.index}`);
      seen += 1;
    }
    expect(seen).toBe(count);
  });

  it('yields ops while the file is still being written (it streams)', async () => {
    const fifo = join(files.dir, 'pipe.jsonl');
    execFileSync('mkfifo', [fifo]);
    const ops = readJsonlOps(fifo);
    const firstPromise = ops.next();
    const sink = createWriteStream(fifo);
    sink.write(`${serializeOp(opAt(0))}\n${serializeOp(opAt(1))}\n`);
    // A reader that waited for end of file would hang here: the pipe is still open.
    const stalled = new Promise<'stalled'>((resolve) => {
      setTimeout(() => resolve('stalled'), 5_000).unref();
    });
    const first = await Promise.race([firstPromise, stalled]);
    expect(first).not.toBe('stalled');
    expect((await ops.next()).value).toEqual(opAt(1));
    sink.end(`${serializeOp(opAt(2))}\n`);
    expect((await collect({ [Symbol.asyncIterator]: () => ops })).map((op) => op.index)).toEqual([2]);
  });
});

describe('HistoryWriter on a full disk', () => {
  it('reports the failed write at once through onFailure, from the timer too, and refuses later appends', async () => {
    // /dev/full fails every write with ENOSPC: a disk that is full from the first byte.
    const failures: unknown[] = [];
    const writer = await HistoryWriter.open('/dev/full', { onFailure: (e) => failures.push(e), flushIntervalMs: 5 });
    writer.append(opAt(0));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(failures).toHaveLength(1);
    expect((failures[0] as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(() => writer.append(opAt(1))).toThrow(/ENOSPC/);
    await expect(writer.close()).rejects.toThrow(/ENOSPC/);
    expect(failures).toHaveLength(1);
  });
});
