// workloads/set-read.ts — the compact form of a set read in the history: integer ranges instead of every element.

/**
 * SetRanges is how a set read is written to the history when it is shorter than the list:
 * `ranges` are inclusive [lo, hi] integer intervals, ascending and disjoint, whose union is the
 * set of distinct elements read; `duplicates` lists [element, copies] for every element the read
 * held more than once (absent when none). The order of the list is not kept: the set checker
 * does not use it. A plain JSON array (Jepsen's form, and ours when ranges are not shorter)
 * means the same set with its duplicates.
 */
export interface SetRanges {
  ranges: Array<[number, number]>;
  duplicates?: Array<[number, number]>;
}

/** DecodedSetRead: a read's distinct elements as integer ranges plus other elements, and its duplicates. */
export interface DecodedSetRead {
  /** ranges: ascending, disjoint, not adjacent inclusive integer intervals. */
  ranges: Array<[number, number]>;
  /** others: distinct non-integer elements, by JSON text. */
  others: Map<string, unknown>;
  /** duplicates: elements held more than once, with their copy count. */
  duplicates: Array<{ element: unknown; copies: number }>;
}

/**
 * encodeSetRead turns a read's list into SetRanges when every element is a safe integer and
 * the ranges are shorter (two numbers a range against one an element); otherwise it returns
 * the value unchanged. decodeSetRead(encodeSetRead(v)) describes the same multiset as v.
 */
export function encodeSetRead(value: unknown): unknown {
  if (!Array.isArray(value) || value.length === 0 || !value.every((e) => Number.isSafeInteger(e))) return value;
  const { ranges, duplicates } = integerRuns((value as number[]).slice().sort((a, b) => a - b));
  if (2 * ranges.length + 2 * duplicates.length >= value.length) return value;
  return duplicates.length === 0 ? { ranges } : { ranges, duplicates };
}

/** integerRuns: ascending integers as merged inclusive ranges and [element, copies] duplicates. */
function integerRuns(sorted: readonly number[]): { ranges: Array<[number, number]>; duplicates: Array<[number, number]> } {
  const ranges: Array<[number, number]> = [];
  const duplicates: Array<[number, number]> = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[i]) j += 1;
    if (j - i > 1) duplicates.push([sorted[i], j - i]);
    const last = ranges.at(-1);
    if (last !== undefined && last[1] + 1 === sorted[i]) last[1] = sorted[i];
    else ranges.push([sorted[i], sorted[i]]);
    i = j;
  }
  return { ranges, duplicates };
}

/** isPairList: a JSON list of [lo, hi] safe-integer pairs. */
function isPairList(value: unknown): value is Array<[number, number]> {
  return Array.isArray(value) && value.every((r) => Array.isArray(r) && r.length === 2 && Number.isSafeInteger(r[0]) && Number.isSafeInteger(r[1]));
}

/**
 * decodeSetRead reads either form. A list is sorted into ranges (its integers) and others;
 * SetRanges must be ascending, disjoint and lo ≤ hi, or this throws naming `where`. Any other
 * value (null, a string) reads as the empty set, as the checker always treated it.
 */
export function decodeSetRead(value: unknown, where: string): DecodedSetRead {
  if (Array.isArray(value)) return decodeList(value);
  const decoded: DecodedSetRead = { ranges: [], others: new Map(), duplicates: [] };
  if (typeof value !== 'object' || value === null || !('ranges' in value)) return decoded;
  const { ranges, duplicates } = value as { ranges: unknown; duplicates?: unknown };
  if (!isPairList(ranges)) throw new Error(`${where}: expected ranges to be a list of [lo, hi] integer pairs`);
  if (duplicates !== undefined && !isPairList(duplicates)) throw new Error(`${where}: expected duplicates to be a list of [element, copies] integer pairs`);
  for (const [i, [lo, hi]] of ranges.entries()) {
    if (lo > hi) throw new Error(`${where}: range [${lo}, ${hi}] has lo > hi`);
    const previous = decoded.ranges.at(-1);
    if (previous !== undefined && lo <= previous[1]) throw new Error(`${where}: ranges[${i}] overlaps or precedes the range before it (expected ascending, disjoint ranges)`);
    if (previous !== undefined && lo === previous[1] + 1) previous[1] = hi;
    else decoded.ranges.push([lo, hi]);
  }
  for (const [element, copies] of duplicates ?? []) decoded.duplicates.push({ element, copies });
  return decoded;
}

/** decodeList: a plain list of elements, integers merged into ranges, duplicates counted. */
function decodeList(list: readonly unknown[]): DecodedSetRead {
  const decoded: DecodedSetRead = { ranges: [], others: new Map(), duplicates: [] };
  const integers: number[] = [];
  const otherCopies = new Map<string, number>();
  for (const element of list) {
    if (Number.isSafeInteger(element)) {
      integers.push(element as number);
      continue;
    }
    const key = JSON.stringify(element);
    decoded.others.set(key, element);
    otherCopies.set(key, (otherCopies.get(key) ?? 0) + 1);
  }
  const runs = integerRuns(integers.sort((a, b) => a - b));
  decoded.ranges = runs.ranges;
  for (const [element, copies] of runs.duplicates) decoded.duplicates.push({ element, copies });
  for (const [key, copies] of otherCopies) if (copies > 1) decoded.duplicates.push({ element: decoded.others.get(key), copies });
  return decoded;
}
