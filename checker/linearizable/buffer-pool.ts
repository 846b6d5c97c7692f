// checker/linearizable/buffer-pool.ts — reuse the small buffers of finished searches.
//
// A check of many small partitions (Porcupine's kv c01/c10: 10 keys, a few dozen ops each)
// spends most of its time allocating ArrayBuffers, which V8 keeps off-heap and accounts one
// by one. Finished searches hand their buffers back here; a new search takes one of its size
// class, zeroed. Large buffers are left to the allocator: their cost is the search, not this.

const CLASS_BYTES_MIN = 64;
const CLASS_BYTES_MAX = 1 << 16;
const KEPT_PER_CLASS = 32;

// free[c] holds buffers of exactly CLASS_BYTES_MIN << c bytes.
const free: ArrayBuffer[][] = [];

function classOf(bytes: number): number {
  let c = 0;
  while (CLASS_BYTES_MIN << c < bytes) c++;
  return c;
}

/** takeBuffer returns a zeroed buffer of at least `bytes` bytes (exactly `bytes` when large). */
export function takeBuffer(bytes: number): ArrayBuffer {
  if (bytes > CLASS_BYTES_MAX) return new ArrayBuffer(bytes);
  const c = classOf(bytes);
  const buffer = free[c]?.pop();
  if (buffer === undefined) return new ArrayBuffer(CLASS_BYTES_MIN << c);
  new Uint8Array(buffer).fill(0);
  return buffer;
}

/** giveBuffer hands a buffer back; it must not be used afterwards. Odd sizes are dropped. */
export function giveBuffer(buffer: ArrayBuffer): void {
  const bytes = buffer.byteLength;
  if (bytes > CLASS_BYTES_MAX || bytes < CLASS_BYTES_MIN || (bytes & (bytes - 1)) !== 0) return;
  const c = classOf(bytes);
  const list = (free[c] ??= []);
  if (list.length < KEPT_PER_CLASS) list.push(buffer);
}
