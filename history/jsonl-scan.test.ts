// history/jsonl-scan.test.ts — the byte scanner gives exactly what JSON.parse + opFromRecord give.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonlOps, serializeOp } from './jsonl.ts';
import { CanonicalOpScanner } from './jsonl-scan.ts';
import { opFromRecord } from './op-record.ts';
import type { Op } from './op.ts';
import { collect, expectParseError, tempFiles, type TempFiles } from '../test/support/history-files.ts';

let files: TempFiles;
beforeAll(async () => { files = await tempFiles(); });
afterAll(async () => { await files.remove(); });

/** general is the reference: the path every line took before the scanner. */
function general(line: string): Op | Error {
  try {
    return opFromRecord(JSON.parse(line), { file: 'f', line: 1, indexDefault: 0, syntax: 'json' });
  } catch (e) {
    return e as Error;
  }
}

function scan(line: string): Op | undefined {
  const bytes = Buffer.from(line, 'utf8');
  return new CanonicalOpScanner().scan(bytes, 0, bytes.length);
}

const text = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('read', 'write', 'x\\"y', 'é', '\u2028', ''));
const scalar = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), text, fc.constant(-0), fc.constant(1e21));
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.array(fc.array(scalar, { maxLength: 2 }), { maxLength: 2 }), fc.dictionary(text, scalar, { maxKeys: 2 }));
const opArb: fc.Arbitrary<Op> = fc.record(
  {
    index: fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
    time: fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 2 ** 40, max: 2 ** 52 })),
    type: fc.constantFrom('invoke', 'ok', 'fail', 'info'),
    process: fc.oneof(fc.nat(100), fc.constant('nemesis' as const)),
    f: fc.oneof(text.filter((s) => s.length > 0), fc.constantFrom('read', 'cas')),
    key: fc.oneof(fc.nat(1000), text, fc.double({ noNaN: true, noDefaultInfinity: true })),
    value,
    node: text,
    error: text,
    stamp: fc.oneof(
      { arbitrary: fc.tuple(fc.nat(), fc.constantFrom('n1', 'n2')), weight: 6 },
      fc.constant(null), fc.tuple(fc.constant(Number.MAX_SAFE_INTEGER), text), fc.constant([1]), fc.constant([-1, 'n']), fc.constant([0.5, 'n']),
    ),
  },
  { requiredKeys: ['index', 'type', 'process', 'f'] },
) as fc.Arbitrary<Op>;

describe('CanonicalOpScanner', () => {
  it('reads every serialized op exactly as the general path does, or declines', () => {
    let taken = 0;
    fc.assert(
      fc.property(opArb, (op) => {
        const line = serializeOp(op);
        const expected = general(line);
        const got = scan(line);
        if (got === undefined) return;
        taken++;
        expect(expected).not.toBeInstanceOf(Error);
        expect(Object.keys(got)).toEqual(Object.keys(expected));
        expect(Object.is(got.time, (expected as Op).time)).toBe(true);
        expect({ ...got }).toStrictEqual(expected);
      }),
      { numRuns: 5_000, seed: 1201 },
    );
    // Most lines must take the fast path, or it is not the path that matters.
    expect(taken).toBeGreaterThan(1_000);
  });

  it('never accepts a line the general path refuses, nor reads one differently', () => {
    const good = '{"index":12,"time":340,"type":"ok","process":3,"f":"cas","key":7,"value":[1,"a",null],"node":"n1","error":"e","stamp":[12,"n1"]}';
    const edit = fc.record({ at: fc.nat(good.length), cut: fc.nat(3), insert: fc.constantFrom('', ' ', '"', ',', '0', '-', '}', '\\', 'e', '.', '[', '\r', 'x') });
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
        let line = good;
        for (const e of edits) line = line.slice(0, e.at) + e.insert + line.slice(e.at + e.cut);
        const got = scan(line);
        if (got === undefined) return;
        const expected = general(line);
        expect(expected).not.toBeInstanceOf(Error);
        expect({ ...got }).toStrictEqual(expected);
      }),
      { numRuns: 20_000, seed: 1202 },
    );
  });

  it('declines what it does not read by hand, leaving the general path to decide', () => {
    expect(scan('{"index":1,"type":"ok","process":0,"f":"read","value":{"a":1}}')).toBeUndefined();
    expect(scan('{"index":01,"type":"ok","process":0,"f":"read"}')).toBeUndefined();
    expect(scan('{"index":1,"type":"ok","process":0,"f":"read","extra":1}')).toBeUndefined();
    expect(scan('{"index":1, "type":"ok","process":0,"f":"read"}')).toBeUndefined();
    expect(scan('{"index":1,"type":"ok","process":0,"f":"read","time":1e400}')).toBeUndefined();
    expect(scan('{"index":1234567890123456,"type":"ok","process":0,"f":"read"}')).toBeUndefined();
    expect(scan('{"index":1,"type":"ok","process":0,"f":"re\\"ad"}')).toBeUndefined();
    expect(scan('{"index":1,"type":"ok","process":0,"f":"read"}')).toEqual({ index: 1, type: 'ok', process: 0, f: 'read' });
    expect(scan('{"index":1,"type":"ok","process":0,"f":"read","stamp":[3,"n2"]}')).toEqual({ index: 1, type: 'ok', process: 0, f: 'read', stamp: [3, 'n2'] });
    expect(scan('{"index":1,"type":"ok","process":0,"f":"read","stamp":null}')).toEqual({ index: 1, type: 'ok', process: 0, f: 'read', stamp: null });
  });
});

describe('CanonicalOpScanner shared pairs', () => {
  it('hands out one frozen array per small-integer pair value, and leaves every other array its own', () => {
    const scanner = new CanonicalOpScanner();
    const valueOf = (value: string): unknown => {
      const bytes = Buffer.from(`{"index":1,"type":"ok","process":0,"f":"cas","value":${value}}`);
      return scanner.scan(bytes, 0, bytes.length)?.value;
    };
    const pair = valueOf('[1,2]');
    expect(pair).toEqual([1, 2]);
    expect(Object.isFrozen(pair)).toBe(true);
    expect(valueOf('[1,2]')).toBe(pair);
    expect(valueOf('[2,1]')).not.toBe(pair);
    for (const own of ['[1,2,3]', '[-1,2]', '[1024,0]', '[1.5,2]', '["a",2]', '[[1,2],[1,2]]']) {
      expect(valueOf(own)).not.toBe(valueOf(own));
      expect(Object.isFrozen(valueOf(own))).toBe(false);
    }
  });
});

describe('readJsonlOps line handling', () => {
  const line = (i: number): string => serializeOp({ index: i, time: i, type: 'invoke', process: i % 7, f: 'write', key: i % 3, value: i });

  it('splits at LF, CRLF and a lone CR, skips a BOM and blank lines, reads an unterminated last line', async () => {
    const path = await files.write(`\ufeff${line(0)}\r\n\r\n${line(1)}\r${line(2)}\n  \n${line(3)}`);
    expect((await collect(readJsonlOps(path))).map((op) => op.index)).toEqual([0, 1, 2, 3]);
    const bad = await files.write(`${line(0)}\r${line(1)}\r\n\r{"index":9,"type":"nope","process":0,"f":"read"}\n`);
    await expectParseError(() => collect(readJsonlOps(bad)), bad, 4, '"type" to be one of');
  });

  it('counts lines across 4 MiB chunks and reads a line longer than a chunk', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 60_000; i++) lines.push(line(i));
    lines.push(serializeOp({ index: 60_000, type: 'ok', process: 0, f: 'write', value: 'v'.repeat(9 << 20) }));
    lines.push('{"index":60001,"type":"ok","process":0,"f":"write"');
    const path = await files.write(`${lines.join('\n')}\n`);
    await expectParseError(() => collect(readJsonlOps(path)), path, 60_002, 'a JSON object (one op per line)');
    const ops = await collect(readJsonlOps(await files.write(`${lines.slice(0, -1).join('\n')}\n`)));
    expect(ops).toHaveLength(60_001);
    expect(ops[59_999]).toEqual({ index: 59_999, time: 59_999, type: 'invoke', process: 59_999 % 7, f: 'write', key: 59_999 % 3, value: 59_999 });
    expect((ops[60_000].value as string).length).toBe(9 << 20);
  });

  it('decodes UTF-8 split nowhere but at line ends', async () => {
    const ops: Op[] = [];
    for (let i = 0; i < 50_000; i++) ops.push({ index: i, type: 'ok', process: 0, f: 'wrïte', key: 'ключ', value: `é${i}€` });
    const path = await files.write(`${ops.map(serializeOp).join('\n')}\n`);
    expect(await collect(readJsonlOps(path))).toEqual(ops);
  });
});
