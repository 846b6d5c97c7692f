// history/edn.ts — streaming EDN reader (explicit stack) for Jepsen and Knossos histories.
//
// EDN is read into JSON-shaped data, because histories end up as JSON ops:
// - nil → null, true/false → booleans, strings and chars → strings;
// - keywords → their name without the colon (`:ok` → "ok", `:a/b` → "a/b");
// - symbols → strings;
// - integers → numbers; an integer outside Number's safe range (with or without the `N`
//   suffix) → its decimal string, so it keeps its exact value; floats (and `M`) → numbers;
//   ratios → the quotient as a number; ##Inf/##-Inf/##NaN → the numbers;
// - vectors, lists and sets → arrays (set order as written);
// - maps → plain objects; keys are converted as above, then numbers/booleans/nil are
//   stringified and collection keys are JSON-stringified; a repeated key keeps the last value;
// - `#_ form` is discarded; any tagged literal (`#inst "…"`, `#uuid "…"`,
//   `#jepsen.history.Op{…}`) → its inner value.
import { openText, type TextInput } from './lines.ts';
import { EdnLexer, type EdnOpen, type EdnToken, type EdnValue } from './edn-lexer.ts';

export type { EdnValue } from './edn-lexer.ts';

/** EdnItem is one complete form and the line it starts on. */
export interface EdnItem {
  value: EdnValue;
  line: number;
}

/** EdnReaderOptions tune what counts as a top-level form. */
export interface EdnReaderOptions {
  /**
   * streamTopLevelSeq: when the top-level form is a vector or list, yield its elements one by
   * one as they complete instead of the whole collection (a history written as one vector).
   */
  streamTopLevelSeq?: boolean;
  /** depthMax bounds nesting; deeper input is an error rather than unbounded growth. */
  depthMax?: number;
}

type Prefix = { kind: 'discard'; line: number } | { kind: 'tag'; tag: string; line: number };

interface Frame {
  delim: EdnOpen;
  line: number;
  items: EdnValue[];
  pending: Prefix[];
  streaming: boolean;
}

const CLOSERS: Record<EdnOpen, string> = { '(': ')', '[': ']', '{': '}', '#{': '}' };
const DEPTH_MAX_DEFAULT = 10_000;

/**
 * EdnReader parses EDN pushed in chunks. `push` returns the forms completed so far, `end`
 * the rest and checks that nothing is left open. Nesting is kept on an explicit stack, so deep
 * input cannot overflow the JS call stack.
 */
export class EdnReader {
  private readonly lexer: EdnLexer;
  private readonly stack: Frame[] = [];
  private readonly rootPending: Prefix[] = [];
  private readonly streamTopLevelSeq: boolean;
  private readonly depthMax: number;
  private out: EdnItem[] = [];

  constructor(readonly file: string, opts: EdnReaderOptions = {}) {
    this.lexer = new EdnLexer(file);
    this.streamTopLevelSeq = opts.streamTopLevelSeq ?? false;
    this.depthMax = opts.depthMax ?? DEPTH_MAX_DEFAULT;
  }

  /** push feeds a chunk and returns every form completed by it. */
  push(text: string): EdnItem[] {
    this.lexer.push(text);
    return this.drain(false);
  }

  /** end signals end of input; returns the last forms, throws if a form is left unfinished. */
  end(): EdnItem[] {
    const items = this.drain(true);
    const open = this.stack[this.stack.length - 1];
    if (open !== undefined) {
      const closer = CLOSERS[open.delim];
      const expected = `"${closer}" to close "${open.delim}" opened on line ${open.line}`;
      throw this.lexer.fail(this.lexer.line, expected, 'end of file');
    }
    const prefix = this.rootPending[this.rootPending.length - 1];
    if (prefix !== undefined) {
      throw this.lexer.fail(prefix.line, `a form after ${prefixText(prefix)}`, 'end of file');
    }
    return items;
  }

  private drain(final: boolean): EdnItem[] {
    for (let token = this.lexer.next(final); token !== null; token = this.lexer.next(final)) {
      this.accept(token);
    }
    const items = this.out;
    this.out = [];
    return items;
  }

  private accept(token: EdnToken): void {
    switch (token.kind) {
      case 'atom':
        this.complete(token.value, token.line);
        return;
      case 'discard':
      case 'tag':
        this.pendingNow().push(token.kind === 'tag'
          ? { kind: 'tag', tag: token.tag, line: token.line }
          : { kind: 'discard', line: token.line });
        return;
      case 'open':
        this.open(token.delim, token.line);
        return;
      case 'close':
        this.close(token.delim, token.line);
        return;
    }
  }

  private pendingNow(): Prefix[] {
    const top = this.stack[this.stack.length - 1];
    return top === undefined ? this.rootPending : top.pending;
  }

  private open(delim: EdnOpen, line: number): void {
    if (this.stack.length >= this.depthMax) {
      throw this.lexer.fail(line, `nesting no deeper than ${this.depthMax}`, `"${delim}"`);
    }
    const streaming = this.streamTopLevelSeq && this.stack.length === 0 &&
      this.rootPending.length === 0 && (delim === '[' || delim === '(');
    this.stack.push({ delim, line, items: [], pending: [], streaming });
  }

  private close(delim: string, line: number): void {
    const frame = this.stack.pop();
    if (frame === undefined) throw this.lexer.fail(line, 'an EDN form', `"${delim}"`);
    const closer = CLOSERS[frame.delim];
    if (delim !== closer) {
      const expected = `"${closer}" to close "${frame.delim}" opened on line ${frame.line}`;
      throw this.lexer.fail(line, expected, `"${delim}"`);
    }
    const prefix = frame.pending[frame.pending.length - 1];
    if (prefix !== undefined) {
      throw this.lexer.fail(line, `a form after ${prefixText(prefix)}`, `"${delim}"`);
    }
    if (frame.streaming) return;
    this.complete(this.build(frame, line), frame.line);
  }

  private build(frame: Frame, line: number): EdnValue {
    if (frame.delim !== '{') return frame.items;
    const items = frame.items;
    if (items.length % 2 !== 0) {
      const expected = `an even number of forms in the map opened on line ${frame.line}`;
      throw this.lexer.fail(line, expected, `${items.length} forms`);
    }
    const map: { [key: string]: EdnValue } = {};
    for (let i = 0; i < items.length; i += 2) {
      const key = mapKey(items[i]);
      // Assigning "__proto__" would change the prototype instead of adding a key.
      const value = items[i + 1];
      if (key === '__proto__') {
        const data = { value, enumerable: true, writable: true, configurable: true };
        Object.defineProperty(map, key, data);
      } else {
        map[key] = value;
      }
    }
    return map;
  }

  // complete hands a finished form to its parent, after the parent's pending #_ and tags.
  private complete(value: EdnValue, line: number): void {
    const top = this.stack[this.stack.length - 1];
    const pending = top === undefined ? this.rootPending : top.pending;
    let result = value;
    for (let prefix = pending.pop(); prefix !== undefined; prefix = pending.pop()) {
      if (prefix.kind === 'discard') return;
      result = this.untag(prefix, result);
    }
    if (top === undefined || top.streaming) this.out.push({ value: result, line });
    else top.items.push(result);
  }

  private untag(prefix: Prefix & { kind: 'tag' }, value: EdnValue): EdnValue {
    if ((prefix.tag === 'inst' || prefix.tag === 'uuid') && typeof value !== 'string') {
      throw this.lexer.fail(prefix.line, `a string after #${prefix.tag}`, JSON.stringify(value));
    }
    return value;
  }
}

function prefixText(prefix: Prefix): string {
  return prefix.kind === 'discard' ? '#_' : `#${prefix.tag}`;
}

function mapKey(key: EdnValue): string {
  if (typeof key === 'string') return key;
  if (key === null || typeof key === 'number' || typeof key === 'boolean') return String(key);
  return JSON.stringify(key);
}

/** parseEdn reads every top-level form of `text`; `file` labels errors. */
export function parseEdn(text: string, file = '<string>', opts: EdnReaderOptions = {}): EdnItem[] {
  const reader = new EdnReader(file, opts);
  const items = reader.push(text);
  return items.concat(reader.end());
}

/**
 * readEdnForms yields the top-level forms of an EDN file or stream (or, with streamTopLevelSeq, the
 * elements of a top-level vector) as the file streams in.
 */
export async function* readEdnForms(
  input: TextInput, opts: EdnReaderOptions = {},
): AsyncGenerator<EdnItem> {
  const source = openText(input);
  const reader = new EdnReader(source.name, opts);
  for await (const chunk of source.chunks) {
    yield* reader.push(chunk);
  }
  yield* reader.end();
}
