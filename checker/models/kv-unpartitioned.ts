// checker/models/kv-unpartitioned.ts — kvModel over the whole key map, without partitioning.
import type { Model, StepResult } from '../types.ts';
import type { Operation } from '../../history/op.ts';
import { describeKvOp, KV_FS, kvText } from './kv.ts';
import { InternedText, TextInterner } from './text-interner.ts';
import { inputCheck, STEP_ILLEGAL, unknownFunction } from './values.ts';

/**
 * KvMapState is an immutable key map stored as interned value ids per key slot, with its
 * canonical key computed once: hashing a state is then one short string, not the whole map.
 */
export interface KvMapState {
  readonly ids: readonly number[];
  readonly key: string;
}

/**
 * kvUnpartitionedModel is Porcupine's kvNoPartitionModel: one state for all keys, every key
 * starting at `init`. The intern tables are private caches of this instance; step stays pure.
 */
export function kvUnpartitionedModel(init: unknown = ''): Model<KvMapState> {
  const interner = new TextInterner();
  // byId[id] is the text interned under id; the init text is id 0 (make() relies on it).
  const byId: InternedText[] = [];
  const slots = new Map<string, number>();
  const slotNames: string[] = [];

  const track = (interned: InternedText): number => {
    byId[interned.id] = interned;
    return interned.id;
  };
  if (track(interner.of(kvText(init))) !== 0) throw new Error('kv-unpartitioned: init text must be id 0');
  const slotOf = (op: Operation): number => {
    const name = String(op.key ?? '');
    let slot = slots.get(name);
    if (slot === undefined) {
      slot = slotNames.length;
      slotNames.push(name);
      slots.set(name, slot);
    }
    return slot;
  };
  const make = (ids: number[]): KvMapState => {
    // Trailing init values are trimmed so equal maps have one key whatever slots exist.
    let end = ids.length;
    while (end > 0 && ids[end - 1] === 0) end--;
    return { ids, key: ids.slice(0, end).join(',') };
  };
  const with_ = (state: KvMapState, slot: number, id: number): KvMapState => {
    const ids = state.ids.slice();
    while (ids.length <= slot) ids.push(0);
    ids[slot] = id;
    return make(ids);
  };

  return {
    name: 'kv-unpartitioned',
    initArg: init,
    init: () => make([]),
    step(state: KvMapState, op: Operation): StepResult<KvMapState> {
      const slot = slotOf(op);
      const id = state.ids[slot] ?? 0;
      if (op.f === 'get') {
        if (op.outcome === 'info' || interner.equals(byId[id], kvText(op.output))) return { ok: true, state };
        return STEP_ILLEGAL;
      }
      if (op.f === 'put') return { ok: true, state: with_(state, slot, track(interner.of(kvText(op.input)))) };
      if (op.f === 'append') {
        return { ok: true, state: with_(state, slot, track(interner.append(byId[id], kvText(op.input)))) };
      }
      throw unknownFunction('kv-unpartitioned', op, KV_FS);
    },
    readOnly: (op) => op.f === 'get',
    // As in kv: until a put, a key's value only grows by appends.
    grows: (op) => op.f !== 'put',
    readReachable: (state, read) => interner.mayPrefix(byId[state.ids[slotOf(read)] ?? 0], kvText(read.output)),
    checkInput: inputCheck('kv-unpartitioned', KV_FS),
    stateKey: (state) => state.key,
    describeOperation: describeKvOp,
    describeState(state) {
      const parts: string[] = [];
      state.ids.forEach((id, slot) => {
        if (id !== 0) parts.push(`${JSON.stringify(slotNames[slot])}: ${JSON.stringify(byId[id].text)}`);
      });
      return parts.length === 0 ? `every key = ${JSON.stringify(byId[0].text)}` : `{${parts.join(', ')}}`;
    },
  };
}
