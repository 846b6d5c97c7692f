// test/cli.test.ts — the `npm run jepsen` command line as a user meets it: real processes, exit codes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = path.join(repoRoot, 'examples', 'histories');
const tempDir = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-cli-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

async function jepsen(...args: string[]) {
  return execa('node', ['--import', 'tsx', path.join(repoRoot, 'control', 'cli.ts'), ...args], {
    cwd: repoRoot, reject: false, env: { FORCE_COLOR: '0' },
  });
}

describe('splitbrain CLI', () => {
  it('--help lists the subcommands', async () => {
    const r = await jepsen('--help');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/check \[options\] <history>/);
  });

  it('a bad flag gives one line naming the flag and exit 3', async () => {
    const r = await jepsen('check', path.join(examples, 'cas-register-ok.jsonl'), '--model', 'cas-register', '--bogus');
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--bogus');
  });

  it('a bad flag value names the flag and what was expected', async () => {
    const r = await jepsen('check', path.join(examples, 'cas-register-ok.jsonl'), '--model', 'cas-register', '--timeout', 'soon');
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/--timeout.*expected a positive number of seconds/);
    const m = await jepsen('check', path.join(examples, 'cas-register-ok.jsonl'), '--model', 'nope');
    expect(m.exitCode).toBe(3);
    expect(m.stderr).toMatch(/--model: expected one of .*cas-register/);
  });

  it('check exits 0 on a linearizable history and 1 on a non-linearizable one', async () => {
    const ok = await jepsen('check', path.join(examples, 'cas-register-ok.jsonl'), '--model', 'cas-register');
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/linearizable/i);
    const bad = await jepsen('check', path.join(examples, 'cas-register-bad.jsonl'), '--model', 'cas-register');
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toMatch(/not linearizable/i);
  });

  it('--init sets the initial value (Knossos data starts at 0)', async () => {
    const file = path.join(examples, 'knossos-cas-register.edn');
    expect((await jepsen('check', file, '--model', 'cas-register', '--init', '0')).exitCode).toBe(0);
    expect((await jepsen('check', file, '--model', 'cas-register')).exitCode).toBe(1);
    const bad = await jepsen('check', file, '--model', 'cas-register', '--init', '{oops');
    expect(bad.exitCode).toBe(3);
    expect(bad.stderr).toMatch(/--init.*expected a JSON value/);
  });

  it('--json prints the full result, with the counterexample of a failing history', async () => {
    const r = await jepsen('check', path.join(examples, 'cas-register-bad.jsonl'), '--model', 'cas-register', '--json');
    expect(r.exitCode).toBe(1);
    const result = JSON.parse(r.stdout) as { valid: unknown; failures: unknown[] };
    expect(result.valid).toBe(false);
    expect(result.failures.length).toBeGreaterThan(0);
  });

  it('malformed input names the file and line, exit 3', async () => {
    const file = path.join(tempDir, 'broken.jsonl');
    writeFileSync(file, '{"index":0,"type":"invoke","process":0,"f":"read"}\n{"index":1,"type":"okk","process":0,"f":"read"}\n');
    const r = await jepsen('check', file, '--model', 'register');
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toContain('broken.jsonl:2');
  });

  it('a missing file is bad input, exit 3', async () => {
    const r = await jepsen('check', '/nonexistent/history.jsonl', '--model', 'register');
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/no such file/);
  });
});

describe('check --semantics: Knossos\'s reading of nil for EDN, ours for JSONL', () => {
  // A write of 1 completes, then a read returns nil: Knossos reads that as "value unknown".
  const ops = [
    ['invoke', 0, 'write', '1'], ['ok', 0, 'write', '1'], ['invoke', 1, 'read', 'nil'], ['ok', 1, 'read', 'nil'],
  ] as const;

  it('an EDN history defaults to Knossos semantics, a JSONL one to ours; --semantics overrides both', async () => {
    const edn = path.join(tempDir, 'nil-read.edn');
    writeFileSync(edn, ops.map(([type, p, f, v]) => `{:type :${type}, :process ${p}, :f :${f}, :value ${v}}`).join('\n') + '\n');
    const jsonl = path.join(tempDir, 'nil-read.jsonl');
    writeFileSync(jsonl, ops.map(([type, p, f, v], index) => JSON.stringify({ index, type, process: p, f, value: v === 'nil' ? null : Number(v) })).join('\n') + '\n');

    const knossos = await jepsen('check', edn, '--model', 'cas-register');
    expect(knossos.exitCode, knossos.stderr).toBe(0);
    expect(knossos.stdout).toMatch(/^linearizable \(model cas-register, Knossos semantics,/);
    const ours = await jepsen('check', jsonl, '--model', 'cas-register');
    expect(ours.exitCode).toBe(1);
    expect(ours.stdout).not.toContain('Knossos');
    expect((await jepsen('check', edn, '--model', 'cas-register', '--semantics', 'splitbrain')).exitCode).toBe(1);
    expect((await jepsen('check', jsonl, '--model', 'register', '--semantics', 'knossos')).exitCode).toBe(0);
  });

  it('--semantics knossos on a Porcupine model, or an unknown name, is bad input', async () => {
    const file = path.join(examples, 'cas-register-ok.jsonl');
    const etcd = await jepsen('check', file, '--model', 'etcd', '--semantics', 'knossos');
    expect(etcd.exitCode).toBe(3);
    expect(etcd.stderr).toMatch(/--semantics knossos: model etcd has only its own semantics/);
    const bogus = await jepsen('check', file, '--model', 'register', '--semantics', 'jepsen');
    expect(bogus.exitCode).toBe(3);
    expect(bogus.stderr).toMatch(/--semantics/);
  });
});

describe('check FILE --workload: Jepsen/Elle EDN and our JSONL txn histories', () => {
  // A G-single (read skew): T1 reads x after T0's append but y before it; T2 reads y after.
  const txns = [
    { process: 0, type: 'invoke', value: [['append', 'x', 1], ['append', 'y', 1]] },
    { process: 1, type: 'invoke', value: [['r', 'x', null], ['r', 'y', null]] },
    { process: 'nemesis', type: 'info', f: 'start-partition' },
    { process: 0, type: 'ok', value: [['append', 'x', 1], ['append', 'y', 1]] },
    { process: 1, type: 'ok', value: [['r', 'x', [1]], ['r', 'y', []]] },
    { process: 2, type: 'invoke', value: [['r', 'y', null]] },
    { process: 2, type: 'ok', value: [['r', 'y', [1]]] },
  ];
  const ednOf = (v: unknown): string => (v === null ? 'nil' : Array.isArray(v) ? `[${v.map(ednOf).join(' ')}]` : typeof v === 'string' ? `:${v}` : String(v));
  // Elle's shape: keyword keys, :process :nemesis with a nemesis value, no :time or :index.
  const ednLine = (t: (typeof txns)[number]) => t.process === 'nemesis'
    ? '{:type :info, :process :nemesis, :f :start-partition, :value [:isolated {"n1" #{"n2" "n3"}}]}'
    : `{:type :${t.type}, :process ${t.process}, :f :txn, :value ${ednOf(t.value)}}`;

  it('reads one map a line or one vector, with the same verdict and lines as JSONL and as check DIR', async () => {
    const lines = path.join(tempDir, 'g-single.edn');
    writeFileSync(lines, txns.map(ednLine).join('\n') + '\n');
    const vector = path.join(tempDir, 'g-single-vector.edn');
    writeFileSync(vector, `[${txns.map(ednLine).join('\n ')}]\n`);
    const runDir = path.join(tempDir, 'g-single-run');
    mkdirSync(runDir);
    const jsonl = path.join(runDir, 'history.jsonl');
    writeFileSync(jsonl, txns.map((t, index) => JSON.stringify({ index, f: 'txn', ...t })).join('\n') + '\n');
    writeFileSync(path.join(runDir, 'test.json'), JSON.stringify({ options: { workload: 'list-append', consistencyModel: 'serializable' } }));

    const fromLines = await jepsen('check', lines, '--workload', 'list-append', '--consistency-model', 'serializable');
    expect(fromLines.exitCode, fromLines.stderr).toBe(1);
    expect(fromLines.stdout).toMatch(/^INVALID \(workload list-append, 7 history entries\): G-single ×1; weakest model violated:\s+[a-z-]+/);
    expect(fromLines.stdout).toMatch(/\n {2}- G-single on keys y,x: T1 < T0 \(rw\)/);
    for (const other of [
      await jepsen('check', vector, '--workload', 'list-append', '--consistency-model', 'serializable'),
      await jepsen('check', jsonl, '--workload', 'list-append', '--consistency-model', 'serializable'),
      await jepsen('check', runDir),
    ]) {
      expect(other.exitCode, other.stderr).toBe(1);
      expect(other.stdout.replace(/ {2}full results: \S+results\.json\n/, '')).toBe(fromLines.stdout);
    }
    // Read committed allows G-single; --json carries the full Elle result.
    const weak = await jepsen('check', lines, '--workload', 'list-append', '--consistency-model', 'read-committed', '--json');
    expect(weak.exitCode).toBe(0);
    const result = JSON.parse(weak.stdout) as { valid: boolean; checker: { elle: { anomalyTypes: string[] } } };
    expect(result.valid).toBe(true);
    expect(result.checker.elle.anomalyTypes).toContain('G-single');
  });

  it('checks rw-register histories ([:w k v] [:r k v])', async () => {
    // T1 reads x = 1 (T0's write) and y = nil, yet T0 wrote y before completing: G-single.
    const file = path.join(tempDir, 'rw.edn');
    writeFileSync(file, [
      '{:type :invoke, :process 0, :f :txn, :value [[:w :x 1] [:w :y 1]]}',
      '{:type :ok, :process 0, :f :txn, :value [[:w :x 1] [:w :y 1]]}',
      '{:type :invoke, :process 1, :f :txn, :value [[:r :x nil] [:r :y nil]]}',
      '{:type :ok, :process 1, :f :txn, :value [[:r :x 1] [:r :y nil]]}',
    ].join('\n'));
    const r = await jepsen('check', file, '--workload', 'rw-register');
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^INVALID \(workload rw-register, 4 history entries\)/);
  });

  it('malformed txn histories name FILE:LINE and what was expected, exit 3', async () => {
    const cases: [string, string, RegExp][] = [
      ['short-mop.edn', '[{:type :invoke, :process 0, :f :txn, :value [[:append :x 1]]}\n {:type :ok, :process 0, :f :txn, :value [[:append :x]]}]',
        /short-mop\.edn:2: expected :value to be a vector of micro-ops \[:append k v\] or \[:r k nil\|\[v \.\.\.\]\], got \["append","x"\]/],
      ['not-txn.edn', '{:type :invoke, :process 0, :f :read, :value nil}', /not-txn\.edn:1: expected :f :txn .*got "read"/],
      ['orphan.jsonl', '{"type":"ok","process":3,"f":"txn","value":[["r","x",[1]]]}', /orphan\.jsonl:1: expected an invoke by process 3 before this ok/],
      ['changed.edn', '{:type :invoke, :process 0, :f :txn, :value [[:r :x nil]]}\n\n{:type :ok, :process 0, :f :txn, :value [[:r :y [1]]]}',
        /changed\.edn:3: expected the ok txn to repeat the micro-ops of its invoke at index 0/],
      ['append-in-rw.edn', '{:type :invoke, :process 0, :f :txn, :value [[:append :x 1]]}', /append-in-rw\.edn:1: expected :value to be a vector of micro-ops \[:w k v\]/],
    ];
    for (const [name, text, message] of cases) {
      const file = path.join(tempDir, name);
      writeFileSync(file, text + '\n');
      const r = await jepsen('check', file, '--workload', name.startsWith('append-in-rw') ? 'rw-register' : 'list-append');
      expect(r.exitCode, name).toBe(3);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(r.stderr, name).toMatch(message);
    }
  });

  it('rejects other workloads for a file, --workload with --model, and an unknown consistency model', async () => {
    const file = path.join(examples, 'cas-register-ok.jsonl');
    const set = await jepsen('check', file, '--workload', 'set');
    expect(set.exitCode).toBe(3);
    expect(set.stderr).toMatch(/--workload: a history file is checked as list-append or rw-register/);
    expect((await jepsen('check', file, '--workload', 'list-append', '--model', 'register')).stderr).toMatch(/exclude each other/);
    const model = await jepsen('check', file, '--workload', 'list-append', '--consistency-model', 'acid');
    expect(model.exitCode).toBe(3);
    expect(model.stderr).toMatch(/--consistency-model: consistency model 'acid' is unknown/);
  });
});

describe('the verdict: short, one example per anomaly type, no line over 100 columns', () => {
  const widest = (text: string) => Math.max(...text.trimEnd().split('\n').map((line) => [...line].length));

  it('for an Elle failure: types with counts, the weakest model violated, one example each', async () => {
    // Ten read skews (G-single) and one write cycle (G0), over keys with long names.
    const key = (name: string, i: number) => `"${name}-a-key-name-long-enough-to-overflow-any-terminal-line-${i}"`;
    const lines: string[] = [];
    let p = 0;
    const txn = (invoke: string, ok: string) => {
      lines.push(`{:type :invoke, :process ${p}, :f :txn, :value ${invoke}}`, `{:type :ok, :process ${p}, :f :txn, :value ${ok}}`);
      p++;
    };
    for (let i = 0; i < 10; i++) {
      const [x, y] = [key('x', i), key('y', i)];
      lines.push(`{:type :invoke, :process ${p}, :f :txn, :value [[:append ${x} 1] [:append ${y} 1]]}`, `{:type :invoke, :process ${p + 1}, :f :txn, :value [[:r ${x} nil] [:r ${y} nil]]}`);
      lines.push(`{:type :ok, :process ${p}, :f :txn, :value [[:append ${x} 1] [:append ${y} 1]]}`, `{:type :ok, :process ${p + 1}, :f :txn, :value [[:r ${x} [1]] [:r ${y} []]]}`);
      p += 2;
      txn(`[[:r ${y} nil]]`, `[[:r ${y} [1]]]`);
    }
    const [a, b] = [key('a', 0), key('b', 0)];
    lines.push(`{:type :invoke, :process ${p}, :f :txn, :value [[:append ${a} 1] [:append ${b} 1]]}`, `{:type :invoke, :process ${p + 1}, :f :txn, :value [[:append ${a} 2] [:append ${b} 2]]}`);
    lines.push(`{:type :ok, :process ${p}, :f :txn, :value [[:append ${a} 1] [:append ${b} 1]]}`, `{:type :ok, :process ${p + 1}, :f :txn, :value [[:append ${a} 2] [:append ${b} 2]]}`);
    p += 2;
    txn(`[[:r ${a} nil] [:r ${b} nil]]`, `[[:r ${a} [1 2]] [:r ${b} [2 1]]]`);
    const file = path.join(tempDir, 'many-anomalies.edn');
    writeFileSync(file, lines.join('\n') + '\n');

    const r = await jepsen('check', file, '--workload', 'list-append', '--out', path.join(tempDir, 'many-anomalies.json'));
    expect(r.exitCode, r.stderr).toBe(1);
    expect(widest(r.stdout)).toBeLessThanOrEqual(100);
    const out = r.stdout.trimEnd().split('\n');
    expect(out[0]).toMatch(/^INVALID \(workload list-append, \d+ history entries\): /);
    expect(out[0]).toMatch(/G0 ×1/);
    expect(out[0]).toMatch(/G-single ×10/);
    expect(r.stdout).toMatch(/weakest model violated:\s+read-uncommitted/);
    expect(out).toContain(`  full results: ${path.join(tempDir, 'many-anomalies.json')}`);
    const examples = out.filter((line) => line.startsWith('  - '));
    const types = examples.map((line) => line.slice(4).split(' ')[0]);
    expect(new Set(types).size).toBe(types.length);
    expect(types).toEqual(expect.arrayContaining(['G0', 'G-single']));
    expect(examples.every((line) => line.endsWith('…'))).toBe(true);
    // The full explanations stay in the results file.
    const full = JSON.parse(readFileSync(path.join(tempDir, 'many-anomalies.json'), 'utf8')) as { anomalies: string[] };
    expect(Math.max(...full.anomalies.map((x) => x.length))).toBeGreaterThan(100);
  });

  it('for a linearizability failure: the key, the model violated, one example', async () => {
    // A register run whose key k reads a value nobody wrote; the values are long.
    const runDir = path.join(tempDir, 'register-run');
    mkdirSync(runDir);
    const long = 'v'.repeat(150);
    const ops = [
      { type: 'invoke', process: 0, f: 'write', key: 'k', value: long }, { type: 'ok', process: 0, f: 'write', key: 'k', value: long },
      { type: 'invoke', process: 1, f: 'read', key: 'k', value: null }, { type: 'ok', process: 1, f: 'read', key: 'k', value: `${long}-other` },
    ];
    writeFileSync(path.join(runDir, 'history.jsonl'), ops.map((op, index) => JSON.stringify({ index, ...op })).join('\n') + '\n');
    writeFileSync(path.join(runDir, 'test.json'), JSON.stringify({ options: { workload: 'register' } }));
    const r = await jepsen('check', runDir);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(widest(r.stdout)).toBeLessThanOrEqual(100);
    const out = r.stdout.trimEnd().split('\n');
    expect(out[0]).toBe('INVALID (workload register, 4 history entries): nonlinearizable ×1 (key "k"); weakest model');
    expect(out[1]).toBe('    violated: linearizable');
    expect(out.filter((line) => line.startsWith('  - '))).toHaveLength(1);
    // The failure text leads with the smallest set of ops that cannot be ordered (checker/linearizable/shrink.ts).
    expect(out.at(-1)).toMatch(/^ {2}- nonlinearizable read \(stale or divergent value\) on key "k": (This op cannot be linearized|These \d+ ops cannot be ordered): op 1 .*…$/);
    // --model output is cut to the same width.
    const model = await jepsen('check', path.join(runDir, 'history.jsonl'), '--model', 'multi-register');
    expect(model.exitCode).toBe(1);
    expect(widest(model.stdout)).toBeLessThanOrEqual(100);
  });
});

describe('check DIR re-checks a stored run', () => {
  it("re-runs the run's own workload checker into results.json, or a --model check beside it", async () => {
    const store = path.join(tempDir, 'store');
    const run = await jepsen('test', '--cluster', 'fake', '--nemesis', 'none', '--time-limit', '1', '--recovery-s', '0', '--seed', '7', '--store', store);
    expect(run.exitCode, run.stderr).toBe(0);
    const dir = path.join(store, 'latest');
    const before = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as { stats: unknown; recheckedAt?: string };
    expect(before.recheckedAt).toBeUndefined();

    // The run ends with a short verdict naming its store directory.
    expect(run.stderr).toMatch(/\nvalid raft-register-none seed 7: linearizable \(\d+ ops, \d+\/\d+ keys checked\)\n {2}store: \S+ \(report\.html, results\.json\)(\n|$)/);
    const recheck = await jepsen('check', dir);
    expect(recheck.exitCode, recheck.stderr).toBe(0);
    expect(recheck.stdout).toMatch(/^valid \(workload register, \d+ history entries\)/);
    const after = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as { valid: unknown; stats: unknown; recheckedAt?: string };
    expect(after.valid).toBe(true);
    expect(after.recheckedAt).toBeDefined();
    expect(after.stats).toEqual(before.stats);

    const model = await jepsen('check', dir, '--model', 'multi-register');
    expect(model.exitCode, model.stderr).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'check-multi-register.json'), 'utf8'))).toMatchObject({ valid: true, model: 'multi-register' });
  });
});
