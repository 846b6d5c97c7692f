// rsm/runtime/json-limits.ts — bounded JSON for everything a node reads from outside: requests, frames, records.
//
// V8 parses deep JSON iteratively but stringifies and structuredClones it recursively: a value
// nested a few thousand levels parses fine, then kills the node with a RangeError the first
// time it is encoded for a peer or the disk. So nesting is measured on the bytes, before
// parsing (one pass, no recursion), and refused past a limit: at the HTTP edge (400), on a
// peer frame (the connection is closed), and on a log record at restart (treated as corrupt).
// The encoders check their own output against the same limit, so nothing we write is
// something we would refuse to read back.

/** REQUEST_DEPTH_MAX: nesting a client request body may have ({"cmd":{"value":...}} is 2). */
export const REQUEST_DEPTH_MAX = 64;
/**
 * STORED_DEPTH_MAX: nesting of a peer frame or a log record. A client value sits a few
 * envelopes deep in them (an AppendEntries entry, a snapshot's key table), so this leaves a
 * margin of 64 levels over REQUEST_DEPTH_MAX, and is far below where V8's recursion fails (~3,500).
 */
export const STORED_DEPTH_MAX = 128;

/** JsonLimitError: JSON that is malformed or nested past a limit; the message says which. */
export class JsonLimitError extends Error {}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * jsonDepth measures the deepest nesting of arrays and objects in JSON bytes, skipping strings
 * (in UTF-8 the bytes of " \ [ ] { } never occur inside a multi-byte character). It stops
 * counting once past depthMax, returning depthMax + 1: the caller only needs to know "too deep".
 */
export function jsonDepth(bytes: Uint8Array, depthMax: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
      continue;
    }
    if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACKET || b === OPEN_BRACE) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > depthMax) return depthMax + 1;
    } else if (b === CLOSE_BRACKET || b === CLOSE_BRACE) depth--;
  }
  return deepest;
}

/** parseBoundedJson parses JSON bytes nested at most depthMax deep; throws JsonLimitError otherwise. */
export function parseBoundedJson(bytes: Uint8Array, depthMax: number): unknown {
  if (jsonDepth(bytes, depthMax) > depthMax) throw new JsonLimitError(`JSON nested deeper than ${depthMax} levels`);
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw new JsonLimitError(`not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * encodeBoundedJson is JSON.stringify as UTF-8 bytes, refusing values nested deeper than
 * depthMax (and values too deep for V8's recursive stringify) with a JsonLimitError.
 */
export function encodeBoundedJson(value: unknown, depthMax: number): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    if (err instanceof RangeError) throw new JsonLimitError(`value nested too deep to encode (limit ${depthMax} levels)`);
    throw err;
  }
  if (text === undefined) throw new JsonLimitError('value is not JSON-serialisable');
  const bytes = Buffer.from(text, 'utf8');
  if (jsonDepth(bytes, depthMax) > depthMax) throw new JsonLimitError(`value nested deeper than ${depthMax} levels`);
  return bytes;
}
