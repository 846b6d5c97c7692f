// history/lines.ts — read a text file or stdin once, as chunks or numbered lines, streaming.
import { createReadStream } from 'node:fs';

/** STDIN_PATH is the path that means standard input, as in most Unix tools. */
export const STDIN_PATH = '-';

// /dev/stdin is read as the process's stdin too: opening it fails (ENXIO) when stdin is a socket.
export function isStdinPath(path: string): boolean {
  return path === STDIN_PATH || path === '/dev/stdin';
}

/**
 * TextSource is text that can be read exactly once (a file, a pipe, a FIFO, stdin), with the
 * name errors give it. Readers take one instead of a path so that looking at the head (format
 * detection) and reading the rest share one open: a pipe cannot be opened twice.
 */
export interface TextSource {
  name: string;
  chunks: AsyncIterable<string>;
}

/** TextInput is a path (`-` for stdin) or an already opened TextSource. */
export type TextInput = string | TextSource;

/** openText opens `input` for one read; a leading BOM is removed from the first chunk. */
export function openText(input: TextInput): TextSource {
  if (typeof input !== 'string') return input;
  if (isStdinPath(input)) return { name: '<stdin>', chunks: withoutBom(decoded(process.stdin)) };
  return { name: input, chunks: withoutBom(createReadStream(input, { encoding: 'utf8' })) };
}

/** NumberedLine is one line of a file without its terminator, with its 1-based line number. */
export interface NumberedLine {
  text: string;
  line: number;
}

/**
 * readLines yields the lines of `input` one at a time (LF or CRLF endings; a leading BOM is
 * removed). The text is read as a stream, so a history of millions of lines is never one string.
 */
export async function* readLines(input: TextInput): AsyncGenerator<NumberedLine> {
  let line = 0;
  let partial = '';
  for await (const chunk of openText(input).chunks) {
    let start = 0;
    for (let end = chunk.indexOf('\n'); end >= 0; end = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, end);
      const text = partial.length === 0 ? piece : partial + piece;
      partial = '';
      line += 1;
      yield { text: text.endsWith('\r') ? text.slice(0, -1) : text, line };
      start = end + 1;
    }
    if (start < chunk.length) partial += chunk.slice(start);
  }
  if (partial.length > 0) yield { text: partial.endsWith('\r') ? partial.slice(0, -1) : partial, line: line + 1 };
}

// decoded turns a byte stream (stdin) into UTF-8 text chunks, safe at multi-byte borders.
async function* decoded(stream: NodeJS.ReadableStream): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of stream) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
    if (text.length > 0) yield text;
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield rest;
}

// withoutBom drops a byte order mark at the very start; createReadStream is destroyed on return.
async function* withoutBom(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<string> {
  let first = true;
  for await (const chunk of chunks) {
    let text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    first = false;
    yield text;
  }
}
