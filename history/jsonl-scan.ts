// history/jsonl-scan.ts — read the canonical JSONL op line straight from bytes, without JSON.parse.
import type { Op, OpType } from './op.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
/** Integers of up to this many digits are exact in a double and summed digit by digit. */
const DIGITS_EXACT = 15;
const INTERNED_MAX = 4096;
const INTERNED_BYTES_MAX = 32;
const RECENT_MASK = 63;
/** ARRAY_DEPTH_MAX keeps the hand parser's recursion short; deeper values take JSON.parse. */
const ARRAY_DEPTH_MAX = 8;

/**
 * Literal is a fixed run of ASCII bytes (a field name with its punctuation) split into
 * little-endian 32-bit words and a tail: matched four bytes per load, a field name costs a
 * third of the compares it did byte by byte (names are most of a canonical line's bytes).
 */
class Literal {
  readonly length: number;
  readonly words: Int32Array;
  readonly tail: Uint8Array;

  constructor(text: string) {
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    if (bytes.some((b) => b >= 0x80)) throw new Error(`Literal: ${text} is not ASCII`);
    this.length = bytes.length;
    const view = new DataView(bytes.buffer);
    this.words = Int32Array.from({ length: bytes.length >> 2 }, (_, i) => view.getInt32(4 * i, true));
    this.tail = bytes.slice(4 * this.words.length);
  }
}

const ascii = (text: string): Literal => new Literal(text);
const INDEX = ascii('{"index":');
const TIME = ascii(',"time":');
const TYPE = ascii(',"type":"');
const PROCESS = ascii(',"process":');
const NEMESIS = ascii('"nemesis"');
const F = ascii(',"f":"');
const KEY = ascii(',"key":');
const VALUE = ascii(',"value":');
const NODE = ascii(',"node":"');
const ERROR = ascii(',"error":"');
const STAMP = ascii(',"stamp":');
const NULL = ascii('null');
const TRUE = ascii('true');
const FALSE = ascii('false');
const INVOKE = ascii('invoke"');
const OK = ascii('ok"');
const FAIL = ascii('fail"');
const INFO = ascii('info"');

/**
 * ScannedOp is an Op built field by field in the canonical order. A class, so V8 keeps the
 * optional fields in the object itself (a plain literal grown later gets a second allocation).
 */
class ScannedOp implements Op {
  // Every field is declared, not defined, so the constructor sets them in the canonical order.
  declare index: number;
  declare time?: number;
  declare type: OpType;
  declare process: Op['process'];
  declare f: string;
  declare key?: Op['key'];
  declare value?: unknown;
  declare node?: string;
  declare error?: string;
  declare stamp?: Op['stamp'];

  constructor(index: number, time: number | undefined, type: OpType, process: Op['process'], f: string) {
    this.index = index;
    if (time !== undefined) this.time = time;
    this.type = type;
    this.process = process;
    this.f = f;
  }
}

/** NOT_SCANNED marks a value the hand parser does not take (distinct from every JSON value). */
const NOT_SCANNED = Symbol('not scanned');

/**
 * CanonicalOpScanner parses a line in the shape serializeOp writes — no whitespace, fields
 * index, time?, type, process, f, key?, value?, node?, error?, stamp? in that order, strings without
 * escapes, values made of scalars and arrays — straight from the file's bytes, and returns the
 * Op that opFromRecord(JSON.parse(line)) gives. Any other line, valid or not, gives undefined:
 * the caller then takes the general path, which also words the errors. Short strings (f,
 * keys, nodes) are interned, so a million ops share a few "write" strings.
 */
export class CanonicalOpScanner {
  private bytes: Uint8Array = new Uint8Array(0);
  /** view reads `bytes` four at a time (expect); remade only when the buffer changes. */
  private view: DataView = new DataView(new ArrayBuffer(0));
  private at = 0;
  private end = 0;
  private readonly interned = new Map<number, string>();
  private readonly recent: (string | undefined)[] = new Array<string | undefined>(RECENT_MASK + 1).fill(undefined);
  private readonly pairs = new SmallPairs();

  /** stop is where the op scanFrom last read ends: just after its closing brace. */
  stop = 0;

  /** scan parses bytes[start, end), one line without its terminator. */
  scan(bytes: Uint8Array, start: number, end: number): Op | undefined {
    const op = this.scanFrom(bytes, start, end);
    return op !== undefined && this.stop === end ? op : undefined;
  }

  /**
   * scanFrom parses the canonical op that starts at `start`, reading no byte at or past `limit`,
   * and sets `stop` just after its closing brace: the caller checks that a line end follows.
   * No byte of a canonical op is a line terminator, so it never reads on into the next line,
   * and a reader need not look for the line's end first.
   */
  scanFrom(bytes: Uint8Array, start: number, limit: number): Op | undefined {
    if (bytes !== this.bytes) this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.bytes = bytes;
    this.at = start;
    this.end = limit;
    if (!this.expect(INDEX)) return undefined;
    const index = this.count();
    if (index < 0) return undefined;
    let time: number | undefined;
    if (this.expect(TIME)) {
      time = this.number();
      if (Number.isNaN(time)) return undefined;
    }
    if (!this.expect(TYPE)) return undefined;
    const type = this.type();
    if (type === undefined || !this.expect(PROCESS)) return undefined;
    const process = this.expect(NEMESIS) ? 'nemesis' : this.count();
    if (process === -1 || !this.expect(F)) return undefined;
    const f = this.string();
    if (f === undefined || f.length === 0) return undefined;
    const op = new ScannedOp(index, time, type, process, f);
    if (this.expect(KEY)) {
      let key: string | number | undefined;
      if (this.bytes[this.at] === QUOTE) {
        this.at++;
        key = this.string();
      } else {
        key = this.number();
      }
      if (key === undefined || Number.isNaN(key)) return undefined;
      op.key = key;
    }
    if (this.expect(VALUE)) {
      const value = this.value(0);
      if (value === NOT_SCANNED) return undefined;
      op.value = value;
    }
    if (this.expect(NODE)) {
      const node = this.string();
      if (node === undefined) return undefined;
      op.node = node;
    }
    if (this.expect(ERROR)) {
      const error = this.string();
      if (error === undefined) return undefined;
      op.error = error;
    }
    if (this.expect(STAMP)) {
      const stamp = this.stamp();
      if (stamp === undefined) return undefined;
      op.stamp = stamp;
    }
    if (this.at >= this.end || this.bytes[this.at] !== CLOSE_BRACE) return undefined;
    this.stop = this.at + 1;
    return op;
  }

  // stamp reads null or [clock,"node"] (a Lamport stamp: a count and a string), as opFromRecord demands.
  private stamp(): Op['stamp'] | undefined {
    if (this.expect(NULL)) return null;
    if (this.bytes[this.at] !== OPEN_BRACKET) return undefined;
    this.at++;
    const clock = this.count();
    if (clock < 0 || this.bytes[this.at] !== COMMA || this.bytes[this.at + 1] !== QUOTE) return undefined;
    this.at += 2;
    const node = this.string();
    if (node === undefined || this.bytes[this.at] !== CLOSE_BRACKET) return undefined;
    this.at++;
    return [clock, node];
  }

  // type reads invoke", ok", fail" or info" (the opening quote is consumed).
  private type(): OpType | undefined {
    switch (this.bytes[this.at]) {
      case 0x69: // i
        if (this.expect(INVOKE)) return 'invoke';
        return this.expect(INFO) ? 'info' : undefined;
      case 0x6f: // o
        return this.expect(OK) ? 'ok' : undefined;
      case 0x66: // f
        return this.expect(FAIL) ? 'fail' : undefined;
      default:
        return undefined;
    }
  }

  // expect consumes `spelled` if the bytes at the cursor are exactly it.
  private expect(spelled: Literal): boolean {
    const { at, view, bytes } = this;
    const length = spelled.length;
    if (at + length > this.end) return false;
    const { words, tail } = spelled;
    for (let i = 0; i < words.length; i++) if (view.getInt32(at + 4 * i, true) !== words[i]) return false;
    const tailAt = at + 4 * words.length;
    for (let i = 0; i < tail.length; i++) if (bytes[tailAt + i] !== tail[i]) return false;
    this.at = at + length;
    return true;
  }

  // count reads a non-negative JSON integer of at most DIGITS_EXACT digits; -1 if there is none.
  private count(): number {
    const { bytes } = this;
    const start = this.at;
    let at = start;
    let value = 0;
    while (at < this.end && bytes[at] >= ZERO && bytes[at] <= NINE) value = value * 10 + (bytes[at++] - ZERO);
    const digits = at - start;
    if (digits === 0 || digits > DIGITS_EXACT || (digits > 1 && bytes[start] === ZERO)) return -1;
    this.at = at;
    return value;
  }

  // number reads a finite JSON number by its grammar; NaN if there is none (or it overflows).
  private number(): number {
    const { bytes, end } = this;
    const start = this.at;
    let at = start;
    if (bytes[at] === MINUS) at++;
    const intStart = at;
    let value = 0;
    while (at < end && bytes[at] >= ZERO && bytes[at] <= NINE) value = value * 10 + (bytes[at++] - ZERO);
    const digits = at - intStart;
    if (digits === 0 || (digits > 1 && bytes[intStart] === ZERO)) return NaN;
    let plain = digits <= DIGITS_EXACT;
    if (at < end && bytes[at] === DOT) {
      plain = false;
      const fracStart = ++at;
      while (at < end && bytes[at] >= ZERO && bytes[at] <= NINE) at++;
      if (at === fracStart) return NaN;
    }
    if (at < end && (bytes[at] | 0x20) === 0x65) {
      plain = false;
      at++;
      if (at < end && (bytes[at] === 0x2b || bytes[at] === MINUS)) at++;
      const expStart = at;
      while (at < end && bytes[at] >= ZERO && bytes[at] <= NINE) at++;
      if (at === expStart) return NaN;
    }
    this.at = at;
    if (plain) return bytes[start] === MINUS ? -value : value;
    const parsed = Number(latin1(bytes, start, at));
    return Number.isFinite(parsed) ? parsed : NaN;
  }

  // string reads up to the closing quote (the opening one is consumed); escapes give undefined.
  private string(): string | undefined {
    const { bytes, end } = this;
    const start = this.at;
    let wide = false;
    for (let at = start; at < end; at++) {
      const c = bytes[at];
      if (c === QUOTE) {
        this.at = at + 1;
        if (wide) return Buffer.from(bytes.buffer, bytes.byteOffset + start, at - start).toString('utf8');
        return this.internAscii(start, at);
      }
      if (c === BACKSLASH || c < 0x20) return undefined;
      if (c >= 0x80) wide = true;
    }
    return undefined;
  }

  // value reads null, booleans, numbers, strings and arrays of them; NOT_SCANNED otherwise.
  private value(depth: number): unknown {
    const c = this.bytes[this.at];
    if (c === QUOTE) {
      this.at++;
      return this.string() ?? NOT_SCANNED;
    }
    if (c === MINUS || (c >= ZERO && c <= NINE)) {
      const n = this.number();
      return Number.isNaN(n) ? NOT_SCANNED : n;
    }
    if (this.expect(NULL)) return null;
    if (this.expect(TRUE)) return true;
    if (this.expect(FALSE)) return false;
    if (c !== OPEN_BRACKET || depth >= ARRAY_DEPTH_MAX) return NOT_SCANNED;
    this.at++;
    const items: unknown[] = [];
    if (this.bytes[this.at] === CLOSE_BRACKET) {
      this.at++;
      return items;
    }
    for (;;) {
      const item = this.value(depth + 1);
      if (item === NOT_SCANNED) return NOT_SCANNED;
      items.push(item);
      const next = this.bytes[this.at++];
      if (next === CLOSE_BRACKET) return depth === 0 ? this.pairs.shared(items) : items;
      if (next !== COMMA) return NOT_SCANNED;
    }
  }

  // internAscii gives one string per distinct short ASCII text (checked byte by byte).
  private internAscii(start: number, end: number): string {
    const { bytes } = this;
    const length = end - start;
    if (length > INTERNED_BYTES_MAX) return latin1(bytes, start, end);
    // A line's few short strings (f, a node, an error) recur: a slot picked by length and the
    // end bytes usually holds the string already, found without hashing every byte.
    const slot = length === 0 ? 0 : (length ^ Math.imul(bytes[start], 7) ^ Math.imul(bytes[end - 1], 13)) & RECENT_MASK;
    const recent = this.recent[slot];
    if (recent !== undefined && sameAscii(recent, bytes, start, length)) return recent;
    const text = this.internHashed(start, end);
    this.recent[slot] = text;
    return text;
  }

  // internHashed is internAscii by an FNV hash of every byte, in a table of INTERNED_MAX strings.
  private internHashed(start: number, end: number): string {
    const { bytes } = this;
    const length = end - start;
    let hash = 0x811c9dc5 ^ length;
    for (let at = start; at < end; at++) hash = Math.imul(hash ^ bytes[at], 0x01000193);
    const known = this.interned.get(hash);
    if (known !== undefined && sameAscii(known, bytes, start, length)) return known;
    const text = latin1(bytes, start, end);
    if (known === undefined && this.interned.size < INTERNED_MAX) this.interned.set(hash, text);
    return text;
  }
}

/** SMALL_PAIR_ITEM_MAX bounds the items of a shared pair: [expected, new] of a cas on small registers. */
const SMALL_PAIR_ITEM_MAX = 1023;

/**
 * SmallPairs hands out one frozen array per distinct op value that is a pair of small non-negative integers: a
 * million cas ops name a few dozen [expected, new] pairs, and a pair kept per op was a
 * quarter of the work of reading and pairing (garbage collection of the survivors). Frozen, so
 * a consumer that tried to change one op's value would throw instead of changing them all.
 */
class SmallPairs {
  private readonly known = new Map<number, readonly unknown[]>();

  shared(items: unknown[]): unknown[] {
    if (items.length !== 2) return items;
    const [a, b] = items;
    if (!isSmallCount(a) || !isSmallCount(b)) return items;
    const code = a * (SMALL_PAIR_ITEM_MAX + 1) + b;
    let pair = this.known.get(code);
    if (pair === undefined) {
      pair = Object.freeze(items);
      this.known.set(code, pair);
    }
    return pair as unknown[];
  }
}

function isSmallCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= SMALL_PAIR_ITEM_MAX && !Object.is(value, -0);
}

// sameAscii: `text` is exactly bytes[start, start + length) (ASCII, one char a byte).
function sameAscii(text: string, bytes: Uint8Array, start: number, length: number): boolean {
  if (text.length !== length) return false;
  for (let i = 0; i < length; i++) if (text.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}
