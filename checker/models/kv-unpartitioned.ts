// checker/models/kv-unpartitioned.ts — kvModel over the whole key map (Porcupine's kvNoPartitionModel).
import { STATE_TABLE_FULL, STATES_MAX, type Model, type StepResult } from '../types.ts';
import type { Operation } from '../../history/op.ts';
import { describeKvOp, KV_FS, kvText } from './kv.ts';
import { InternedText, TextInterner } from './text-interner.ts';
import { inputCheck, partitionByKey, STEP_ILLEGAL, unknownFunction } from './values.ts';

/**
 * KvMapState is an immutable key map stored as interned value ids per key slot (a missing
 * slot holds the init value, id 0), with a hash kept up to date per write, so interning a
 * state needs neither a key string nor a pass over the map.
 */
export interface KvMapState {
  readonly ids: readonly number[];
  /** XOR over the slots not at init of slotHash(slot, id): equal maps have equal hashes. */
  readonly hash: number;
  /** Dense id of this map within its model: equal maps are one object; STATE_TABLE_FULL past the cap. */
  readonly id: number;
  /** A shared `{ ok: true, state: this }`, so a legal step allocates nothing. */
  readonly legal: StepResult<KvMapState>;
}

/** KvUnpartitionedOptions: statesMax caps the distinct maps (default STATES_MAX); beyond it the check is unknown. */
export interface KvUnpartitionedOptions {
  statesMax?: number;
}

const GET = 0;
const PUT = 1;
const APPEND = 2;

/** PreparedOp is what step needs from an op, worked out once per op: its slot, its value interned. */
interface PreparedOp {
  readonly f: number;
  readonly slot: number;
  /** put: the value; get: the output (an ok get is legal iff the slot holds it); append: unused. */
  readonly text: InternedText | undefined;
  /** append: the suffix; get: the output text (readReachable). */
  readonly raw: string;
  readonly info: boolean;
  /** get: the output's prefix hashes (readReachable), kept here to skip a lookup by text. */
  readonly prefixHashes: Int32Array | undefined;
}

/**
 * kvUnpartitionedModel is Porcupine's kvNoPartitionModel: one state for all keys, every key
 * starting at `init`. The intern tables are private caches of this instance; step stays pure.
 *
 * It still declares partition(): each op reads and writes only its own key's slot, so the map
 * is a product of independent per-key objects, and linearizability is local (Herlihy & Wing
 * 1990, Theorem 1; Horn & Kroening's P-compositionality): the history is linearizable iff every
 * key's sub-history is. The split is therefore a property of this model, not a change of
 * question; `checkOperations(..., { partition: false })` runs the whole-map search Porcupine
 * runs for this model (test/checker-property.test.ts checks the two agree).
 */
export function kvUnpartitionedModel(init: unknown = '', options: KvUnpartitionedOptions = {}): Model<KvMapState> {
  return new KvMapModel(init, options.statesMax ?? STATES_MAX);
}

// A class with methods, not an object of closures: under tsx each named closure costs a
// defineProperty call, and a check builds a fresh model.
class KvMapModel implements Model<KvMapState> {
  readonly name = 'kv-unpartitioned';
  readonly initArg: unknown;
  readonly checkInput = inputCheck('kv-unpartitioned', KV_FS);
  readonly partition = partitionByKey;
  readonly describeOperation = describeKvOp;
  private readonly interner = new TextInterner();
  /** byId[id] is the text interned under id; the init text is id 0. */
  private readonly byId: InternedText[] = [];
  private readonly slots = new Map<string, number>();
  private readonly slotNames: string[] = [];
  private readonly prepared = new Map<Operation, PreparedOp>();
  /** maps[hash] lists the distinct maps with that hash; count is how many there are. */
  private readonly maps = new Map<number, KvMapState[]>();
  private count = 0;
  private readonly statesMax: number;
  private readonly initial: KvMapState;

  constructor(init: unknown, statesMax: number) {
    this.initArg = init;
    this.statesMax = statesMax;
    if (this.track(this.interner.of(kvText(init))).id !== 0) throw new Error('kv-unpartitioned: init text must be id 0');
    this.initial = this.add([], 0);
  }

  init(): KvMapState {
    return this.initial;
  }

  readOnly(op: Operation): boolean {
    return op.f === 'get';
  }

  /** As in kv: until a put, a key's value only grows by appends. */
  grows(op: Operation): boolean {
    return op.f !== 'put';
  }

  readReachable(state: KvMapState, read: Operation): boolean {
    const p = this.prepare(read);
    // An info get returned nothing: any state reaches it.
    if (p.prefixHashes === undefined) return true;
    return this.interner.mayPrefixOf(this.byId[state.ids[p.slot] ?? 0], p.prefixHashes);
  }

  stateKey(state: KvMapState): string {
    return stateKey(state.ids);
  }

  stateId(state: KvMapState): number {
    return state.id;
  }

  step(state: KvMapState, op: Operation): StepResult<KvMapState> {
    const p = this.prepare(op);
    const id = state.ids[p.slot] ?? 0;
    if (p.f === GET) return p.info || (p.text as InternedText).id === id ? state.legal : STEP_ILLEGAL;
    const text = p.f === PUT ? (p.text as InternedText) : this.track(this.interner.append(this.byId[id], p.raw));
    return this.with(state, p.slot, text.id).legal;
  }

  private prepare(op: Operation): PreparedOp {
    let p = this.prepared.get(op);
    if (p !== undefined) return p;
    const f = op.f === 'get' ? GET : op.f === 'put' ? PUT : op.f === 'append' ? APPEND : -1;
    if (f < 0) throw unknownFunction('kv-unpartitioned', op, KV_FS);
    const info = op.outcome === 'info';
    const raw = kvText(f === GET ? op.output : op.input);
    const text = f === APPEND || (f === GET && info) ? undefined : this.track(this.interner.of(raw));
    const prefixHashes = f === GET && !info ? this.interner.prefixHashesOf(raw) : undefined;
    p = { f, slot: this.slotOf(op), text, raw, info, prefixHashes };
    this.prepared.set(op, p);
    return p;
  }

  private track(interned: InternedText): InternedText {
    this.byId[interned.id] = interned;
    return interned;
  }

  private slotOf(op: Operation): number {
    const name = String(op.key ?? '');
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = this.slotNames.length;
      this.slotNames.push(name);
      this.slots.set(name, slot);
    }
    return slot;
  }

  /** with is `state` with `slot` set to value `id`: an existing map when one is equal. */
  private with(state: KvMapState, slot: number, id: number): KvMapState {
    const old = state.ids[slot] ?? 0;
    if (old === id) return state;
    const hash = state.hash ^ slotHash(slot, old) ^ slotHash(slot, id);
    const bucket = this.maps.get(hash);
    if (bucket !== undefined) {
      for (const candidate of bucket) if (sameWith(candidate.ids, state.ids, slot, id)) return candidate;
    }
    const ids = state.ids.slice();
    while (ids.length <= slot) ids.push(0);
    ids[slot] = id;
    return this.add(ids, hash);
  }

  private add(ids: number[], hash: number): KvMapState {
    if (this.count >= this.statesMax) return fullState(ids, hash);
    const state: { ids: number[]; hash: number; id: number; legal: StepResult<KvMapState> } = { ids, hash, id: this.count++, legal: STEP_ILLEGAL };
    state.legal = { ok: true, state };
    const bucket = this.maps.get(hash);
    if (bucket === undefined) this.maps.set(hash, [state]);
    else bucket.push(state);
    return state;
  }

  describeState(state: KvMapState): string {
    const parts: string[] = [];
    state.ids.forEach((id, slot) => {
      if (id !== 0) parts.push(`${JSON.stringify(this.slotNames[slot])}: ${JSON.stringify(this.byId[id].text)}`);
    });
    return parts.length === 0 ? `every key = ${JSON.stringify(this.byId[0].text)}` : `{${parts.join(', ')}}`;
  }
}

/** slotHash is 0 for the init value, so a map's hash ignores slots it never wrote. */
function slotHash(slot: number, id: number): number {
  if (id === 0) return 0;
  let h = Math.imul(slot + 1, 0x9e3779b1) ^ Math.imul(id, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35);
  return h ^ (h >>> 13);
}

/** sameWith tells whether `ids` equals `base` with slot set to id (missing slots are 0). */
function sameWith(ids: readonly number[], base: readonly number[], slot: number, id: number): boolean {
  const n = Math.max(ids.length, base.length, slot + 1);
  for (let i = 0; i < n; i++) {
    const want = i === slot ? id : (base[i] ?? 0);
    if ((ids[i] ?? 0) !== want) return false;
  }
  return true;
}

/** stateKey is the canonical text of a map: trailing init values trimmed. */
function stateKey(ids: readonly number[]): string {
  let end = ids.length;
  while (end > 0 && ids[end - 1] === 0) end--;
  return ids.slice(0, end).join(',');
}

// fullState is a map the full table could not take: its id tells the search to stop (unknown).
function fullState(ids: number[], hash: number): KvMapState {
  const state: { ids: number[]; hash: number; id: number; legal: StepResult<KvMapState> } = { ids, hash, id: STATE_TABLE_FULL, legal: STEP_ILLEGAL };
  state.legal = { ok: true, state };
  return state;
}
