// nemesis/corrupt-bytes.ts — corruptDataFiles: bitflip, zero or truncate one chunk of one file of a node's data directory.
//
// Jepsen's corrupt-file nemesis, for a node that is down: the seeded rng picks the file (among
// the directory's non-empty regular files, unless one is named) and the chunk's place, so a
// seed replays the same damage. The file is changed in place and fsynced, as a bad disk would
// leave it; what the node makes of it at its next start is the point of the test.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Rng } from '../lib/rng.ts';

export const CORRUPT_MODES = ['bitflip', 'zero', 'truncate'] as const;
export type CorruptMode = (typeof CORRUPT_MODES)[number];

/** CorruptSpec: what to do. bytes is the chunk's length (default CHUNK_BYTES_DEFAULT). */
export interface CorruptSpec {
  mode: CorruptMode;
  bytes?: number;
  /** A path relative to the data directory; default: drawn among its non-empty files. */
  file?: string;
}

/** Corruption: what was done, for the history and the report. */
export interface Corruption {
  mode: CorruptMode;
  file: string;
  /** The file's size before. */
  size: number;
  offset: number;
  length: number;
}

export const CHUNK_BYTES_DEFAULT = 64;
const FILES_MAX = 10_000;
/** Names a lazyfs keeps for itself in its backing directory: not the DB's files. */
const SKIPPED_PREFIX = '.lazyfs';

/**
 * dataFiles lists the non-empty regular files under dir (relative paths, sorted, bounded),
 * within `roots` (paths relative to dir, files or directories: the program's data, e.g. etcd's
 * `etcd/member/wal`; a root not there yet is skipped), or anywhere in dir without them.
 */
export function dataFiles(dir: string, roots: readonly string[] = ['.']): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const root of roots) {
    const rel = path.normalize(root);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`corrupt: data path ${JSON.stringify(root)} is outside the data directory`);
    const stat = fs.statSync(path.join(dir, rel), { throwIfNoEntry: false });
    if (stat?.isDirectory() === true) stack.push(rel === '.' ? '' : rel);
    else if (stat?.isFile() === true && stat.size > 0) out.push(rel);
  }
  while (stack.length > 0 && out.length < FILES_MAX) {
    const rel = stack.pop()!;
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (e.name.startsWith(SKIPPED_PREFIX)) continue;
      const child = path.join(rel, e.name);
      if (e.isDirectory()) stack.push(child);
      else if (e.isFile() && fs.statSync(path.join(dir, child)).size > 0) out.push(child);
    }
  }
  return [...new Set(out)].sort();
}

/** corruptDataFiles damages one chunk of one file under dir (among `roots`, see dataFiles); throws when there is nothing to corrupt. */
export function corruptDataFiles(dir: string, spec: CorruptSpec, rng: Rng, roots?: readonly string[]): Corruption {
  const chunk = spec.bytes ?? CHUNK_BYTES_DEFAULT;
  if (!Number.isSafeInteger(chunk) || chunk <= 0) throw new Error(`corrupt: bytes must be a whole number above 0, got ${chunk}`);
  const files = spec.file !== undefined ? [spec.file] : dataFiles(dir, roots);
  if (files.length === 0) throw new Error(`corrupt: no non-empty data file under ${dir}${roots === undefined ? '' : ` in ${roots.join(', ')}`}`);
  const file = files[rng.int(files.length)];
  const full = path.join(dir, file);
  if (path.relative(dir, full).startsWith('..')) throw new Error(`corrupt: file ${JSON.stringify(file)} is outside the data directory`);
  const size = fs.statSync(full).size;
  if (size === 0) throw new Error(`corrupt: ${file} is empty`);
  const length = Math.min(chunk, size);
  if (spec.mode === 'truncate') {
    // Cut between 1 and `length` bytes off the end: a lost tail, the classic short write.
    const cut = 1 + rng.int(length);
    fs.truncateSync(full, size - cut);
    syncFile(full);
    return { mode: spec.mode, file, size, offset: size - cut, length: cut };
  }
  const offset = rng.int(size - length + 1);
  const fd = fs.openSync(full, 'r+');
  try {
    const buf = Buffer.alloc(length);
    fs.readSync(fd, buf, 0, length, offset);
    // bitflip: one random bit of every byte in the chunk; zero: the chunk reads as zeros.
    for (let i = 0; i < length; i++) buf[i] = spec.mode === 'zero' ? 0 : buf[i] ^ (1 << rng.int(8));
    fs.writeSync(fd, buf, 0, length, offset);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { mode: spec.mode, file, size, offset, length };
}

function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
