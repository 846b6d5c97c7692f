// cluster/docker/tar.ts — a minimal ustar writer: the root filesystem and single files for the Docker API.
//
// Docker takes images (import) and files (put archive) as tar streams. Only what those need
// is written: regular files, directories and symlinks, with POSIX ustar
// headers (names split into prefix/name when longer than 100 bytes); owned by root unless an
// entry names a numeric owner.

/** TarEntry: one member of an archive. Paths are relative (no leading '/'). */
export type TarEntry =
  | { kind: 'dir'; path: string; mode?: number; owner?: TarOwner }
  | { kind: 'file'; path: string; data: Buffer; mode?: number; owner?: TarOwner }
  | { kind: 'symlink'; path: string; target: string };

/** TarOwner: numeric owner of a member (root when absent), e.g. a DB's data directory. */
export interface TarOwner {
  uid: number;
  gid: number;
}

const BLOCK = 512;
const NAME_MAX = 100;
const PREFIX_MAX = 155;

/** octal writes n as a zero-padded octal field of `width` bytes (NUL-terminated). */
function octal(n: number, width: number): string {
  const text = n.toString(8);
  if (text.length > width - 1) throw new Error(`tar: ${n} does not fit in ${width - 1} octal digits`);
  return text.padStart(width - 1, '0') + '\0';
}

/** splitName fits a path into ustar's name (100) and prefix (155) fields, split at a '/'. */
function splitName(p: string): { name: string; prefix: string } {
  if (Buffer.byteLength(p) <= NAME_MAX) return { name: p, prefix: '' };
  for (let i = p.length - 1; i > 0; i--) {
    if (p[i] !== '/') continue;
    const prefix = p.slice(0, i);
    const name = p.slice(i + 1);
    if (Buffer.byteLength(name) <= NAME_MAX && Buffer.byteLength(prefix) <= PREFIX_MAX) return { name, prefix };
  }
  throw new Error(`tar: path too long for ustar: ${p}`);
}

/** header builds the 512-byte ustar header of one entry. */
export function tarHeader(entry: TarEntry, mtimeS: number): Buffer {
  if (entry.path.startsWith('/') || entry.path.length === 0) throw new Error(`tar: paths must be relative, got ${JSON.stringify(entry.path)}`);
  const buf = Buffer.alloc(BLOCK, 0);
  const path = entry.kind === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const { name, prefix } = splitName(path);
  const size = entry.kind === 'file' ? entry.data.length : 0;
  const mode = entry.kind === 'symlink' ? 0o777 : (entry.mode ?? (entry.kind === 'dir' ? 0o755 : 0o644));
  const type = entry.kind === 'file' ? '0' : entry.kind === 'dir' ? '5' : '2';
  buf.write(name, 0, NAME_MAX, 'utf8');
  buf.write(octal(mode, 8), 100, 'ascii');
  const owner = entry.kind === 'symlink' ? undefined : entry.owner;
  buf.write(octal(owner?.uid ?? 0, 8), 108, 'ascii');
  buf.write(octal(owner?.gid ?? 0, 8), 116, 'ascii');
  buf.write(octal(size, 12), 124, 'ascii');
  buf.write(octal(Math.floor(mtimeS), 12), 136, 'ascii');
  buf.write('        ', 148, 'ascii');
  buf.write(type, 156, 'ascii');
  if (entry.kind === 'symlink') {
    if (Buffer.byteLength(entry.target) > NAME_MAX) throw new Error(`tar: symlink target too long: ${entry.target}`);
    buf.write(entry.target, 157, NAME_MAX, 'utf8');
  }
  buf.write('ustar\0', 257, 'ascii');
  buf.write('00', 263, 'ascii');
  // Names only for root: other owners are numeric (the image's /etc/passwd names them).
  if (owner === undefined) {
    buf.write('root', 265, 'ascii');
    buf.write('root', 297, 'ascii');
  }
  buf.write(prefix, 345, PREFIX_MAX, 'utf8');
  let sum = 0;
  for (const byte of buf) sum += byte;
  buf.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return buf;
}

/** tarChunks yields the archive block by block (header, data, padding; two zero blocks at the end). */
export function* tarChunks(entries: Iterable<TarEntry>, mtimeS = 0): Generator<Buffer> {
  for (const entry of entries) {
    yield tarHeader(entry, mtimeS);
    if (entry.kind === 'file' && entry.data.length > 0) {
      yield entry.data;
      const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
      if (pad > 0) yield Buffer.alloc(pad, 0);
    }
  }
  yield Buffer.alloc(2 * BLOCK, 0);
}

/** tarBuffer is the whole archive in memory (for small archives such as one file). */
export function tarBuffer(entries: Iterable<TarEntry>, mtimeS = 0): Buffer {
  return Buffer.concat([...tarChunks(entries, mtimeS)]);
}
