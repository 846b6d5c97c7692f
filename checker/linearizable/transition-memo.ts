// checker/linearizable/transition-memo.ts — memo of model steps: (state id, op) -> state id.

const CAPACITY_MAX = 1 << 21;

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

  /** get returns the memoised target (>= -1), or -3 when (stateId, op) is not known. */
  get(stateId: number, op: number): number {
    const { states, ops, mask } = this;
    for (let slot = slotOf(stateId, op) & mask, probes = 0; probes <= mask; slot = (slot + 1) & mask, probes++) {
      const s = states[slot];
      if (s === -1) return -3;
      if (s === stateId && ops[slot] === op) return this.targets[slot];
    }
    return -3;
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
    while (states[slot] !== -1) slot = (slot + 1) & mask;
    states[slot] = stateId;
    this.ops[slot] = op;
    this.targets[slot] = target;
    this.size++;
  }

  private reset(capacity: number): void {
    this.states = new Int32Array(capacity).fill(-1);
    this.ops = new Int32Array(capacity);
    this.targets = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
  }

  private rehash(capacity: number): void {
    const { states, ops, targets } = this;
    this.reset(capacity);
    for (let slot = 0; slot < states.length; slot++) {
      if (states[slot] !== -1) this.insert(states[slot], ops[slot], targets[slot]);
    }
  }
}

function slotOf(stateId: number, op: number): number {
  let h = Math.imul(stateId, 0x9e3779b1) ^ Math.imul(op + 0x632be5ab, 0x85ebca6b);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) ^ (h >>> 12);
}
