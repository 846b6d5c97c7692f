// history/knossos.test.ts — EDN histories: per-line maps, one vector of maps, errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKnossosOps } from './knossos.ts';
import { collect, expectParseError, tempFiles, type TempFiles } from '../test/support/history-files.ts';

let files: TempFiles;
beforeAll(async () => { files = await tempFiles(); });
afterAll(async () => { await files.remove(); });

describe('readKnossosOps', () => {
  it('reads one map per line (Porcupine kv shape), index = line order, no time', async () => {
    const path = await files.write([
      '{:process 0, :type :invoke, :f :get, :key "7", :value nil}',
      '',
      '{:process 0, :type :ok, :f :get, :key "7", :value "x 0 1 y"}',
    ].join('\n'));
    expect(await collect(readKnossosOps(path))).toEqual([
      { index: 0, type: 'invoke', process: 0, f: 'get', key: '7', value: null },
      { index: 1, type: 'ok', process: 0, f: 'get', key: '7', value: 'x 0 1 y' },
    ]);
  });

  it('reads one vector of maps over many lines, with :time and :index', async () => {
    const path = await files.write([
      '[{:type :invoke, :f :write, :value 3, :process 1, :time 10, :index 0}',
      ' {:type :info, :f :write, :value 3, :process 1, :time 25, :index 1, :error [:timeout 5]}',
      ' {:type :invoke, :f :start, :value nil, :process :nemesis, :time 30, :index 2}',
      ']',
    ].join('\n'));
    expect(await collect(readKnossosOps(path))).toEqual([
      { index: 0, time: 10, type: 'invoke', process: 1, f: 'write', value: 3 },
      { index: 1, time: 25, type: 'info', process: 1, f: 'write', value: 3, error: '["timeout",5]' },
      { index: 2, time: 30, type: 'invoke', process: 'nemesis', f: 'start', value: null },
    ]);
  });

  it('reads a list of maps without :time/:index, numbering ops in order', async () => {
    const path = await files.write('(\n{:process 0 :type :invoke :f :cas :value [1 2]}\n{:process 0 :type :fail :f :cas :value [1 2]}\n)\n');
    const ops = await collect(readKnossosOps(path));
    expect(ops.map((op) => op.index)).toEqual([0, 1]);
    expect(ops.every((op) => op.time === undefined)).toBe(true);
    expect(ops[1]).toEqual({ index: 1, type: 'fail', process: 0, f: 'cas', value: [1, 2] });
  });

  it('converts nested values, unwraps #jepsen.history.Op and ignores unknown keys', async () => {
    const path = await files.write([
      '#jepsen.history.Op{:index 0, :time 5, :type :ok, :process 2, :f :txn, :node "n1",',
      '  :value [[:append 3 1] [:r 3 [1]]], :extra {:ignored true}}',
      '{:type :ok, :process 3, :f :read, :value {:x 1, 2 [:a "b"]}, :error nil}',
    ].join('\n'));
    expect(await collect(readKnossosOps(path))).toEqual([
      { index: 0, time: 5, type: 'ok', process: 2, f: 'txn', value: [['append', 3, 1], ['r', 3, [1]]], node: 'n1' },
      { index: 1, type: 'ok', process: 3, f: 'read', value: { x: 1, 2: ['a', 'b'] } },
    ]);
  });

  it('reads an empty file as an empty history', async () => {
    expect(await collect(readKnossosOps(await files.write('')))).toEqual([]);
  });
});

describe('readKnossosOps errors', () => {
  it.each([
    ['{:process 0, :type :okk, :f :read}', 1, ':type to be one of invoke|ok|fail|info', '"okk"'],
    ['{:process 0, :type :ok, :f :read}\n{:process 0, :f :read}', 2, ':type to be one of', 'nothing'],
    ['[{:process 0, :type :ok, :f :read}\n {:process 0, :type :ok}]', 2, ':f to be a non-empty string', 'nothing'],
    ['{:process -1, :type :ok, :f :read}', 1, ':process to be a non-negative integer or :nemesis', '-1'],
    ['{:process 0, :type :ok, :f :read, :time "soon"}', 1, ':time to be a finite number', '"soon"'],
    ['{:process 0, :type :ok, :f :read, :index 1.5}', 1, ':index to be a non-negative integer', '1.5'],
    ['{:process 0, :type :ok, :f :read, :key [1]}', 1, ':key to be a string or a number', '[1]'],
    ['\n[[1 2]]', 2, 'a map (one op)', '[1,2]'],
    [':ok', 1, 'a map (one op)', '"ok"'],
    ['{:process 0, :type :ok,\n :f :read', 2, '"}" to close "{" opened on line 1', 'end of file'],
  ])('%j → line %i', async (text, line, expected, got) => {
    const path = await files.write(text);
    const err = await expectParseError(() => collect(readKnossosOps(path)), path, line, expected);
    expect(err.got).toBe(got);
  });
});
