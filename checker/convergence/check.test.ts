// checker/convergence/check.test.ts — the convergence checker against a reference LWW cluster, plus its named findings.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Op, Stamp } from '../../history/op.ts';
import { checkConvergence, compareStamps } from './check.ts';

const NODES = ['n1', 'n2', 'n3'];
const KEYS = [0, 1];

type Event = { t: 'write'; node: number; key: number; value: number } | { t: 'read'; node: number; key: number } | { t: 'gossip'; from: number; to: number } | { t: 'fault' };

/** Sim: a reference last-writer-wins cluster that records a history as it goes (one op at a time, 1 ms apart). */
class Sim {
  readonly ops: Op[] = [];
  readonly state = NODES.map(() => new Map<number, { value: number; stamp: Stamp }>());
  private readonly clocks = NODES.map(() => 0);
  private readonly maxAcked = new Map<number, Stamp>();
  staleExpected = 0;
  private timeNs = 0;
  private process = 0;

  private push(op: Omit<Op, 'index' | 'time'>): void {
    this.timeNs += 1_000_000;
    this.ops.push({ index: this.ops.length, time: this.timeNs, ...op });
  }

  write(node: number, key: number, value: number): void {
    this.clocks[node] += 1;
    const stamp: Stamp = [this.clocks[node], NODES[node]];
    this.state[node].set(key, { value, stamp });
    const p = this.process++;
    this.push({ type: 'invoke', process: p, f: 'write', key, value, node: NODES[node] });
    this.push({ type: 'ok', process: p, f: 'write', key, value, node: NODES[node], stamp });
    const top = this.maxAcked.get(key);
    if (top === undefined || compareStamps(stamp, top) > 0) this.maxAcked.set(key, stamp);
  }

  read(node: number, key: number): void {
    const entry = this.state[node].get(key);
    const stamp = entry?.stamp ?? null;
    const top = this.maxAcked.get(key);
    if (top !== undefined && compareStamps(stamp, top) < 0) this.staleExpected += 1;
    const p = this.process++;
    this.push({ type: 'invoke', process: p, f: 'read', key, value: null, node: NODES[node] });
    this.push({ type: 'ok', process: p, f: 'read', key, value: entry?.value ?? null, node: NODES[node], stamp });
  }

  gossip(from: number, to: number): void {
    for (const [key, e] of this.state[from]) {
      this.clocks[to] = Math.max(this.clocks[to], e.stamp[0]);
      const mine = this.state[to].get(key);
      if (mine === undefined || compareStamps(e.stamp, mine.stamp) > 0) this.state[to].set(key, e);
    }
  }

  nemesis(value: string): void {
    this.push({ type: 'info', process: 'nemesis', f: value, value });
  }
}

const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ t: fc.constant('write' as const), node: fc.nat(2), key: fc.constantFrom(...KEYS), value: fc.nat(4) }),
  fc.record({ t: fc.constant('read' as const), node: fc.nat(2), key: fc.constantFrom(...KEYS) }),
  fc.record({ t: fc.constant('gossip' as const), from: fc.nat(2), to: fc.nat(2) }),
);

function run(events: Event[], finalSync: boolean): Sim {
  const sim = new Sim();
  sim.nemesis('start-partition');
  for (const e of events) {
    if (e.t === 'write') sim.write(e.node, e.key, e.value);
    else if (e.t === 'read') sim.read(e.node, e.key);
    else if (e.t === 'gossip') sim.gossip(e.from, e.to);
  }
  sim.nemesis('stop-partition');
  if (finalSync) for (let round = 0; round < 2; round += 1) for (const a of [0, 1, 2]) for (const b of [0, 1, 2]) sim.gossip(a, b);
  for (const key of KEYS) for (const n of [0, 1, 2]) sim.read(n, key);
  return sim;
}

/** diverged: the reference's own answer — do the replicas' copies differ on some key? */
function diverged(sim: Sim): boolean {
  return KEYS.some((key) => new Set(sim.state.map((s) => JSON.stringify(s.get(key)?.stamp ?? null))).size > 1);
}

describe('checkConvergence against a reference last-writer-wins cluster', () => {
  it('valid when anti-entropy ran to the end, with the stale reads counted exactly', () => {
    fc.assert(fc.property(fc.array(event, { maxLength: 40 }), (events) => {
      const sim = run(events, true);
      const finalStale = sim.staleExpected; // final reads after a full sync are never stale
      const r = checkConvergence(sim.ops);
      expect(r.valid).toBe(true);
      expect(r.anomalies).toEqual([]);
      expect(r.staleReads.count).toBe(finalStale);
      expect(r.staleReads.duringFaults).toBe(finalStale);
    }), { numRuns: 200 });
  });

  it('invalid exactly when the replicas are left diverged, naming the key', () => {
    fc.assert(fc.property(fc.array(event, { maxLength: 40 }), (events) => {
      const sim = run(events, false);
      const r = checkConvergence(sim.ops);
      expect(r.valid).toBe(diverged(sim) ? false : true);
      if (r.valid === false) {
        expect(r.disagreements.length).toBeGreaterThan(0);
        expect(r.lostWrites.length).toBeGreaterThan(0); // the lower copy lacks the higher acknowledged write
        expect(r.anomalies[0]).toMatch(/^replicas did not converge on \d+ key\(s\): key \d+ final reads n1=/);
      }
    }), { numRuns: 200 });
  });

  it('unknown when a replica has no final read of a key, naming both', () => {
    const sim = run([{ t: 'write', node: 0, key: 0, value: 1 }], true);
    const withoutN3 = sim.ops.filter((op) => !(op.node === 'n3' && op.key === 1)).map((op, index) => ({ ...op, index }));
    const r = checkConvergence(withoutN3, { nodes: NODES });
    expect(r.valid).toBe('unknown');
    expect(r.missingFinalReads).toEqual([{ key: 1, node: 'n3' }]);
    expect(r.anomalies).toEqual(['convergence unknown: 1 (key, replica) pair(s) with no ok read after the heal, e.g. key 1 on n3']);
  });

  it('an agreed final value that lost an acknowledged higher-stamped write is invalid', () => {
    const sim = new Sim();
    sim.write(0, 0, 1); // (1, n1)
    sim.write(0, 0, 2); // (2, n1) acknowledged
    sim.nemesis('stop-partition');
    // Every replica answers the older write: they agree, but (2, n1) is gone.
    for (const n of [0, 1, 2]) {
      sim.ops.push({ index: sim.ops.length, time: 1e9 + n, type: 'invoke', process: 100 + n, f: 'read', key: 0, value: null, node: NODES[n] });
      sim.ops.push({ index: sim.ops.length, time: 1e9 + n + 0.5, type: 'ok', process: 100 + n, f: 'read', key: 0, value: 1, node: NODES[n], stamp: [1, 'n1'] });
    }
    const r = checkConvergence(sim.ops);
    expect(r.valid).toBe(false);
    expect(r.disagreements).toEqual([]);
    expect(r.anomalies).toEqual(['1 acknowledged write(s) neither present nor superseded: key 0 value 2@(2,n1) (op 2) missing on n1, n2, n3']);
  });

  it('counts a stale read "during faults" only inside a fault window (opening invoke to closing completion), not between two', () => {
    const sim = new Sim();
    const nemesisOp = (f: string): void => {
      sim.ops.push({ index: sim.ops.length, time: (sim.ops.length + 1) * 1e6, type: 'invoke', process: 'nemesis', f });
      sim.nemesis(f);
    };
    nemesisOp('start-partition');
    sim.write(0, 0, 7);
    sim.read(1, 0); // stale, partitioned
    nemesisOp('stop-partition');
    sim.read(1, 0); // stale, but no fault in force: anti-entropy has not run yet
    nemesisOp('start-partition');
    nemesisOp('stop-partition');
    sim.gossip(0, 1);
    sim.gossip(0, 2);
    for (const n of [0, 1, 2]) sim.read(n, 0);
    const roles = { 'start-partition': { kind: 'partition', role: 'open' as const }, 'stop-partition': { kind: 'partition', role: 'close' as const } };
    expect(checkConvergence(sim.ops, { faultRoles: roles }).staleReads).toMatchObject({ count: 2, duringFaults: 1 });
    // Without the roles, the span from the first nemesis op to the last.
    expect(checkConvergence(sim.ops).staleReads).toMatchObject({ count: 2, duringFaults: 2 });
  });

  it('measures how long a stale read lagged the acknowledged write', () => {
    const sim = new Sim();
    sim.nemesis('start-partition');
    sim.write(0, 0, 7); // ok at 3 ms
    sim.read(1, 0); // invoked at 4 ms: 1 ms stale
    sim.read(1, 0); // invoked at 6 ms: 3 ms stale
    sim.nemesis('stop-partition');
    sim.gossip(0, 1);
    sim.gossip(0, 2);
    for (const n of [0, 1, 2]) sim.read(n, 0);
    const r = checkConvergence(sim.ops);
    expect(r.valid).toBe(true);
    expect(r.staleReads).toMatchObject({ count: 2, duringFaults: 2, staleMsMax: 3, windowMs: [4, 6] });
  });
});
