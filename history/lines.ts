// history/lines.ts — stream a text file line by line without holding it in memory.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** NumberedLine is one line of a file without its terminator, with its 1-based line number. */
export interface NumberedLine {
  text: string;
  line: number;
}

/**
 * readLines yields the lines of `path` one at a time (LF or CRLF endings; a leading BOM is
 * removed). The file is read as a stream, so a history of millions of lines is never one string.
 */
export async function* readLines(path: string): AsyncGenerator<NumberedLine> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of lines) {
      line += 1;
      const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      yield { text, line };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** readChunks yields the decoded text of `path` in stream-sized chunks (UTF-8 safe at borders). */
export async function* readChunks(path: string): AsyncGenerator<string> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  let first = true;
  try {
    for await (const chunk of stream) {
      let text = chunk as string;
      if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
      yield text;
    }
  } finally {
    stream.destroy();
  }
}
