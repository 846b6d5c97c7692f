// checker/models/text-interner.ts — exact string interning with O(suffix) appends and lazy texts.

const BASE = 0x01000193;
const DEPTH_MAX = 1 << 20;

/**
 * InternedText is a string with a dense id: equal ids iff equal texts (within one interner).
 * An appended text is kept as (parent, suffix) and only turned into a string when someone
 * reads `text`, so the many states a search creates and never reads cost no string copies.
 */
export class InternedText {
  readonly id: number;
  /** Polynomial hash of the text mod 2^32, and BASE^length mod 2^32, for O(suffix) appends. */
  readonly hash: number;
  readonly power: number;
  readonly length: number;
  readonly parent: InternedText | null;
  readonly suffix: string;
  /** legal is a shared `{ ok: true, state: this }`, so a model step allocates nothing. */
  readonly legal: { readonly ok: true; readonly state: InternedText };
  private cached: string | undefined;

  constructor(id: number, hash: number, power: number, parent: InternedText | null, suffix: string) {
    this.id = id;
    this.hash = hash;
    this.power = power;
    this.parent = parent;
    this.suffix = suffix;
    this.length = (parent === null ? 0 : parent.length) + suffix.length;
    this.cached = parent === null ? suffix : undefined;
    this.legal = { ok: true, state: this };
  }

  /** text builds (once) and returns the whole string, walking up to the nearest built ancestor. */
  get text(): string {
    if (this.cached === undefined) this.cached = materialize(this.parent, this.suffix);
    return this.cached;
  }

  /** builtText is the text if it was already built (used while materialising descendants). */
  builtText(): string | undefined {
    return this.cached;
  }
}

// materialize joins the suffixes from the nearest ancestor whose text is built (no recursion).
function materialize(parent: InternedText | null, suffix: string): string {
  const parts: string[] = [suffix];
  let node = parent;
  let prefix = '';
  for (let depth = 0; node !== null; depth++) {
    if (depth > DEPTH_MAX) throw new Error('InternedText: parent chain too deep');
    const built = node.builtText();
    if (built !== undefined) {
      prefix = built;
      break;
    }
    parts.push(node.suffix);
    node = node.parent;
  }
  let text = prefix;
  for (let i = parts.length - 1; i >= 0; i--) text += parts[i];
  return text;
}

/**
 * TextInterner gives every distinct text one InternedText. Appending hashes only the suffix
 * (a rolling hash); a hash match is confirmed structurally (same parent and suffix) or by
 * comparing the texts, so interning is exact.
 */
export class TextInterner {
  // 256 maps, so the number of texts is not capped by V8's Map size limit (2^24 entries);
  // each made on first use, so a model built for a small check costs a few maps, not 256.
  private readonly buckets: (Map<number, InternedText[]> | undefined)[] = new Array(256).fill(undefined);
  private readonly hashes = new Map<string, { hash: number; power: number }>();
  private readonly prefixHashes = new Map<string, Int32Array>();
  private count = 0;

  /** of interns a whole text. */
  of(text: string): InternedText {
    const { hash, power } = this.hashOf(text);
    const bucket = this.bucket(hash);
    for (const candidate of bucket) {
      if (candidate.hash === hash && candidate.length === text.length && candidate.text === text) return candidate;
    }
    return this.add(bucket, new InternedText(this.count++, hash, power, null, text));
  }

  /** append interns base.text + suffix without building the string. */
  append(base: InternedText, suffix: string): InternedText {
    const part = this.hashOf(suffix);
    const hash = (Math.imul(base.hash, part.power) + part.hash) | 0;
    const length = base.length + suffix.length;
    const bucket = this.bucket(hash);
    for (const candidate of bucket) {
      if (candidate.hash !== hash || candidate.length !== length) continue;
      if (candidate.parent === base && candidate.suffix === suffix) return candidate;
      if (candidate.text === base.text + suffix) return candidate;
    }
    return this.add(bucket, new InternedText(this.count++, hash, Math.imul(base.power, part.power), base, suffix));
  }

  /** equals tells whether `interned` holds exactly `text`, rejecting by length and hash first. */
  equals(interned: InternedText, text: string): boolean {
    if (interned.length !== text.length) return false;
    if (this.hashOf(text).hash !== interned.hash) return false;
    return interned.text === text;
  }

  /**
   * mayPrefix tells whether `interned` can be a prefix of `text`. False is exact (a longer
   * text, or a different hash of text's prefix of that length); true may rarely be wrong,
   * so callers only prune on false.
   */
  mayPrefix(interned: InternedText, text: string): boolean {
    if (interned.length > text.length) return false;
    if (interned.length === 0) return true;
    return this.prefixHashesOf(text)[interned.length] === interned.hash;
  }

  /** mayPrefixOf is mayPrefix for a text whose prefixHashesOf the caller kept (no lookup by text). */
  mayPrefixOf(interned: InternedText, prefixHashes: Int32Array): boolean {
    if (interned.length >= prefixHashes.length) return false;
    return interned.length === 0 || prefixHashes[interned.length] === interned.hash;
  }

  /** prefixHashesOf caches, per op value, the hash of each of its prefixes (index = length). */
  prefixHashesOf(text: string): Int32Array {
    let known = this.prefixHashes.get(text);
    if (known === undefined) {
      known = new Int32Array(text.length + 1);
      for (let i = 0; i < text.length; i++) known[i + 1] = (Math.imul(known[i], BASE) + text.charCodeAt(i)) | 0;
      this.prefixHashes.set(text, known);
    }
    return known;
  }

  private bucket(hash: number): InternedText[] {
    const map = (this.buckets[hash & 0xff] ??= new Map<number, InternedText[]>());
    const slot = (hash >>> 8) & 0x3fffff;
    let bucket = map.get(slot);
    if (bucket === undefined) {
      bucket = [];
      map.set(slot, bucket);
    }
    return bucket;
  }

  private add(bucket: InternedText[], interned: InternedText): InternedText {
    bucket.push(interned);
    return interned;
  }

  // hashOf remembers the hashes of op values (puts, appends, read outputs): a bounded set.
  private hashOf(text: string): { hash: number; power: number } {
    let known = this.hashes.get(text);
    if (known === undefined) {
      let hash = 0;
      let power = 1;
      for (let i = 0; i < text.length; i++) {
        hash = (Math.imul(hash, BASE) + text.charCodeAt(i)) | 0;
        power = Math.imul(power, BASE);
      }
      known = { hash, power };
      this.hashes.set(text, known);
    }
    return known;
  }
}
