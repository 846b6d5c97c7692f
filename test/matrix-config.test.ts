// test/matrix-config.test.ts — the test-all matrix file (expansion, validation errors), its exit code and JUnit XML.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { junitCases, matrixExitCode, summaryTable, type MatrixOutcome } from '../control/commands/test-all.ts';
import { escapeXml, junitXml } from '../control/junit.ts';
import { expandMatrix, type VerdictName } from '../control/matrix.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function matrixFile(text: string): string {
  const file = path.join(dir, `m${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** parseXml parses with Python's XML parser (a real, strict one) and returns the test cases it saw. */
function parseXml(xml: string): Array<{ name: string; failure: string | null; error: string | null; out: string | null }> {
  const script = [
    'import sys, json, xml.etree.ElementTree as ET',
    'root = ET.fromstring(sys.stdin.buffer.read())',
    'cases = [{"name": c.get("name"), "failure": (c.find("failure").get("message") if c.find("failure") is not None else None),',
    '          "error": (c.find("error").get("message") if c.find("error") is not None else None),',
    '          "out": (c.find("system-out").text if c.find("system-out") is not None else None)} for c in root.iter("testcase")]',
    'print(json.dumps(cases))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script], { input: xml }).toString()) as ReturnType<typeof parseXml>;
}

describe('matrix file', () => {
  it('expands db × workload × nemesis × seeds per row, options from defaults < row < axes < overrides', () => {
    const file = matrixFile(`
defaults: { time-limit: 20, recovery-s: 2 }
runs:
  - db: [raft, viewservice]
    workload: [register, set]
    nemesis: [partition, "partition,kill", [kill, pause], none]
    seeds: [1, 2]
    expect: valid
  - db: naive
    workload: counter
    expect: [invalid, unknown]
    options: { nodes: 2, partition-clients: true, time-limit: 9 }
`);
    const runs = expandMatrix(file, { timeLimit: '3' });
    expect(runs).toHaveLength(2 * 2 * 4 * 2 + 1);
    expect(runs[0]).toMatchObject({ rowIndex: 0, nemesisText: 'partition', expect: ['valid'] });
    expect(runs[0].opts).toMatchObject({ db: 'raft', workload: 'register', nemesis: ['partition'], seed: 1, timeLimitS: 3, recoveryS: 2, name: 'raft-register-partition' });
    expect(runs[2].opts.nemesis).toEqual(['partition', 'kill']);
    expect(runs[4].opts.nemesis).toEqual(['kill', 'pause']);
    expect(runs[6].opts.nemesis).toEqual([]);
    const naive = runs.at(-1);
    expect(naive?.opts).toMatchObject({ db: 'naive', workload: 'counter', nodes: 2, partitionClients: true, nemesis: [], seed: 1, timeLimitS: 3 });
    expect(naive?.expect).toEqual(['invalid', 'unknown']);
    expect(expandMatrix(file).at(-1)?.opts.timeLimitS).toBe(9);
  });

  it('rejects bad files naming the file, the key and what was expected', () => {
    const cases: Array<[string, RegExp]> = [
      ['runs: []', /m\w+\.yaml: runs: Too small/],
      ['runs:\n  - { db: raft, workload: set, expect: maybe }', /\.yaml: runs\[0\]\.expect: expected a verdict \(valid, invalid, unknown, crashed\), or a non-empty list of them/],
      ['runs:\n  - { db: raft, workload: set, expect: valid, colour: red }', /\.yaml: runs\[0\]: Unrecognized key: "colour"/],
      ['runs:\n  - { db: raft, workload: queue, expect: valid }', /\.yaml: runs\[0\]: workload: expected one of register, set, counter, bank(, [a-z-]+)*, got "queue"/],
      ['runs:\n  - { db: raft, workload: set, expect: valid, options: { time-limit: -1 } }', /\.yaml: runs\[0\]: time-limit: expected a number of seconds/],
      ['defaults: { speed: 3 }\nruns:\n  - { db: raft, workload: set, expect: valid }', /\.yaml: defaults\.speed: unknown option; expected one of name, db/],
      ['runs: [1', /\.yaml: not valid YAML/],
    ];
    for (const [text, message] of cases) expect(() => expandMatrix(matrixFile(text)), text).toThrow(message);
    expect(() => expandMatrix(path.join(dir, 'missing.yaml'))).toThrow(/--config: cannot read .*missing\.yaml: ENOENT/);
  });

  it('examples/nightly.yaml is a valid matrix covering every db, workload and fault kind', () => {
    const runs = expandMatrix(path.join(ROOT, 'examples', 'nightly.yaml'));
    expect(new Set(runs.map((r) => r.opts.db))).toEqual(new Set(['raft', 'viewservice', 'primary-backup', 'async-backup', 'naive']));
    expect(new Set(runs.map((r) => r.opts.workload))).toEqual(new Set(['register', 'set', 'counter', 'bank']));
    expect(new Set(runs.flatMap((r) => r.opts.nemesis))).toEqual(new Set(['partition', 'kill', 'pause']));
    expect(runs.some((r) => !r.expect.includes('valid'))).toBe(true);
  });
});

function outcome(verdict: VerdictName, expect: VerdictName[], extra: Partial<MatrixOutcome> = {}): MatrixOutcome {
  const run = expandMatrix(matrixFile('runs:\n  - { db: raft, workload: set, nemesis: kill, seeds: 7, expect: valid }'))[0];
  return { run: { ...run, expect }, verdict, pass: expect.includes(verdict), opCount: 10, anomalies: [], durationMs: 1234, storePath: '/s/raft-set-kill/1', ...extra };
}

describe('test-all verdicts and JUnit', () => {
  it('exits 0 when every run got an expected verdict, else by the worst unexpected one', () => {
    expect(matrixExitCode([outcome('valid', ['valid']), outcome('invalid', ['invalid'])])).toBe(0);
    expect(matrixExitCode([outcome('valid', ['invalid'])])).toBe(1);
    expect(matrixExitCode([outcome('invalid', ['valid']), outcome('valid', ['valid'])])).toBe(1);
    expect(matrixExitCode([outcome('invalid', ['valid']), outcome('unknown', ['valid'])])).toBe(2);
    expect(matrixExitCode([outcome('crashed', ['valid']), outcome('invalid', ['valid'])])).toBe(2);
    expect(matrixExitCode([outcome('crashed', ['crashed'])])).toBe(0);
  });

  it('prints one summary row a run', () => {
    const table = summaryTable([outcome('invalid', ['valid'], { anomalies: ['lost 2 element(s): 1, 2'] })]).split('\n');
    expect(table[0]).toMatch(/^db\s+workload\s+nemesis\s+seed\s+verdict\s+expected\s+pass\s+ops\s+anomalies\s+duration\s+store$/);
    expect(table[2]).toMatch(/^raft\s+set\s+kill\s+7\s+invalid\s+valid\s+NO\s+10\s+1: lost 2 element\(s\): 1, 2\s+1\.2s\s+\/s\/raft-set-kill\/1$/);
  });

  it('writes well-formed JUnit: a failure for an unexpected verdict with the anomalies and the store path, escaped', () => {
    const nasty = 'lost <1> & "2" \'3\' \u0001 ]]>';
    const cases = junitCases([
      outcome('valid', ['valid']),
      outcome('invalid', ['valid'], { anomalies: [nasty], storePath: '/s/a&b' }),
      outcome('crashed', ['valid'], { error: 'boom <x>' }),
    ]);
    const xml = junitXml('splitbrain test-all', cases);
    const parsed = parseXml(xml);
    expect(parsed.map((c) => c.name)).toEqual(['raft set kill seed 7', 'raft set kill seed 7', 'raft set kill seed 7']);
    expect(parsed[0].failure).toBeNull();
    expect(parsed[1].failure).toBe('invalid, expected valid: 1: lost <1> & "2" \'3\' \uFFFD ]]> (store /s/a&b)');
    expect(parsed[1].out).toContain('store: /s/a&b');
    expect(parsed[2].error).toMatch(/^crashed, expected valid: boom <x>/);
    expect(escapeXml('a<b>&"\'')).toBe('a&lt;b&gt;&amp;&quot;&apos;');
  });
});
