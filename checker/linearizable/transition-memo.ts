// checker/linearizable/transition-memo.ts — memo of model steps: (state id, op) -> state id.

const CAPACITY_MAX = 1 << 21;
const EMPTY = -1; // a free slot (state ids are >= 0)
/** NOT_MEMOISED: what get answers for a (state, op) step not seen yet (targets are >= -1). */
export const NOT_MEMOISED = -3;

/**
 * TransitionMemo is an open-addressing table on typed arrays (no boxed keys), so a repeated
 * step costs a probe instead of a model call and a state hash. It is only a cache: when it
 * would outgrow CAPACITY_MAX it is emptied rather than grown.
 */
export class TransitionMemo {
  private states = new Int32Array(0);
  private ops = new Int32Array(0);
  private targets = new Int32Array(0);
  private mask = 0;
  private size = 0;

  constructor() {
    this.reset(1 << 6);
  }

  /** get returns the memoised target (a state id, or -1 for illegal), or NOT_MEMOISED when (stateId, op) is not known. */
  get(stateId: number, op: number): number {
    const { states, ops, mask } = this;
    for (let slot = slotOf(stateId, op) & mask, probes = 0; probes <= mask; slot = (slot + 1) & mask, probes++) {
      const s = states[slot];
      if (s === EMPTY) return NOT_MEMOISED;
      if (s === stateId && ops[slot] === op) return this.targets[slot];
    }
    return NOT_MEMOISED;
  }

  /** set records a step's target (-1 = illegal). */
  set(stateId: number, op: number, target: number): void {
    if ((this.size + 1) * 2 > this.states.length) {
      if (this.states.length * 2 > CAPACITY_MAX) this.reset(this.states.length);
      else this.rehash(this.states.length * 2);
    }
    this.insert(stateId, op, target);
  }

  private insert(stateId: number, op: number, target: number): void {
    const { states, mask } = this;
    let slot = slotOf(stateId, op) & mask;
    while (states[slot] !== EMPTY) slot = (slot + 1) & mask;
    states[slot] = stateId;
    this.ops[slot] = op;
    this.targets[slot] = target;
    this.size++;
  }

  private reset(capacity: number): void {
    this.states = new Int32Array(capacity).fill(EMPTY);
    this.ops = new Int32Array(capacity);
    this.targets = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
  }

  private rehash(capacity: number): void {
    const { states, ops, targets } = this;
    this.reset(capacity);
    for (let slot = 0; slot < states.length; slot++) {
      if (states[slot] !== EMPTY) this.insert(states[slot], ops[slot], targets[slot]);
    }
  }
}

function slotOf(stateId: number, op: number): number {
  let h = Math.imul(stateId, 0x9e3779b1) ^ Math.imul(op + 0x632be5ab, 0x85ebca6b);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 12);
}
