// history/porcupine.test.ts — Jepsen op-log lines (Porcupine etcd data) on small inputs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPorcupineOps } from './porcupine.ts';
import { collect, expectParseError, tempFiles, type TempFiles } from '../test/support/history-files.ts';

let files: TempFiles;
beforeAll(async () => { files = await tempFiles(); });
afterAll(async () => { await files.remove(); });

describe('readPorcupineOps', () => {
  it('maps every op shape of the etcd logs (TAB separated)', async () => {
    const path = await files.write([
      'INFO  jepsen.util - 0\t:invoke\t:read\tnil',
      'INFO  jepsen.util - 0\t:ok\t:read\t3',
      'INFO  jepsen.util - 1\t:invoke\t:write\t4',
      'INFO  jepsen.util - 2\t:invoke\t:cas\t[1 4]',
      'INFO  jepsen.util - 2\t:fail\t:cas\t[1 4]',
      'INFO  jepsen.util - 3\t:invoke\t:read\tnil',
      'INFO  jepsen.util - 3\t:fail\t:read\t:timed-out',
      'INFO  jepsen.util - 1\t:info\t:write\t:timed-out',
      'INFO  jepsen.util - 4\t:ok\t:read\tnil',
    ].join('\n'));
    expect(await collect(readPorcupineOps(path))).toEqual([
      { index: 0, type: 'invoke', process: 0, f: 'read', value: null },
      { index: 1, type: 'ok', process: 0, f: 'read', value: 3 },
      { index: 2, type: 'invoke', process: 1, f: 'write', value: 4 },
      { index: 3, type: 'invoke', process: 2, f: 'cas', value: [1, 4] },
      { index: 4, type: 'fail', process: 2, f: 'cas', value: [1, 4] },
      { index: 5, type: 'invoke', process: 3, f: 'read', value: null },
      { index: 6, type: 'fail', process: 3, f: 'read', error: 'timed-out' },
      { index: 7, type: 'info', process: 1, f: 'write', error: 'timed-out' },
      { index: 8, type: 'ok', process: 4, f: 'read', value: null },
    ]);
  });

  it('accepts runs of spaces, CRLF, nemesis ops and skips other log output', async () => {
    const path = await files.write([
      'INFO  jepsen.core - Running test etcd',
      'INFO  jepsen.util - 12   :invoke :cas    [1 2]\r',
      '  at clojure.core$eval.invoke(core.clj:1)',
      'INFO  jepsen.util - :nemesis\t:info\t:start\t{"n1" ["n2" "n3"]}',
      'WARN  jepsen.util - something else entirely',
      'INFO  jepsen.util - 12   :ok     :cas    [1 2]   ',
    ].join('\n'));
    expect(await collect(readPorcupineOps(path))).toEqual([
      { index: 0, type: 'invoke', process: 12, f: 'cas', value: [1, 2] },
      { index: 1, type: 'info', process: 'nemesis', f: 'start', value: { n1: ['n2', 'n3'] } },
      { index: 2, type: 'ok', process: 12, f: 'cas', value: [1, 2] },
    ]);
  });

  it.each([
    ['INFO  jepsen.util - 0\t:invoke\t:read', 1, 'a value after the :f field'],
    ['\nINFO  jepsen.util - 0\t:okk\t:read\t3', 2, ':type to be one of :invoke|:ok|:fail|:info'],
    ['INFO  jepsen.util - x\t:ok\t:read\t3', 1, 'a process number or :nemesis'],
    ['INFO  jepsen.util - 0\t:ok\tread\t3', 1, 'a keyword :f'],
    ['INFO  jepsen.util - 0\t:ok\t:cas\t[1 4', 1, 'one EDN value ("]" to close "["'],
    ['INFO  jepsen.util - 0\t:ok\t:cas\t1 4', 1, 'exactly one EDN value'],
    ['INFO  jepsen.util - garbage', 1, '"<process> :<type> :<f> <value>"'],
  ])('%j is an error at line %i', async (text, line, expected) => {
    const path = await files.write(text);
    await expectParseError(() => collect(readPorcupineOps(path)), path, line, expected);
  });
});
