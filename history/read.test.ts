// history/read.test.ts — format detection, aliases, readHistory, readOperations and streamHistory.
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detectFormat, HISTORY_FORMAT_NAMES, parseHistoryFormat, readHistory, readOperations, streamHistory,
} from './read.ts';
import { serializeOp } from './jsonl.ts';
import type { Op } from './op.ts';
import { toOperations } from './pair.ts';
import { expectParseError, tempFiles, type TempFiles } from '../test/support/history-files.ts';

let files: TempFiles;
beforeAll(async () => { files = await tempFiles(); });
afterAll(async () => { await files.remove(); });

describe('detectFormat', () => {
  it.each([
    ['{"index":0,"type":"invoke","process":0,"f":"read"}', 'jsonl'],
    ['\n\n  { "type": "invoke" }', 'jsonl'],
    ['{:process 0, :type :invoke, :f :get}', 'edn'],
    ['[{:process 0}]', 'edn'],
    ['(\n{:process 0})', 'edn'],
    ['#jepsen.history.Op{:process 0}', 'edn'],
    ['; a comment\n{:process 0}', 'edn'],
    ['INFO  jepsen.util - 0\t:invoke\t:read\tnil', 'porcupine-etcd'],
    ['INFO  jepsen.core - Running test\nINFO  jepsen.util - 0\t:invoke\t:read\tnil', 'porcupine-etcd'],
    ['', 'jsonl'],
    ['\n \n', 'jsonl'],
  ])('%j → %s', async (text, format) => {
    expect(await detectFormat(await files.write(text))).toBe(format);
  });

  it('decides from the head of a huge single-line file and counts long blank runs', async () => {
    const op = '{:process 0, :type :invoke, :f :read} ';
    expect(await detectFormat(await files.write(`[${op.repeat(50_000)}]`))).toBe('edn');
    const path = await files.write(`${'\n'.repeat(100_000)}  nope`);
    await expectParseError(() => detectFormat(path), path, 100_001, 'a history');
  });

  it('names the line and the formats it expected for anything else', async () => {
    const path = await files.write('\n\nhello world');
    const err = await expectParseError(() => detectFormat(path), path, 3, 'a history: JSONL');
    expect(err.got).toBe('"hello world"');
  });
});

describe('readHistory', () => {
  it('reads an empty file as an empty history', async () => {
    expect(await readHistory(await files.write(''))).toEqual([]);
  });

  it('reads each format by detection and by explicit name or alias', async () => {
    const log = await files.write('INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\t2\n');
    const kv = await files.write('{:process 0, :type :invoke, :f :put, :key "1", :value "a"}\n');
    const jsonl = await files.write('{"index":0,"type":"invoke","process":0,"f":"read"}\n');
    const readOk = { index: 1, type: 'ok', process: 0, f: 'read', value: 2 };
    expect((await readHistory(log))[1]).toEqual(readOk);
    expect((await readHistory(log, { format: 'jepsen-log' }))[1]).toEqual(readOk);
    expect((await readHistory(log, { format: 'porcupine-etcd' }))[1]).toEqual(readOk);
    const put = [{ index: 0, type: 'invoke', process: 0, f: 'put', key: '1', value: 'a' }];
    for (const format of ['edn', 'knossos', 'porcupine-kv'] as const) {
      expect(await readHistory(kv, { format })).toEqual(put);
    }
    expect(await readHistory(kv)).toEqual(put);
    expect(await readHistory(jsonl, { format: 'jsonl' })).toEqual([{ index: 0, type: 'invoke', process: 0, f: 'read' }]);
    // A forced format that does not fit is an error, not an empty history.
    await expectParseError(() => readHistory(kv, { format: 'jsonl' }), kv, 1, 'a JSON object');
  });

  it('resolves format names and aliases, refusing unknown ones', () => {
    expect(HISTORY_FORMAT_NAMES.map(parseHistoryFormat)).toEqual(['jsonl', 'edn', 'edn', 'edn', 'porcupine-etcd', 'porcupine-etcd']);
    expect(() => parseHistoryFormat('csv')).toThrow(/unknown history format "csv"/);
  });
});

describe('readOperations', () => {
  // mixedHistory: 5 processes and a nemesis; ok, fail, info and never-completed ops, reads and writes.
  function mixedHistory(count: number): Op[] {
    const ops: Op[] = [];
    const open: (Op | undefined)[] = [];
    for (let i = 0; ops.length < count; i++) {
      if (i % 17 === 0) ops.push({ index: ops.length, time: i, type: 'info', process: 'nemesis', f: 'partition' });
      const process = (i * 7) % 5;
      const pending = open[process];
      if (pending === undefined) {
        const invoke: Op = { index: ops.length, time: i, type: 'invoke', process, f: i % 3 === 0 ? 'read' : 'write', key: i % 4, value: i % 3 === 0 ? null : i };
        ops.push(invoke);
        open[process] = invoke;
      } else {
        const type = (['ok', 'ok', 'ok', 'fail', 'info'] as const)[i % 5];
        ops.push({ index: ops.length, time: i, type, process, f: pending.f, key: pending.key, value: pending.f === 'read' ? i % 9 : pending.value });
        open[process] = undefined;
      }
    }
    return ops;
  }

  it('gives what toOperations gives on the whole history, counts included', async () => {
    for (const count of [0, 1, 2, 40, 3000]) {
      const ops = mixedHistory(count);
      const path = await files.write(ops.map((op) => `${serializeOp(op)}\n`).join(''));
      expect(await readOperations(path)).toStrictEqual(toOperations(await readHistory(path)));
      expect(await readOperations(path, { readFs: ['write'] })).toStrictEqual(toOperations(ops, { readFs: ['write'] }));
    }
  });

  it('throws the pairing error toOperations throws', async () => {
    const path = await files.write([
      '{"index":0,"type":"invoke","process":0,"f":"read"}',
      '{"index":1,"type":"invoke","process":0,"f":"write"}',
    ].join('\n'));
    const expected = await Promise.resolve().then(async () => toOperations(await readHistory(path))).catch((e: unknown) => e);
    expect(expected).toBeInstanceOf(Error);
    await expect(readOperations(path)).rejects.toThrow((expected as Error).message);
  });
});

describe('streamHistory', () => {
  it('yields the elements of a top-level EDN vector before the vector is closed', async () => {
    const fifo = join(files.dir, 'pipe.edn');
    execFileSync('mkfifo', [fifo]);
    const ops = streamHistory(fifo, { format: 'knossos' });
    const firstPromise = ops.next();
    const sink = createWriteStream(fifo);
    sink.write('[{:process 0, :type :invoke, :f :read}\n {:process 0, :type :ok, :f :read, :value 1}\n');
    const stalled = new Promise<'stalled'>((resolve) => {
      setTimeout(() => resolve('stalled'), 5_000).unref();
    });
    const first = { index: 0, type: 'invoke', process: 0, f: 'read' };
    expect(await Promise.race([firstPromise, stalled])).toEqual({ done: false, value: first });
    expect((await ops.next()).value).toEqual({ index: 1, type: 'ok', process: 0, f: 'read', value: 1 });
    sink.end(']\n');
    expect(await ops.next()).toEqual({ done: true, value: undefined });
  });

  it('detects the format of a FIFO from what it read and reads the rest from the same open', async () => {
    const fifo = join(files.dir, 'detect.fifo');
    execFileSync('mkfifo', [fifo]);
    const lines: number[] = [];
    const reading = readHistory(fifo, { lines });
    const sink = createWriteStream(fifo);
    sink.end('\n{"index":0,"type":"invoke","process":0,"f":"read"}\n\n{"index":1,"type":"ok","process":0,"f":"read","value":3}\n');
    const ops = await reading;
    expect(ops.map((op) => op.type)).toEqual(['invoke', 'ok']);
    expect(lines).toEqual([2, 4]);
  });
});
