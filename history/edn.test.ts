// history/edn.test.ts — EDN reader: values, corner cases, chunking, nesting and errors.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EdnReader, parseEdn, type EdnValue } from './edn.ts';
import { HistoryParseError } from './errors.ts';

const one = (text: string): EdnValue => {
  const items = parseEdn(text);
  expect(items).toHaveLength(1);
  return items[0].value;
};
const values = (text: string): EdnValue[] => parseEdn(text).map((item) => item.value);

function parseError(text: string): HistoryParseError {
  try {
    parseEdn(text, 'x.edn');
  } catch (e) {
    expect(e).toBeInstanceOf(HistoryParseError);
    return e as HistoryParseError;
  }
  throw new Error(`expected a parse error for ${JSON.stringify(text)}`);
}

describe('EDN scalars', () => {
  it('reads nil, booleans, integers, floats, ratios and specials', () => {
    expect(values('nil true false 0 42 -7 +5 12N 1.5 -2.5e-3 1e3 1.0M 1/4 ##Inf ##-Inf')).toEqual(
      [null, true, false, 0, 42, -7, 5, 12, 1.5, -0.0025, 1000, 1, 0.25, Infinity, -Infinity]);
    expect(Number.isNaN(one('##NaN'))).toBe(true);
  });

  it('keeps integers beyond the safe range as exact decimal strings', () => {
    expect(values('9007199254740991 9007199254740993 123456789012345678901234567890N -99999999999999999999')).toEqual(
      [9007199254740991, '9007199254740993', '123456789012345678901234567890', '-99999999999999999999']);
  });

  it('reads keywords without the colon, keeping namespaces, and symbols as strings', () => {
    expect(values(':ok :timed-out :jepsen.history/op foo a.b/c + - ->x')).toEqual(
      ['ok', 'timed-out', 'jepsen.history/op', 'foo', 'a.b/c', '+', '-', '->x']);
  });

  it('reads strings with every escape and multi-line strings', () => {
    expect(one('"a\\"b\\n\\t\\r\\b\\f\\\\ \\u0041\\u00e9"')).toBe('a"b\n\t\r\b\f\\ Aé');
    const items = parseEdn('"two\nlines" :next');
    expect(items).toEqual([{ value: 'two\nlines', line: 1 }, { value: 'next', line: 2 }]);
  });

  it('reads character literals', () => {
    expect(values('\\a \\newline \\space \\tab \\return \\u0041 \\( \\)')).toEqual(['a', '\n', ' ', '\t', '\r', 'A', '(', ')']);
    expect(one('[\\a\\b]')).toEqual(['a', 'b']);
  });
});

describe('EDN collections, comments, discard and tags', () => {
  it('reads vectors, lists, sets and maps (commas are whitespace)', () => {
    expect(one('[1, (2 3), #{4}, {:a 1, "b" [nil]}]')).toEqual([1, [2, 3], [4], { a: 1, b: [null] }]);
  });

  it('stringifies non-string map keys', () => {
    expect(one('{1 :x, nil 2, true 3, [1 2] 4, {:a 1} 5}')).toEqual({ 1: 'x', null: 2, true: 3, '[1,2]': 4, '{"a":1}': 5 });
  });

  it('adds a __proto__ key as data, not as a prototype', () => {
    const map = one('{"__proto__" {:polluted true}}') as Record<string, unknown>;
    expect(Object.keys(map)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
  });

  it('skips comments and #_ discarded forms, including stacked and nested ones', () => {
    expect(values('; head\n1 ; tail\n#_ 2 3 [4 #_ 5 6] #_ #_ 7 8 9 #_ {:a [1 2]} 10 [#_ x]')).toEqual([1, 3, [4, 6], 9, 10, []]);
  });

  it('unwraps tagged literals to their inner value', () => {
    expect(values('#inst "2020-01-01T00:00:00Z" #uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6" #jepsen.history.Op{:type :ok, :f :read}'))
      .toEqual(['2020-01-01T00:00:00Z', 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6', { type: 'ok', f: 'read' }]);
    expect(one('#foo #_ 1 2')).toBe(2);
    expect(one('#_ #foo 1 2')).toBe(2);
  });

  it('reports the line each top-level form starts on', () => {
    expect(parseEdn('{:a 1}\n\n[1\n2]\n:k').map((item) => item.line)).toEqual([1, 3, 5]);
  });

  it('nests thousands deep without recursion and bounds depth', () => {
    const depth = 5000;
    let value = one(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    let seen = 0;
    while (Array.isArray(value) && seen <= depth) {
      seen += 1;
      value = value.length === 0 ? null : value[0];
    }
    expect(seen).toBe(depth);
    const reader = new EdnReader('deep.edn', { depthMax: 10 });
    expect(() => reader.push('[[[[[[[[[[[')).toThrow(/nesting no deeper than 10/);
  });
});

describe('EDN streaming', () => {
  it('streams the elements of a top-level vector when asked', () => {
    const reader = new EdnReader('h.edn', { streamTopLevelSeq: true });
    expect(reader.push('[{:a 1}\n {:b')).toEqual([{ value: { a: 1 }, line: 1 }]);
    expect(reader.push(' 2}\n')).toEqual([{ value: { b: 2 }, line: 2 }]);
    expect(reader.push(']')).toEqual([]);
    expect(reader.end()).toEqual([]);
  });

  it('gives the same forms however the text is cut into chunks', () => {
    const text = '[1 "a\\"b" \\newline :k/w 12345678901234567890N] ; c\n{:x #{1/2 -3.5e2}} #_ 4 #inst "t" ##Inf';
    const whole = parseEdn(text);
    for (let cut = 0; cut <= text.length; cut += 1) {
      const reader = new EdnReader('c.edn');
      const items = [...reader.push(text.slice(0, cut)), ...reader.push(text.slice(cut)), ...reader.end()];
      expect(items).toEqual(whole);
    }
  });

  it('round-trips generated values through random chunking (property)', () => {
    const leaf = fc.oneof(
      fc.constant(null), fc.boolean(), fc.integer({ min: -1e9, max: 1e9 }),
      fc.string({ maxLength: 8 }), fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/).map((name) => ({ keyword: name })),
    );
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), tie('node'), { maxKeys: 3 }).map((map) => ({ map }))),
    }));
    fc.assert(fc.property(fc.array(tree.node, { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), (forms, cuts) => {
      const text = forms.map(printEdn).join('\n');
      const reader = new EdnReader('p.edn');
      const items: EdnValue[] = [];
      let from = 0;
      for (const cut of [...cuts.map((c) => c % (text.length + 1))].sort((a, b) => a - b)) {
        items.push(...reader.push(text.slice(from, cut)).map((item) => item.value));
        from = cut;
      }
      items.push(...reader.push(text.slice(from)).map((item) => item.value), ...reader.end().map((item) => item.value));
      expect(items).toEqual(forms.map(expectedValue));
    }), { numRuns: 200 });
  });
});

describe('EDN errors name the line and what was expected', () => {
  it.each([
    ['[1 2\n3', 2, '"]" to close "[" opened on line 1', 'end of file'],
    ['\n[1 }', 2, '"]" to close "["', '"}"'],
    ['{:a 1\n :b}', 2, 'an even number of forms in the map opened on line 1', '3 forms'],
    ['\n\n)', 3, 'an EDN form', '")"'],
    ['"abc\\q"', 1, 'a string escape', '"\\\\q"'],
    ['\n"abc', 2, 'a closing \'"\' for the string starting on line 2', 'end of file'],
    ['"a\nb" 1.2.3', 2, 'a number', '"1.2.3"'],
    ['1 #_', 1, 'a form after #_', 'end of file'],
    ['[#_]', 1, 'a form after #_', '"]"'],
    ['\\foo', 1, 'a character literal', '"\\\\foo"'],
    ['#inst 5', 1, 'a string after #inst', '5'],
    ['::auto', 1, 'a keyword name', '"::auto"'],
    ['# x', 1, 'a tag, #{ or #_', '"# "'],
    ['1/0', 1, 'a number', '"1/0"'],
  ])('%j → line %i', (text, line, expected, got) => {
    const err = parseError(text);
    expect(err.file).toBe('x.edn');
    expect(err.line).toBe(line);
    expect(err.expected).toContain(expected);
    expect(err.got).toBe(got);
  });
});

type Gen = unknown;

// printEdn writes a generated value as EDN text ({keyword} → :k, {map} → {"k" v}).
function printEdn(value: Gen): string {
  if (value === null) return 'nil';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value).replace(/\\u([0-9a-f]{4})/g, '\\u$1');
  if (Array.isArray(value)) return `[${value.map(printEdn).join(' ')}]`;
  const obj = value as { keyword?: string; map?: Record<string, Gen> };
  if (obj.keyword !== undefined) return `:${obj.keyword}`;
  return `{${Object.entries(obj.map ?? {}).map(([k, v]) => `:${k} ${printEdn(v)}`).join(', ')}}`;
}

function expectedValue(value: Gen): EdnValue {
  if (value === null || typeof value !== 'object') return value as EdnValue;
  if (Array.isArray(value)) return value.map(expectedValue);
  const obj = value as { keyword?: string; map?: Record<string, Gen> };
  if (obj.keyword !== undefined) return obj.keyword;
  return Object.fromEntries(Object.entries(obj.map ?? {}).map(([k, v]) => [k, expectedValue(v)]));
}
