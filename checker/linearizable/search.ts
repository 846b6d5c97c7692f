// checker/linearizable/search.ts — the resumable WGL/Lowe search over one partition.
import { STATE_TABLE_FULL, STATES_MAX, type Model } from '../types.ts';
import type { Operation } from '../../history/op.ts';
import { giveBuffer, takeBuffer } from './buffer-pool.ts';
import { NOT_MEMOISED, TransitionMemo } from './transition-memo.ts';
import { VisitedSet, type MemoryBudget } from './visited-set.ts';

/** SearchStatus: 'running' means the step budget ran out; call run() again to continue. */
export type SearchStatus = 'ok' | 'illegal' | 'running' | 'unknown';

/** DeepestPoint is where the search got furthest: the raw material of a counterexample. */
export interface DeepestPoint {
  /** Local op indexes of the longest linearizable prefix, in linearization order. */
  prefix: number[];
  /** Model states after each op of the prefix (same length as prefix). */
  statesAfter: unknown[];
  /** The ok op with the smallest return that could not be linearized next. */
  blockedOp: number;
  /** Distinct model states reached with a prefix of the maximal length (capped). */
  statesAtDepth: unknown[];
  /** The ids of statesAtDepth, to keep them distinct. */
  stateIdsAtDepth: number[];
}

const KIND_CALL = 0; // a call whose op returned ok: it has a return entry
const KIND_INFO = 1; // a call that never returned: no return entry, it may stay unlinearized
const KIND_RETURN = 2;
const AT_NEW_NODE = -4; // entry marker: a node just reached, look for a forced candidate first
const NODE_DEAD = -5; // entry marker: this node has failed, backtrack
const NO_ENTRY = -1; // the end of the entry list; no match; no legal read found
const ILLEGAL = -1; // a transition's target: the op cannot follow in this state
const STATES_FULL = STATE_TABLE_FULL; // a state table (ours or the model's) is full: the search ends unknown
const STATES_AT_DEPTH_MAX = 8;
/** READS_WATCHED_MAX bounds the reads unreachableRead asks the model about per node. */
const READS_WATCHED_MAX = 4;

/**
 * LinearizationSearch is Wing & Gong's search with Lowe's memoisation, as in Porcupine's
 * checker.go: a doubly-linked list of call/return entries in real-time order, calls lifted out
 * when linearized, an explicit stack to backtrack, and a visited set of (linearized ops, state).
 * Info ops have no return entry, so the search succeeds once every ok op is linearized.
 * run(stepBudget) advances at most stepBudget steps, so partitions can be interleaved.
 */
export class LinearizationSearch {
  readonly ops: Operation[];
  readonly model: Model;
  /** states[id] is the state interned under id (models without stateId only). */
  private readonly states: unknown[] = [];
  private readonly stateIds = new Map<string, number>();
  /** transitions memoises model steps; created on first use (models without stateId only). */
  private transitions: TransitionMemo | null = null;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly entryOp: Int32Array;
  private readonly kind: Uint8Array;
  private readonly match: Int32Array;
  private readonly head: number;
  private readonly zobrist: Int32Array;
  private readonly bits: Uint32Array;
  private readonly visited: VisitedSet;
  private readonly slab: Slab;
  private readonly stackEntry: Int32Array;
  private readonly stackState: Int32Array;
  private readonly stackStateObject: unknown[];
  /** targetState is the state the last successful transition() led to (saves an allocation). */
  private targetState: unknown = undefined;
  private state: unknown;
  /** stackForced[d] is 1 when frame d was the only branch tried at its node (see run). */
  private readonly stackForced: Uint8Array;
  /** readOnly[op] is 1 when the model says the op never changes state. */
  private readonly readOnly: Uint8Array;
  /** watched[op] is 1 for an ok read the model can judge with readReachable (see unreachableRead). */
  private readonly watched: Uint8Array;
  /** resetting[op] is 1 for an op that does not grow the state (model.grows false). */
  private readonly resetting: Uint8Array;
  private depth = 0;
  private entry: number;
  private stateId: number;
  private hash = 0;
  private okRemaining: number;
  private status: SearchStatus = 'running';
  steps = 0;
  /** unknownReason says why run() returned 'unknown'. */
  unknownReason: string | undefined = undefined;
  private deepest: DeepestPoint | null = null;

  constructor(ops: Operation[], model: Model, budget: MemoryBudget) {
    this.ops = inInvokeOrder(ops) ? ops : [...ops].sort((a, b) => a.invokeIndex - b.invokeIndex);
    this.model = model;
    const n = this.ops.length;
    let entries = 0;
    for (const op of this.ops) entries += op.outcome === 'ok' ? 2 : 1;
    this.head = entries;
    // One buffer for every typed array: a small partition costs one allocation, not twelve.
    const words = Math.max(1, Math.ceil(n / 32));
    const slab = new Slab(4 * (2 * (entries + 1) + 2 * entries + 2 * n + words) + entries + 4 * n);
    this.slab = slab;
    this.next = slab.int32(entries + 1);
    this.prev = slab.int32(entries + 1);
    this.entryOp = slab.int32(entries);
    this.match = slab.int32(entries).fill(NO_ENTRY);
    this.stackEntry = slab.int32(n);
    this.stackState = slab.int32(n);
    this.bits = slab.uint32(words);
    this.kind = slab.uint8(entries);
    this.stackForced = slab.uint8(n);
    this.readOnly = slab.uint8(n);
    this.watched = slab.uint8(n);
    this.resetting = slab.uint8(n);
    this.zobrist = zobristTable(n);
    this.visited = new VisitedSet(words, budget);
    this.stackStateObject = new Array<unknown>(n).fill(undefined);
    if (model.readOnly) for (let i = 0; i < n; i++) this.readOnly[i] = model.readOnly(this.ops[i]) ? 1 : 0;
    if (model.grows && model.readReachable) {
      for (let i = 0; i < n; i++) {
        this.watched[i] = this.readOnly[i] === 1 && this.ops[i].outcome === 'ok' ? 1 : 0;
        this.resetting[i] = model.grows(this.ops[i]) ? 0 : 1;
      }
    }
    this.okRemaining = this.buildEntries();
    this.entry = AT_NEW_NODE;
    this.state = model.init();
    this.stateId = model.stateId ? model.stateId(this.state) : this.intern(this.state);
    if (this.okRemaining === 0) this.status = 'ok';
  }

  /** run advances the search by at most stepBudget steps and returns where it stands. */
  run(stepBudget: number): SearchStatus {
    if (this.status !== 'running') return this.status;
    const { next, kind, entryOp, bits, zobrist, stackEntry, stackState, stackForced, visited, head } = this;
    const { stackStateObject } = this;
    let { entry, stateId, state, hash, depth, okRemaining } = this;
    let stepsLeft = stepBudget;
    let status: SearchStatus = 'running';
    // blocked is the read that made the current node dead early (unreachableRead), else NO_ENTRY.
    let blocked = NO_ENTRY;
    while (stepsLeft-- > 0) {
      let forced = false;
      // A node reached by a forced read has its parent's state, and the parent passed this test.
      if (entry === AT_NEW_NODE && (depth === 0 || stackForced[depth - 1] === 0)) {
        blocked = this.unreachableRead(state);
        if (blocked >= 0) entry = NODE_DEAD;
      }
      if (entry === AT_NEW_NODE) {
        const read = this.findLegalRead(stateId, state);
        if (read === STATES_FULL) {
          status = 'unknown';
          break;
        }
        forced = read >= 0;
        entry = forced ? read : next[head];
      }
      if (entry !== NODE_DEAD && kind[entry] !== KIND_RETURN) {
        // Invariant: a scan stops at a return entry, and one exists while ok ops remain.
        if (entry < 0) throw new Error(`search scanned past the entry list (entry ${entry})`);
        const op = entryOp[entry];
        const target = forced ? stateId : this.transition(stateId, state, op);
        if (target === STATES_FULL) {
          status = 'unknown';
          break;
        }
        if (target !== ILLEGAL) {
          bits[op >>> 5] |= 1 << (op & 31);
          const hashNext = hash ^ zobrist[op];
          if (visited.addIfAbsent(bits, hashNext, target)) {
            if (visited.full) {
              status = 'unknown';
              break;
            }
            stackEntry[depth] = entry;
            stackState[depth] = stateId;
            stackStateObject[depth] = state;
            stackForced[depth] = forced ? 1 : 0;
            depth++;
            stateId = target;
            if (!forced) state = this.targetState;
            hash = hashNext;
            this.lift(entry);
            if (kind[entry] === KIND_CALL && --okRemaining === 0) {
              status = 'ok';
              break;
            }
            entry = AT_NEW_NODE;
            continue;
          }
          bits[op >>> 5] &= ~(1 << (op & 31));
        }
        // A forced child already visited has failed (success ends the search), so has this node.
        entry = forced ? NODE_DEAD : next[entry];
        continue;
      }
      // A dead node: the first return entry's op cannot be linearized next, or a forced child failed.
      if (this.deepest === null || depth >= this.deepest.prefix.length) this.noteDeadEnd(stateId, state, depth, blocked);
      blocked = NO_ENTRY;
      if (depth === 0) {
        status = 'illegal';
        break;
      }
      depth--;
      entry = stackEntry[depth];
      stateId = stackState[depth];
      state = stackStateObject[depth];
      stackStateObject[depth] = undefined;
      const op = entryOp[entry];
      bits[op >>> 5] &= ~(1 << (op & 31));
      hash ^= zobrist[op];
      this.unlift(entry);
      if (kind[entry] === KIND_CALL) okRemaining++;
      entry = stackForced[depth] === 1 ? NODE_DEAD : next[entry];
    }
    this.steps += stepBudget - Math.max(stepsLeft, 0);
    this.entry = entry;
    this.stateId = stateId;
    this.state = state;
    this.hash = hash;
    this.depth = depth;
    this.okRemaining = okRemaining;
    this.status = status;
    if (status === 'unknown') {
      this.unknownReason = this.visited.full
        ? 'memory: the visited-state caches reached their byte cap (cacheBytesMax)'
        : 'memory: the model-state table is full (too many distinct states in one partition)';
    }
    if (status !== 'running') {
      // Nothing reads the arrays once the search is over (deepestPoint is its own copy).
      this.visited.release();
      this.slab.release();
    }
    return status;
  }

  /**
   * findLegalRead returns the entry of a candidate read-only op legal in `state`, NO_ENTRY if there
   * is none, STATES_FULL if the state table is full. Such a read can go first without loss of generality:
   * it has no real-time predecessor left and, wherever a linearization places it, it changes
   * nothing. So it is the only branch worth trying at this node. (Not so for an op that merely
   * leaves this state unchanged, like a failing info cas: elsewhere it might not.)
   */
  private findLegalRead(stateId: number, state: unknown): number {
    const { next, kind, entryOp, readOnly } = this;
    for (let candidate = next[this.head]; candidate !== NO_ENTRY && kind[candidate] !== KIND_RETURN; candidate = next[candidate]) {
      if (readOnly[entryOp[candidate]] === 0) continue;
      const target = this.transition(stateId, state, entryOp[candidate]);
      if (target === stateId) return candidate;
      if (target === STATES_FULL) return STATES_FULL;
    }
    return NO_ENTRY;
  }

  /**
   * unreachableRead walks the remaining entries in real-time order up to the first call of an
   * op that does not grow the state. Every ok read returning before it must be linearized
   * before any such op, so only growing ops can come between this node and that read: if the
   * model says the read is unreachable from `state`, the node is dead. Returns that read, or
   * NO_ENTRY. Only the first READS_WATCHED_MAX reads are asked, which bounds the cost per node.
   */
  private unreachableRead(state: unknown): number {
    const { next, kind, entryOp, watched, resetting, model } = this;
    if (model.readReachable === undefined) return NO_ENTRY;
    let asked = 0;
    for (let e = next[this.head]; e !== NO_ENTRY; e = next[e]) {
      const op = entryOp[e];
      if (kind[e] !== KIND_RETURN) {
        if (resetting[op] === 1) return NO_ENTRY;
        continue;
      }
      if (watched[op] === 0) continue;
      if (!model.readReachable(state, this.ops[op])) return op;
      if (++asked >= READS_WATCHED_MAX) return NO_ENTRY;
    }
    return NO_ENTRY;
  }

  /** deepestPoint is the furthest the search got (meaningful once run() returned 'illegal'). */
  deepestPoint(): DeepestPoint | null {
    return this.deepest;
  }

  /** cacheEntries is the number of memoised (set, state) pairs, for statistics. */
  cacheEntries(): number {
    return this.visited.size;
  }

  /** noteDeadEnd records a dead node; `blockedRead` is the read unreachableRead gave, or NO_ENTRY. */
  private noteDeadEnd(stateId: number, state: unknown, depth: number, blockedRead: number): void {
    const best = this.deepest;
    if (best !== null && depth === best.prefix.length) {
      if (best.statesAtDepth.length < STATES_AT_DEPTH_MAX && !best.stateIdsAtDepth.includes(stateId)) {
        best.statesAtDepth.push(state);
        best.stateIdsAtDepth.push(stateId);
      }
      return;
    }
    const prefix: number[] = [];
    const statesAfter: unknown[] = [];
    for (let d = 0; d < depth; d++) {
      prefix.push(this.entryOp[this.stackEntry[d]]);
      statesAfter.push(d + 1 < depth ? this.stackStateObject[d + 1] : state);
    }
    let blocked = this.next[this.head];
    while (blocked !== NO_ENTRY && this.kind[blocked] !== KIND_RETURN) blocked = this.next[blocked];
    if (blocked === NO_ENTRY) throw new Error('a dead node must have an ok op left to linearize');
    this.deepest = {
      prefix,
      statesAfter,
      blockedOp: blockedRead >= 0 ? blockedRead : this.entryOp[blocked],
      statesAtDepth: [state],
      stateIdsAtDepth: [stateId],
    };
  }

  /**
   * transition steps `state` (id stateId) by op: the target id, ILLEGAL, or STATES_FULL when
   * the state table is full. The target state itself is left in this.targetState.
   */
  private transition(stateId: number, state: unknown, op: number): number {
    const model = this.model;
    if (model.stateId) {
      // Such models intern their own states: a step is as cheap as a memo probe.
      const result = model.step(state, this.ops[op]);
      if (!result.ok) return ILLEGAL;
      this.targetState = result.state;
      return model.stateId(result.state);
    }
    this.transitions ??= new TransitionMemo();
    const known = this.transitions.get(stateId, op);
    if (known >= 0) this.targetState = this.states[known];
    if (known !== NOT_MEMOISED) return known;
    const result = model.step(state, this.ops[op]);
    const target = result.ok ? this.intern(result.state) : ILLEGAL;
    if (target === STATES_FULL) return STATES_FULL;
    this.transitions.set(stateId, op, target);
    if (target >= 0) this.targetState = this.states[target];
    return target;
  }

  /** intern gives each distinct state a dense id by its stateKey (STATES_FULL once STATES_MAX is reached). */
  private intern(state: unknown): number {
    const key = this.model.stateKey ? this.model.stateKey(state) : JSON.stringify(state);
    let id = this.stateIds.get(key);
    if (id !== undefined) return id;
    if (this.states.length >= STATES_MAX) return STATES_FULL;
    id = this.states.length;
    this.states.push(state);
    this.stateIds.set(key, id);
    return id;
  }

  private buildEntries(): number {
    const { ops, head } = this;
    // Typed arrays, not number[]: a partition's entries never become a million boxed numbers.
    const times = new Float64Array(head);
    const owners = new Int32Array(head);
    let k = 0;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      times[k] = op.invokeIndex;
      owners[k++] = i;
      if (op.outcome === 'ok') {
        if (!(op.returnIndex > op.invokeIndex)) throw new Error(`op ${op.id}: returnIndex must follow invokeIndex`);
        times[k] = op.returnIndex;
        owners[k++] = ~i;
      }
    }
    if (k !== head) throw new Error(`search: ${k} entries built, ${head} counted`);
    const order = realTimeOrder(times);
    const callEntry = new Int32Array(ops.length);
    let okCount = 0;
    let previous = head;
    for (let e = 0; e < order.length; e++) {
      const owner = owners[order[e]];
      if (owner >= 0) {
        this.entryOp[e] = owner;
        // An owner with a return entry is ok; the counts of both kinds were taken from outcome.
        this.kind[e] = ops[owner].outcome === 'ok' ? KIND_CALL : KIND_INFO;
        callEntry[owner] = e;
      } else {
        this.entryOp[e] = ~owner;
        this.kind[e] = KIND_RETURN;
        this.match[callEntry[~owner]] = e;
        okCount++;
      }
      this.next[previous] = e;
      this.prev[e] = previous;
      previous = e;
    }
    this.next[previous] = NO_ENTRY;
    return okCount;
  }

  private lift(entry: number): void {
    const { next, prev } = this;
    next[prev[entry]] = next[entry];
    if (next[entry] !== NO_ENTRY) prev[next[entry]] = prev[entry];
    const match = this.match[entry];
    if (match !== NO_ENTRY) {
      next[prev[match]] = next[match];
      if (next[match] !== NO_ENTRY) prev[next[match]] = prev[match];
    }
  }

  private unlift(entry: number): void {
    const { next, prev } = this;
    const match = this.match[entry];
    if (match !== NO_ENTRY) {
      next[prev[match]] = match;
      if (next[match] !== NO_ENTRY) prev[next[match]] = match;
    }
    next[prev[entry]] = entry;
    if (next[entry] !== NO_ENTRY) prev[next[entry]] = entry;
  }
}

const ORDER_INDEX_BITS = 22;

/**
 * realTimeOrder gives the indexes of `times` sorted by time, ties in index order (a stable
 * sort). History positions are small non-negative integers, so each (time, index) pair packs
 * into one float and a native typed-array sort does it without a comparator call per pair.
 */
function realTimeOrder(times: Float64Array): ArrayLike<number> {
  const n = times.length;
  const scale = 2 ** ORDER_INDEX_BITS;
  let packable = n < scale;
  const keys = new Float64Array(n);
  for (let k = 0; k < n && packable; k++) {
    const t = times[k];
    packable = Number.isInteger(t) && t >= 0 && t < 2 ** 30;
    keys[k] = t * scale + k;
  }
  if (!packable) return Array.from({ length: n }, (_, k) => k).sort((a, b) => times[a] - times[b]);
  keys.sort();
  const order = new Int32Array(n);
  // The low bits by exact power-of-two arithmetic: a float % is a libm call, a third of this function.
  for (let e = 0; e < n; e++) {
    const key = keys[e];
    order[e] = key - Math.floor(key / scale) * scale;
  }
  return order;
}

function inInvokeOrder(ops: Operation[]): boolean {
  for (let i = 1; i < ops.length; i++) if (ops[i - 1].invokeIndex > ops[i].invokeIndex) return false;
  return true;
}

/** Slab cuts typed arrays out of one zeroed buffer (32-bit arrays first, so all stay aligned). */
class Slab {
  private readonly buffer: ArrayBuffer;
  private offset = 0;

  constructor(bytes: number) {
    this.buffer = takeBuffer(bytes);
  }

  /** release gives the buffer back to the pool: no array cut from it may be used afterwards. */
  release(): void {
    giveBuffer(this.buffer);
  }

  int32(length: number): Int32Array {
    const array = new Int32Array(this.buffer, this.offset, length);
    this.offset += 4 * length;
    return array;
  }

  uint32(length: number): Uint32Array {
    const array = new Uint32Array(this.buffer, this.offset, length);
    this.offset += 4 * length;
    return array;
  }

  uint8(length: number): Uint8Array {
    const array = new Uint8Array(this.buffer, this.offset, length);
    this.offset += length;
    return array;
  }
}

// ZOBRIST is one growing table shared by every search: entry i never changes once made.
let ZOBRIST = new Int32Array(0);

/**
 * zobristTable gives each op a fixed pseudo-random 32-bit word (seeded splitmix32: every run
 * hashes alike). The table returned may be longer than n.
 */
function zobristTable(n: number): Int32Array {
  if (ZOBRIST.length >= n) return ZOBRIST;
  const table = new Int32Array(Math.max(n, 2 * ZOBRIST.length, 1024));
  let seed = 0x2545f491;
  for (let i = 0; i < table.length; i++) {
    seed = (seed + 0x9e3779b9) | 0;
    let z = seed;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    table[i] = z ^ (z >>> 16);
  }
  ZOBRIST = table;
  return table;
}
