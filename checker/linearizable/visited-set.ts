// checker/linearizable/visited-set.ts — Lowe's memo of visited (linearized set, state) pairs.
import { giveBuffer, takeBuffer } from './buffer-pool.ts';

/** MemoryBudget is shared by every search of one check, so one cap bounds them all. */
export interface MemoryBudget {
  bytesUsed: number;
  bytesMax: number;
}

const CHUNK_WORDS = 1 << 20; // 4 MiB per arena chunk: growth never copies old entries.
const FIRST_CHUNK_WORDS = 1 << 8;
const BUCKETS_FIRST = 64;
const HEADER_WORDS = 3; // h1, stateId, next entry in bucket (-1 ends).

/**
 * VisitedSet stores (bitset, stateId) pairs in a chunked Uint32Array arena, chained from an
 * Int32Array bucket table. The caller keeps a Zobrist hash `h1` of the bitset up to date in O(1)
 * per bit flip, so lookups never hash or copy the bitset unless the hash already matches.
 */
export class VisitedSet {
  private readonly words: number;
  private readonly entryWords: number;
  private readonly entriesPerChunk: number;
  private readonly chunks: Uint32Array[] = [];
  private buckets: Int32Array;
  private mask: number;
  private readonly budget: MemoryBudget;
  size = 0;
  /** full is set once the memory budget refused to grow: the search must give up (unknown). */
  full = false;

  constructor(bitWords: number, budget: MemoryBudget) {
    this.words = bitWords;
    this.entryWords = bitWords + HEADER_WORDS;
    this.entriesPerChunk = Math.floor(CHUNK_WORDS / this.entryWords);
    if (this.entriesPerChunk < 1) throw new Error(`partition too large for the visited set (${bitWords} words)`);
    this.budget = budget;
    this.buckets = new Int32Array(takeBuffer(4 * BUCKETS_FIRST), 0, BUCKETS_FIRST).fill(-1);
    this.mask = BUCKETS_FIRST - 1;
    budget.bytesUsed += this.buckets.byteLength;
  }

  /** addIfAbsent inserts the pair and returns true, or returns false when it was already there. */
  addIfAbsent(bits: Uint32Array, h1: number, stateId: number): boolean {
    const bucket = mix(h1, stateId) & this.mask;
    const words = this.words;
    for (let e = this.buckets[bucket]; e !== -1; ) {
      const chunk = this.chunks[(e / this.entriesPerChunk) | 0];
      const base = (e % this.entriesPerChunk) * this.entryWords;
      if (chunk[base] === h1 >>> 0 && chunk[base + 1] === stateId) {
        let same = true;
        for (let w = 0; w < words; w++) {
          if (chunk[base + HEADER_WORDS + w] !== bits[w]) {
            same = false;
            break;
          }
        }
        if (same) return false;
      }
      e = chunk[base + 2] | 0;
    }
    if (!this.reserve()) return true;
    const e = this.size++;
    const chunk = this.chunks[(e / this.entriesPerChunk) | 0];
    const base = (e % this.entriesPerChunk) * this.entryWords;
    chunk[base] = h1;
    chunk[base + 1] = stateId;
    chunk[base + 2] = this.buckets[bucket];
    for (let w = 0; w < words; w++) chunk[base + HEADER_WORDS + w] = bits[w];
    this.buckets[bucket] = e;
    if (this.size > this.buckets.length) this.grow();
    return true;
  }

  /** release returns this set's bytes to the budget; the set must not be used afterwards. */
  release(): void {
    let bytes = this.buckets.byteLength;
    for (const chunk of this.chunks) bytes += chunk.byteLength;
    this.budget.bytesUsed -= bytes;
    giveBuffer(this.buckets.buffer as ArrayBuffer);
    for (const chunk of this.chunks) giveBuffer(chunk.buffer as ArrayBuffer);
    this.chunks.length = 0;
    this.buckets = new Int32Array(0);
  }

  private reserve(): boolean {
    const capacity = this.chunks.length * this.entriesPerChunk;
    if (this.size < capacity) {
      // The first chunk starts small and doubles, so tiny partitions never allocate 4 MiB.
      const first = this.chunks[0];
      const wordsNeeded = (this.size + 1) * this.entryWords;
      if (this.chunks.length === 1 && wordsNeeded > first.length) {
        const words = Math.min(CHUNK_WORDS, first.length * 2);
        if (!this.charge((words - first.length) * 4)) return false;
        const grown = new Uint32Array(takeBuffer(4 * words), 0, words);
        grown.set(first);
        giveBuffer(first.buffer as ArrayBuffer);
        this.chunks[0] = grown;
      }
      return true;
    }
    const firstWords = Math.min(CHUNK_WORDS, Math.max(FIRST_CHUNK_WORDS, this.entryWords * 4));
    const words = this.chunks.length === 0 ? firstWords : CHUNK_WORDS;
    if (!this.charge(words * 4)) return false;
    this.chunks.push(new Uint32Array(takeBuffer(4 * words), 0, words));
    return true;
  }

  private charge(bytes: number): boolean {
    if (this.budget.bytesUsed + bytes > this.budget.bytesMax) {
      this.full = true;
      return false;
    }
    this.budget.bytesUsed += bytes;
    return true;
  }

  private grow(): void {
    const size = this.buckets.length * 2;
    this.budget.bytesUsed += size * 4 - this.buckets.byteLength;
    const buckets = new Int32Array(takeBuffer(4 * size), 0, size).fill(-1);
    giveBuffer(this.buckets.buffer as ArrayBuffer);
    const mask = size - 1;
    for (let e = 0; e < this.size; e++) {
      const chunk = this.chunks[(e / this.entriesPerChunk) | 0];
      const base = (e % this.entriesPerChunk) * this.entryWords;
      const bucket = mix(chunk[base] | 0, chunk[base + 1]) & mask;
      chunk[base + 2] = buckets[bucket];
      buckets[bucket] = e;
    }
    this.buckets = buckets;
    this.mask = mask;
  }
}

function mix(h1: number, stateId: number): number {
  let h = (h1 ^ Math.imul(stateId + 1, 0x9e3779b1)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}
