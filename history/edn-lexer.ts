// history/edn-lexer.ts — incremental EDN tokenizer: text arrives in chunks, tokens leave whole.
import { HistoryParseError } from './errors.ts';

/** EdnValue is EDN read into JSON-shaped data (see edn.ts for the mapping). */
export type EdnValue = null | boolean | number | string | EdnValue[] | { [key: string]: EdnValue };

/** EdnOpen is a collection opener: list, vector, map or set. */
export type EdnOpen = '(' | '[' | '{' | '#{';

/** EdnToken is one lexical unit with the 1-based line it starts on. */
export type EdnToken =
  | { kind: 'open'; delim: EdnOpen; line: number }
  | { kind: 'close'; delim: ')' | ']' | '}'; line: number }
  | { kind: 'atom'; value: EdnValue; line: number }
  | { kind: 'tag'; tag: string; line: number }
  | { kind: 'discard'; line: number };

// A symbol-like token runs until whitespace, a comma, a delimiter or a backslash (as in Clojure,
// where `[\a\b]` is two characters).
const TOKEN_RUN = /[^\s,()[\]{}";\\]+/y;
const INTEGER = /^[+-]?\d+N?$/;
const FLOAT = /^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$/;
const RATIO = /^([+-]?\d+)\/(\d+)$/;
const NAMED_CHARS: Record<string, string> = {
  newline: '\n', space: ' ', tab: '\t', return: '\r', backspace: '\b', formfeed: '\f',
};
const STRING_ESCAPES: Record<string, string> = {
  t: '\t', r: '\r', n: '\n', b: '\b', f: '\f', '\\': '\\', '"': '"',
};

/**
 * EdnLexer turns pushed text into tokens. `next(final)` returns null when the buffered text
 * ends inside a token and more may come (`final` false), so a token split across two chunks
 * is read whole once the second arrives. Line numbers advance only when a token is consumed.
 */
export class EdnLexer {
  private buf = '';
  private pos = 0;
  private lineNow = 1;

  constructor(readonly file: string) {}

  /** line is the current 1-based line (where the next token would start). */
  get line(): number {
    return this.lineNow;
  }

  /** push appends text, dropping what has already been consumed. */
  push(text: string): void {
    this.buf = this.pos === 0 ? this.buf + text : this.buf.slice(this.pos) + text;
    this.pos = 0;
  }

  /** fail builds the error for this file at `line`. */
  fail(line: number, expected: string, got?: string): HistoryParseError {
    return new HistoryParseError(this.file, line, expected, got);
  }

  /** next returns the next token, or null when the buffer is exhausted (or ends mid-token). */
  next(final: boolean): EdnToken | null {
    if (!this.skipBlank(final)) return null;
    const c = this.buf[this.pos];
    const line = this.lineNow;
    switch (c) {
      case '(': case '[': case '{':
        this.pos += 1;
        return { kind: 'open', delim: c, line };
      case ')': case ']': case '}':
        this.pos += 1;
        return { kind: 'close', delim: c, line };
      case '"':
        return this.readString(final);
      case '#':
        return this.readDispatch(final);
      case '\\':
        return this.readChar(final);
      default:
        return this.readAtom(final);
    }
  }

  // skipBlank consumes whitespace, commas and comments; false when nothing is left to read now.
  private skipBlank(final: boolean): boolean {
    const buf = this.buf;
    while (this.pos < buf.length) {
      const c = buf.charCodeAt(this.pos);
      if (c === 10) {
        this.lineNow += 1;
        this.pos += 1;
      } else if (c === 32 || c === 9 || c === 13 || c === 12 || c === 44) {
        this.pos += 1;
      } else if (c === 59) {
        const end = buf.indexOf('\n', this.pos);
        if (end < 0) {
          if (!final) return false;
          this.pos = buf.length;
        } else {
          this.pos = end;
        }
      } else {
        return true;
      }
    }
    return false;
  }

  // tokenEnd is the end of the symbol-like run at `from`; -1 if it may go on in the next chunk.
  private tokenEnd(from: number, final: boolean): number {
    TOKEN_RUN.lastIndex = from;
    const m = TOKEN_RUN.exec(this.buf);
    const end = m === null ? from : from + m[0].length;
    if (end === this.buf.length && !final) return -1;
    return end;
  }

  private readAtom(final: boolean): EdnToken | null {
    const end = this.tokenEnd(this.pos, final);
    if (end < 0) return null;
    const line = this.lineNow;
    const text = this.buf.slice(this.pos, end);
    if (text.length === 0) throw this.fail(line, 'an EDN form', JSON.stringify(this.buf[this.pos]));
    this.pos = end;
    return { kind: 'atom', value: this.atomValue(text, line), line };
  }

  private atomValue(text: string, line: number): EdnValue {
    if (text === 'nil') return null;
    if (text === 'true') return true;
    if (text === 'false') return false;
    const c0 = text.charCodeAt(0);
    const c1 = text.charCodeAt(1);
    const signed = (c0 === 43 || c0 === 45) && isDigit(c1);
    if (isDigit(c0) || signed) return this.numberValue(text, line);
    if (c0 === 58) {
      const name = text.slice(1);
      if (name.length === 0 || name.startsWith(':') || name.endsWith('/')) {
        throw this.fail(line, 'a keyword name after ":"', JSON.stringify(text));
      }
      return name;
    }
    return text;
  }

  // numberValue: integers beyond Number.MAX_SAFE_INTEGER (or with N) that would lose precision
  // are kept as their decimal string, so equal big values still compare equal.
  private numberValue(text: string, line: number): EdnValue {
    if (INTEGER.test(text)) {
      const digits = text.endsWith('N') ? text.slice(0, -1) : text;
      const n = Number(digits);
      if (Number.isSafeInteger(n)) return n;
      const unsigned = digits.replace(/^[+-]/, '').replace(/^0+(?=\d)/, '');
      return digits.startsWith('-') ? `-${unsigned}` : unsigned;
    }
    if (FLOAT.test(text)) return Number(text.endsWith('M') ? text.slice(0, -1) : text);
    const ratio = RATIO.exec(text);
    if (ratio !== null && Number(ratio[2]) !== 0) return Number(ratio[1]) / Number(ratio[2]);
    throw this.fail(line, 'a number (integer, float or ratio)', JSON.stringify(text));
  }

  private readString(final: boolean): EdnToken | null {
    const buf = this.buf;
    const line = this.lineNow;
    let i = this.pos + 1;
    let escaped = false;
    while (i < buf.length) {
      const c = buf.charCodeAt(i);
      if (c === 92) { escaped = true; i += 2; continue; }
      if (c === 34) break;
      i += 1;
    }
    if (i >= buf.length) {
      if (!final) return null;
      throw this.fail(line, `a closing '"' for the string starting on line ${line}`, 'end of file');
    }
    const raw = buf.slice(this.pos + 1, i);
    const value = escaped ? this.unescape(raw, line) : raw;
    this.pos = i + 1;
    this.lineNow += countNewlines(raw);
    return { kind: 'atom', value, line };
  }

  private unescape(raw: string, line: number): string {
    let out = '';
    for (let i = 0; i < raw.length; i += 1) {
      const c = raw[i];
      if (c !== '\\') { out += c; continue; }
      const e = raw[i + 1];
      if (e === 'u') {
        const hex = raw.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw this.fail(line, 'four hex digits after \\u', JSON.stringify(hex));
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 5;
        continue;
      }
      const mapped = e === undefined ? undefined : STRING_ESCAPES[e];
      if (mapped === undefined) {
        const expected = 'a string escape (\\t \\r \\n \\b \\f \\\\ \\" \\uXXXX)';
        throw this.fail(line, expected, JSON.stringify(`\\${e ?? ''}`));
      }
      out += mapped;
      i += 1;
    }
    return out;
  }

  private readChar(final: boolean): EdnToken | null {
    const line = this.lineNow;
    if (this.pos + 1 >= this.buf.length) {
      if (!final) return null;
      throw this.fail(line, 'a character after "\\"', 'end of file');
    }
    // The first character after the backslash is always part of the literal, even "(".
    const end = this.tokenEnd(this.pos + 2, final);
    if (end < 0) return null;
    const name = this.buf.slice(this.pos + 1, end);
    let value: string | undefined;
    if (name.length === 1) value = name;
    else if (/^u[0-9a-fA-F]{4}$/.test(name)) {
      value = String.fromCharCode(parseInt(name.slice(1), 16));
    }
    else value = NAMED_CHARS[name];
    if (value === undefined) {
      const expected = 'a character literal like \\a, \\newline or \\u0041';
      throw this.fail(line, expected, JSON.stringify(`\\${name}`));
    }
    if (name === '\n') this.lineNow += 1;
    this.pos = end;
    return { kind: 'atom', value, line };
  }

  private readDispatch(final: boolean): EdnToken | null {
    const line = this.lineNow;
    if (this.pos + 1 >= this.buf.length) {
      if (!final) return null;
      throw this.fail(line, 'a form after "#"', 'end of file');
    }
    const c = this.buf[this.pos + 1];
    if (c === '{') { this.pos += 2; return { kind: 'open', delim: '#{', line }; }
    if (c === '_') { this.pos += 2; return { kind: 'discard', line }; }
    const from = c === '#' ? this.pos + 2 : this.pos + 1;
    const end = this.tokenEnd(from, final);
    if (end < 0) return null;
    const name = this.buf.slice(from, end);
    if (c === '#') {
      const special: Record<string, number> = { Inf: Infinity, '-Inf': -Infinity, NaN: NaN };
      const value = special[name];
      if (value === undefined) {
        throw this.fail(line, '##Inf, ##-Inf or ##NaN', JSON.stringify(`##${name}`));
      }
      this.pos = end;
      return { kind: 'atom', value, line };
    }
    if (!/^[A-Za-z]/.test(name)) {
      throw this.fail(line, 'a tag, #{ or #_ after "#"', JSON.stringify(`#${name || c}`));
    }
    this.pos = end;
    return { kind: 'tag', tag: name, line };
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
}
