// test/knossos-property.test.ts — imported Knossos histories: our checker agrees with a brute-force Knossos oracle.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizable } from '../checker/linearizable/index.ts';
import { getModel } from '../checker/models/index.ts';
import { parseEdn } from '../history/edn.ts';
import { opFromRecord } from '../history/op-record.ts';
import { ILLEGAL, linearizableByExhaustion, type OracleEntry } from './support/brute-force.ts';

type ModelName = 'register' | 'cas-register' | 'multi-register' | 'mutex';
type Value = number | null;
type Mop = [f: 'read' | 'write', k: 'x' | 'y', v: Value];
type OpValue = Value | Value[] | Mop[] | undefined;

/** GenOp is one history line as generated: the oracle reads these, the checker reads their EDN text. */
interface GenOp {
  process: number;
  type: 'invoke' | 'ok' | 'fail' | 'info';
  f: string;
  value: OpValue;
}

// A command drives a tiny client run: invoke on an idle process or complete its pending op.
interface Command {
  process: number;
  f: number;
  a: number;
  b: number;
  outcome: number;
  shape: number;
}

const VALUES: Value[] = [null, 0, 1, 2];
const FS: Record<ModelName, string[]> = {
  register: ['read', 'write'],
  'cas-register': ['read', 'write', 'cas'],
  'multi-register': ['txn'],
  mutex: ['acquire', 'release'],
};

function invokeValue(model: ModelName, f: string, c: Command): OpValue {
  if (f === 'read') return null;
  if (f === 'write') return VALUES[c.a % 4];
  if (f === 'cas') return [VALUES[c.a % 4], VALUES[c.b % 4]];
  if (f === 'txn') {
    const mop = (n: number): Mop => (n % 2 === 0 ? ['read', n % 4 < 2 ? 'x' : 'y', null] : ['write', n % 4 < 2 ? 'x' : 'y', n % 3]);
    return c.shape % 3 === 0 ? [mop(c.a), mop(c.b)] : [mop(c.a)];
  }
  return model === 'mutex' ? undefined : null;
}

// okValue is what an ok completion carries: reads get a random value, nil about half the time.
function okValue(invoke: GenOp, c: Command): OpValue {
  if (invoke.f === 'read') return c.shape % 2 === 0 ? null : VALUES[c.b % 4];
  if (invoke.f === 'txn') {
    return (invoke.value as Mop[]).map(([f, k, v], i): Mop => (f === 'read' ? [f, k, (c.shape + i) % 2 === 0 ? null : VALUES[(c.b + i) % 4]] : [f, k, v]));
  }
  // Now and then an ok write or cas arrives without its value: Knossos then steps with nil.
  if ((invoke.f === 'write' || invoke.f === 'cas') && c.shape % 11 === 0) return undefined;
  return invoke.value;
}

/** buildHistory turns commands into a well-formed history of at most opsMax invokes. */
function buildHistory(commands: Command[], model: ModelName, opsMax: number): GenOp[] {
  const history: GenOp[] = [];
  const processes = [0, 1, 2];
  const pending = new Map<number, GenOp>();
  let invokes = 0;
  for (const c of commands) {
    const slot = c.process % processes.length;
    const process = processes[slot];
    const open = pending.get(process);
    if (open === undefined) {
      if (invokes >= opsMax) continue;
      const f = FS[model][c.f % FS[model].length];
      const op: GenOp = { process, type: 'invoke', f, value: invokeValue(model, f, c) };
      history.push(op);
      pending.set(process, op);
      invokes++;
      continue;
    }
    // Outcomes: mostly ok, some fail, some info (the process then continues under a new id).
    const type = c.outcome < 6 ? 'ok' : c.outcome < 8 ? 'fail' : 'info';
    const value = type === 'ok' ? okValue(open, c) : type === 'info' && c.shape % 2 === 0 ? null : open.value;
    history.push({ process, type, f: open.f, value });
    pending.delete(process);
    if (type === 'info') processes[slot] = process + 3;
  }
  return history;
}

function ednValue(value: OpValue): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'number') return String(value);
  return `[${value.map((item) => (Array.isArray(item) ? `[:${item[0]} :${item[1]} ${ednValue(item[2])}]` : ednValue(item))).join(' ')}]`;
}

// toEdn writes the history as Knossos data: one map per line, no :index or :time.
function toEdn(history: GenOp[]): string {
  const lines = history.map((op) => `{:process ${op.process}, :type :${op.type}, :f :${op.f}${op.value === undefined ? '' : `, :value ${ednValue(op.value)}`}}`);
  return `[${lines.join('\n ')}]\n`;
}

// ---- The oracle: knossos/history.clj preprocess + knossos/model.clj, by exhaustive search. ----

interface OracleOp extends OracleEntry {
  f: string;
  value: OpValue;
}

// preprocess: complete (ok fills the invocation's value), without-failures, with-synthetic-infos.
function preprocess(history: GenOp[]): OracleOp[] {
  const ops: OracleOp[] = [];
  const open = new Map<number, OracleOp>();
  history.forEach((op, position) => {
    if (op.type === 'invoke') {
      const entry: OracleOp = { f: op.f, value: op.value, required: false, invoke: position, complete: Infinity };
      open.set(op.process, entry);
      ops.push(entry);
      return;
    }
    const entry = open.get(op.process)!;
    open.delete(op.process);
    if (op.type === 'ok') Object.assign(entry, { value: op.value, required: true, complete: position });
    if (op.type === 'fail') ops.splice(ops.indexOf(entry), 1);
  });
  return ops;
}

type State = Value | boolean | Map<string, Value>;

// step transcribes the model records' step methods; ILLEGAL is (knossos/inconsistent ...).
function step(model: ModelName, state: State, op: OracleOp): State | typeof ILLEGAL {
  const value = op.value ?? null;
  switch (model) {
    case 'register':
    case 'cas-register':
      if (op.f === 'write') return value as Value;
      if (op.f === 'read') return value === null || value === state ? state : ILLEGAL;
      {
        const [cur, next] = (value ?? [null, null]) as Value[];
        return (cur ?? null) === state ? (next ?? null) : ILLEGAL;
      }
    case 'mutex':
      if (op.f === 'acquire') return state === true ? ILLEGAL : true;
      return state === true ? false : ILLEGAL;
    case 'multi-register': {
      const registers = new Map(state as Map<string, Value>);
      for (const [f, k, v] of (value ?? []) as Mop[]) {
        if (f === 'write') registers.set(k, v);
        else if (v !== null && v !== (registers.get(k) ?? null)) return ILLEGAL;
      }
      return registers;
    }
  }
}

/** linearizable tries every order of every subset of the optional ops (Wing & Gong, no pruning). */
function linearizable(model: ModelName, ops: OracleOp[], init: State): boolean {
  return linearizableByExhaustion<State, OracleOp>(ops, init, (state, op) => step(model, state, op));
}

const command = fc.record({
  process: fc.nat(2),
  f: fc.nat(5),
  a: fc.nat(11),
  b: fc.nat(11),
  outcome: fc.nat(9),
  shape: fc.nat(21),
});

const INITS: Record<ModelName, { init: unknown; oracle: State }> = {
  register: { init: undefined, oracle: null },
  'cas-register': { init: 0, oracle: 0 },
  'multi-register': { init: { x: 0 }, oracle: new Map([['x', 0]]) },
  mutex: { init: undefined, oracle: false },
};

describe('imported Knossos histories vs a brute-force Knossos oracle', () => {
  for (const model of ['register', 'cas-register', 'multi-register', 'mutex'] as const) {
    it(`agrees on random ${model} histories with nil reads, info ops and failures`, async () => {
      const verdicts = { valid: 0, invalid: 0 };
      await fc.assert(
        fc.asyncProperty(fc.array(command, { maxLength: 20 }), async (commands) => {
          const history = buildHistory(commands, model, 7);
          const expected = linearizable(model, preprocess(history), INITS[model].oracle);
          const ops = parseEdn(toEdn(history), 'random.edn', { streamTopLevelSeq: true })
            .map((item, i) => opFromRecord(item.value, { file: 'random.edn', line: item.line, indexDefault: i, syntax: 'edn' }));
          const result = await checkLinearizable(ops, getModel(model, INITS[model].init, 'knossos'), { timeoutMs: 5_000 });
          verdicts[expected ? 'valid' : 'invalid']++;
          expect(result.valid).toBe(expected);
        }),
        { numRuns: 2_000, seed: 20261201 },
      );
      // Both verdicts must be common, or agreement would mean little.
      expect(verdicts.valid).toBeGreaterThan(300);
      expect(verdicts.invalid).toBeGreaterThan(300);
    });
  }
});
