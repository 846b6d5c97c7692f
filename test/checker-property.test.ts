// test/checker-property.test.ts — the WGL search agrees with a brute-force checker on small histories.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizable, type CheckOptions } from '../checker/linearizable/index.ts';
import { viewOf } from '../checker/linearizable/counterexample.ts';
import { getModel } from '../checker/models/index.ts';
import type { Op, OpType, Operation } from '../history/op.ts';
import { toOperations } from '../history/pair.ts';
import { ILLEGAL, linearizableByExhaustion } from './support/brute-force.ts';
import { subHistory } from './support/sub-history.ts';

type ModelName = 'register' | 'cas-register';

// A command drives a tiny simulated client run: invoke on an idle process or complete one.
interface Command {
  invoke: boolean;
  process: number;
  f: number;
  a: number;
  b: number;
  outcome: number;
}

const VALUES: (number | null)[] = [null, 0, 1, 2];

/** buildHistory turns commands into a well-formed history of at most opsMax invokes. */
function buildHistory(commands: Command[], modelName: ModelName, opsMax: number): Op[] {
  const history: Op[] = [];
  const processes = [0, 1, 2, 3];
  const pending = new Map<number, Op>();
  let invokes = 0;
  const push = (op: Omit<Op, 'index'>): void => {
    history.push({ index: history.length, ...op });
  };
  for (const c of commands) {
    const slot = c.process % processes.length;
    const process = processes[slot];
    const open = pending.get(process);
    if (open === undefined) {
      if (!c.invoke || invokes >= opsMax) continue;
      const fs = modelName === 'register' ? ['read', 'write'] : ['read', 'write', 'cas'];
      const f = fs[c.f % fs.length];
      const value = f === 'read' ? null : f === 'write' ? c.a % 3 : [VALUES[c.a % 4], c.b % 3];
      const op: Op = { index: history.length, type: 'invoke', process, f, value };
      history.push(op);
      pending.set(process, op);
      invokes++;
      continue;
    }
    // Outcomes: mostly ok, some fail, some info (the process then continues under a new id).
    const type: OpType = c.outcome < 6 ? 'ok' : c.outcome < 8 ? 'fail' : 'info';
    const value = open.f === 'read' ? (type === 'ok' ? VALUES[c.a % 4] : null) : open.value;
    push({ type, process, f: open.f, value });
    pending.delete(process);
    if (type === 'info') processes[slot] = process + 4;
  }
  return history;
}

interface BruteOp {
  f: string;
  key?: string | number;
  input: unknown;
  output: unknown;
  required: boolean;
  invoke: number;
  complete: number;
}

/**
 * bruteForce decides linearizability by trying every order of every subset, independently of
 * pairing and models: ok ops must all appear, ops without a completion (info/pending) may
 * appear, failed ops never do; an op may go next only once every ok op that returned before
 * its invoke is placed.
 */
type BruteStep = (state: unknown, op: BruteOp) => { legal: boolean; state: unknown };

// registerStep: read/write/cas on one register (Knossos's cas-register on our nil).
const registerStep: BruteStep = (state, op) => {
  if (op.f === 'read') return { legal: !op.required || op.output === state, state };
  if (op.f === 'write') return { legal: true, state: op.input };
  const [expected, next] = op.input as [unknown, unknown];
  if (expected === state) return { legal: true, state: next };
  return { legal: !op.required, state };
};

/** bruteOps pairs a history for bruteForce: ok ops required, info/pending optional, failed ops gone. */
function bruteOps(history: Op[]): BruteOp[] {
  const ops: BruteOp[] = [];
  const open = new Map<number | string, BruteOp>();
  for (const op of history) {
    if (op.type === 'invoke') {
      const entry: BruteOp = { f: op.f, key: op.key, input: op.value, output: undefined, required: false, invoke: op.index, complete: Infinity };
      open.set(op.process, entry);
      ops.push(entry);
      continue;
    }
    const entry = open.get(op.process)!;
    open.delete(op.process);
    if (op.type === 'ok') {
      entry.required = true;
      entry.output = op.value;
      entry.complete = op.index;
    } else if (op.type === 'fail') {
      ops.splice(ops.indexOf(entry), 1);
    }
  }
  return ops;
}

function bruteForceOps(ops: BruteOp[], step: BruteStep = registerStep, init: unknown = null): boolean {
  return linearizableByExhaustion<unknown, BruteOp>(ops, init, (state, op) => {
    const next = step(state, op);
    return next.legal ? next.state : ILLEGAL;
  });
}

function bruteForce(history: Op[], step: BruteStep = registerStep, init: unknown = null): boolean {
  return bruteForceOps(bruteOps(history), step, init);
}

const command = fc.record({
  invoke: fc.boolean(),
  process: fc.nat(3),
  f: fc.nat(5),
  a: fc.nat(11),
  b: fc.nat(11),
  outcome: fc.nat(9),
});

/**
 * expectAgreement checks random histories with the model and with the brute-force oracle,
 * and insists that both verdicts come up often, or the agreement would mean little.
 */
async function expectAgreement<C>(
  commands: fc.Arbitrary<C[]>,
  build: (commands: C[]) => Op[],
  oracle: (history: Op[]) => boolean,
  modelName: string,
  seed: number,
  options: CheckOptions = {},
): Promise<void> {
  const verdicts = { valid: 0, invalid: 0 };
  await fc.assert(
    fc.asyncProperty(commands, async (drawn) => {
      const history = build(drawn);
      const expected = oracle(history);
      const result = await checkLinearizable(history, getModel(modelName), { timeoutMs: 5_000, ...options });
      verdicts[expected ? 'valid' : 'invalid']++;
      expect(result.valid).toBe(expected);
      if (!expected) expect(result.failures).toHaveLength(1);
    }),
    { numRuns: 2_000, seed },
  );
  expect(verdicts.valid).toBeGreaterThan(200);
  expect(verdicts.invalid).toBeGreaterThan(200);
}

describe('linearizability search vs brute force', () => {
  for (const modelName of ['register', 'cas-register'] as const) {
    it(`agrees on random ${modelName} histories`, async () => {
      const build = (commands: Command[]) => buildHistory(commands, modelName, 8);
      await expectAgreement(fc.array(command, { maxLength: 24 }), build, (h) => bruteForce(h), modelName, 20261122);
    });
  }
});

/** leavesOf / needsOf: what a register op writes and what it needs the register to hold (undefined: none). */
function leavesOf(op: Operation): { value: unknown } | undefined {
  if (op.f === 'write') return { value: op.input };
  if (op.f === 'cas') return { value: (op.input as unknown[])[1] };
  return undefined;
}
function needsOf(op: Operation): { value: unknown } | undefined {
  if (op.f === 'read') return op.outcome === 'ok' ? { value: op.output ?? null } : undefined;
  if (op.f === 'cas') return { value: (op.input as unknown[])[0] };
  return undefined;
}

/**
 * couldFeedByExhaustion: whether some order of the partition that respects real time puts `writer`
 * as the last ok state change before `reader` (tries every order of the ok writes and cas, the two included).
 */
function couldFeedByExhaustion(writer: Operation, reader: Operation, partition: Operation[]): boolean {
  const ops = [...new Set([...partition.filter((op) => op.outcome === 'ok' && leavesOf(op) !== undefined), writer, reader])];
  const before = (a: Operation, b: Operation): boolean => a.returnIndex < b.invokeIndex;
  const placed: Operation[] = [];
  const search = (): boolean => {
    const at = placed.indexOf(reader);
    if (at >= 0) return placed[at - 1] === writer;
    for (const op of ops) {
      if (placed.includes(op) || ops.some((other) => !placed.includes(other) && other !== op && before(other, op))) continue;
      placed.push(op);
      if (search()) return true;
      placed.pop();
    }
    return false;
  };
  return search();
}

/** droppableAlone: the shrink rule, written out again by exhaustion: a read, or a state change no kept op could have read from. */
function droppableAlone(op: Operation, kept: Operation[], partition: Operation[]): boolean {
  const leaves = leavesOf(op);
  if (leaves === undefined) return true;
  return kept.every((reader) => reader === op || needsOf(reader)?.value !== leaves.value || !couldFeedByExhaustion(op, reader, partition));
}

describe('counterexample shrinking vs brute force', () => {
  for (const modelName of ['register', 'cas-register'] as const) {
    it(`reports a 1-minimal failing set that keeps every write its reads could have read from, on random ${modelName} histories`, async () => {
      let shrunk = 0;
      let writesDropped = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(command, { maxLength: 24 }), async (drawn) => {
          const history = buildHistory(drawn, modelName, 8);
          const result = await checkLinearizable(history, getModel(modelName), { timeoutMs: 5_000 });
          if (result.valid !== false) return;
          const failure = result.failures[0];
          const ids = failure.minimalOpIds ?? [];
          expect(failure.minimal).toBe(true);
          expect(ids.length).toBeGreaterThan(0);
          expect(bruteForce(subHistory(failure.ops, ids))).toBe(false);
          const partition = toOperations(history).operations;
          const views = partition.map((op) => viewOf(getModel(modelName), op));
          const kept = partition.filter((op) => ids.includes(op.id));
          // Faithful: no kept op could have read its value from an op that was dropped.
          for (const op of partition) {
            if (!ids.includes(op.id)) expect(droppableAlone(op, kept, partition)).toBe(true);
          }
          // An ordering conflict stays one: with real time ignored, the set has a legal order if the history had.
          const orderable = bruteForce(subHistory(views, partition.map((op) => op.id), true));
          if (orderable) expect(bruteForce(subHistory(failure.ops, ids, true))).toBe(true);
          // 1-minimal: without any one op the rule lets go, the set is linearizable or (when the
          // history had some legal order) has no legal order at all.
          for (const op of kept) {
            if (!droppableAlone(op, kept, partition)) continue;
            const rest = ids.filter((other) => other !== op.id);
            expect(bruteForce(subHistory(failure.ops, rest)) || (orderable && !bruteForce(subHistory(failure.ops, rest, true)))).toBe(true);
          }
          if (partition.some((op) => !ids.includes(op.id) && leavesOf(op) !== undefined)) writesDropped++;
          shrunk++;
        }),
        { numRuns: 500, seed: 20261201 },
      );
      expect(shrunk).toBeGreaterThan(50);
      expect(writesDropped).toBeGreaterThan(10);
    });
  }
});

// kvHistory: a sequential-looking random kv run over two keys with random (often wrong) gets.
const kvCommand = fc.record({ process: fc.nat(2), f: fc.nat(2), key: fc.nat(1), v: fc.nat(2), done: fc.boolean() });

function buildKvHistory(commands: { process: number; f: number; key: number; v: number; done: boolean }[]): Op[] {
  const history: Op[] = [];
  const pending = new Map<number, Op>();
  for (const c of commands) {
    const open = pending.get(c.process);
    if (open === undefined) {
      const f = ['get', 'put', 'append'][c.f];
      const value = f === 'get' ? null : `${c.v}`;
      const op: Op = { index: history.length, type: 'invoke', process: c.process, f, key: `k${c.key}`, value };
      history.push(op);
      pending.set(c.process, op);
    } else if (c.done) {
      const value = open.f === 'get' ? ['', '0', '01', '1'][c.v] : open.value;
      history.push({ index: history.length, type: 'ok', process: c.process, f: open.f, key: open.key, value });
      pending.delete(c.process);
    }
  }
  return history;
}

describe('P-compositionality', () => {
  // kv-unpartitioned splits by key too; partition: false keeps its whole-map search, whose
  // agreement with the per-key verdicts is what makes the split legitimate (locality).
  it('kv (partitioned by key) and the whole-map kv-unpartitioned search agree', async () => {
    const verdicts = { valid: 0, invalid: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(kvCommand, { maxLength: 20 }), async (commands) => {
        const history = buildKvHistory(commands);
        const partitioned = await checkLinearizable(history, getModel('kv'));
        const whole = await checkLinearizable(history, getModel('kv-unpartitioned'), { partition: false });
        expect(whole.partitions).toBeLessThanOrEqual(1);
        verdicts[partitioned.valid === true ? 'valid' : 'invalid']++;
        expect(whole.valid).toBe(partitioned.valid);
      }),
      { numRuns: 1_000, seed: 7 },
    );
    expect(verdicts.valid).toBeGreaterThan(100);
    expect(verdicts.invalid).toBeGreaterThan(100);
  });
});

// kvStep: get/put/append on a map of strings, every key starting at "" (Porcupine's kv).
const kvStep: BruteStep = (state, op) => {
  const map = state as ReadonlyMap<unknown, string>;
  const value = map.get(op.key) ?? '';
  if (op.f === 'get') return { legal: !op.required || op.output === value, state };
  const next = new Map(map);
  next.set(op.key, op.f === 'put' ? String(op.input) : value + String(op.input));
  return { legal: true, state: next };
};

// kvCrashCommand drives a concurrent kv run with info (crashed) puts and appends.
const kvCrashCommand = fc.record({
  invoke: fc.boolean(),
  process: fc.nat(3),
  f: fc.nat(5),
  key: fc.nat(1),
  v: fc.nat(2),
  outcome: fc.nat(9),
  noise: fc.nat(9),
});
type KvCrashCommand = typeof kvCrashCommand extends fc.Arbitrary<infer T> ? T : never;

/**
 * buildKvCrashHistory simulates a store whose writes take effect at completion (info ones
 * half the time): gets mostly return the simulated value, long strings of appends included,
 * and sometimes a near miss of it (last letter dropped, doubled or swapped), so both verdicts
 * come up and a wrong prune on a long value would show.
 */
function buildKvCrashHistory(commands: KvCrashCommand[], opsMax: number): Op[] {
  const history: Op[] = [];
  const processes = [0, 1, 2, 3];
  const pending = new Map<number, Op>();
  const actual = new Map<unknown, string>();
  let invokes = 0;
  for (const c of commands) {
    const slot = c.process % processes.length;
    const process = processes[slot];
    const open = pending.get(process);
    if (open === undefined) {
      if (!c.invoke || invokes >= opsMax) continue;
      // Appends are the common op, as in the Porcupine data; puts reset a key now and then.
      const f = ['get', 'append', 'append', 'append', 'put', 'get'][c.f];
      // Each append adds its own letter, so a near miss is usually a real anomaly.
      const value = f === 'get' ? null : f === 'put' ? ['x', '', 'ab'][c.v] : String.fromCharCode(97 + invokes);
      const op: Op = { index: history.length, type: 'invoke', process, f, key: `k${c.key}`, value };
      history.push(op);
      pending.set(process, op);
      invokes++;
      continue;
    }
    const type: OpType = c.outcome < 7 ? 'ok' : c.outcome < 8 ? 'fail' : 'info';
    const now = actual.get(open.key) ?? '';
    let value = open.value;
    if (open.f === 'get') value = type === 'ok' ? nearMiss(now, c.noise) : null;
    else if (type === 'ok' || (type === 'info' && c.noise % 2 === 0)) {
      actual.set(open.key, open.f === 'put' ? String(open.value) : now + String(open.value));
    }
    history.push({ index: history.length, type, process, f: open.f, key: open.key, value });
    pending.delete(process);
    if (type === 'info') processes[slot] = process + 4;
  }
  return history;
}

function nearMiss(text: string, noise: number): string {
  if (noise === 1) return text.slice(0, -1);
  if (noise === 2) return text + text.slice(-1);
  if (noise === 3 && text.length >= 2) return text.slice(0, -2) + text.slice(-1) + text.slice(-2, -1);
  return text;
}

describe('kv models vs brute force (the append pruning must never change a verdict)', () => {
  const cases = [['kv', true], ['kv-unpartitioned', true], ['kv-unpartitioned', false]] as const;
  for (const [modelName, partition] of cases) {
    const how = partition ? '' : ' (whole-map search, partition: false)';
    it(`agrees on random concurrent ${modelName} histories with puts and crashed ops${how}`, async () => {
      const commands = fc.array(kvCrashCommand, { minLength: 12, maxLength: 40, size: 'max' });
      const build = (drawn: KvCrashCommand[]) => buildKvCrashHistory(drawn, 10);
      await expectAgreement(commands, build, (h) => bruteForce(h, kvStep, new Map()), modelName, 20261201, { partition });
    });
  }
});
