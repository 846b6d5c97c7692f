// test/cli-hostile.test.ts — issue 19: hostile input to `check`, the store and `serve` gets one
// line and the right exit code, never a wrong verdict or a stack trace. Real processes.
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../control/cli.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repoRoot, 'control', 'cli.ts');
const badHistory = path.join(repoRoot, 'examples', 'histories', 'cas-register-bad.jsonl');
const tempDir = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-hostile-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

async function jepsen(args: string[], opts: Options = {}) {
  return execa('node', ['--import', 'tsx', cli, ...args], {
    cwd: repoRoot, reject: false, env: { FORCE_COLOR: '0' }, timeout: 60_000, ...opts,
  });
}

/** runInProcess runs the CLI's main() here (fast), capturing what it writes and its exit code. */
async function runInProcess(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => { stdout += String(chunk); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => { stderr += String(chunk); return true; });
  try {
    return { exitCode: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

/** lines writes JSONL ops (index = position unless given) into a temp file and returns its path. */
function historyFile(name: string, ops: object[]): string {
  const file = path.join(tempDir, name);
  writeFileSync(file, ops.map((op, index) => JSON.stringify({ index, ...op })).join('\n') + '\n');
  return file;
}

/** expectOneLineError: exit 3 and a single stderr line matching `pattern`, no stack trace. */
function expectOneLineError(r: { exitCode?: number; stderr: unknown }, pattern: RegExp): void {
  const stderr = String(r.stderr);
  expect(stderr).toMatch(pattern);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(r.exitCode).toBe(3);
}

describe('issue 19.1: a history from a pipe is read once', () => {
  it('stdin (- and /dev/stdin), <(…) and a FIFO all give the file\'s verdict: NOT linearizable', async () => {
    const r0 = await jepsen(['check', '-', '--model', 'cas-register'], { inputFile: badHistory });
    expect(r0.stdout).toMatch(/^NOT linearizable .*5 ops/);
    expect(r0.exitCode).toBe(1);
    const check = `node --import tsx ${cli} check`;
    for (const shell of [`cat ${badHistory} | ${check} /dev/stdin`, `${check} <(cat ${badHistory})`]) {
      const r = await execa('bash', ['-c', `${shell} --model cas-register`], {
        cwd: repoRoot, reject: false, env: { FORCE_COLOR: '0' },
      });
      expect(r.stdout).toMatch(/^NOT linearizable .*5 ops/);
      expect(r.exitCode).toBe(1);
    }
    const fifo = path.join(tempDir, 'history.fifo');
    execFileSync('mkfifo', [fifo]);
    const checking = jepsen(['check', fifo, '--model', 'cas-register'], { timeout: 30_000 });
    const writer = createWriteStream(fifo);
    writer.end(readFileSync(badHistory));
    const r = await checking;
    expect(r.timedOut).toBe(false);
    expect(r.stdout).toMatch(/^NOT linearizable .*5 ops/);
    expect(r.exitCode).toBe(1);
  });

  it('an EDN history on stdin is detected from what was read', async () => {
    const edn = path.join(repoRoot, 'examples', 'histories', 'knossos-cas-register.edn');
    const r = await jepsen(['check', '-', '--model', 'cas-register', '--init', '0'], { inputFile: edn });
    expect(r.stdout).toMatch(/^linearizable .*5 ops/);
    expect(r.exitCode).toBe(0);
  });
});

describe('issue 19.3: malformed pairing or model input is FILE:LINE, exit 3', () => {
  const w = { process: 0, f: 'write', value: 1 };
  const cases: [string, object[], number, RegExp][] = [
    ['ok without invoke', [{ ...w, type: 'ok' }], 1, /expected an invoke by process 0 before each of its completions/],
    ['duplicate completion', [{ ...w, type: 'invoke' }, { ...w, type: 'ok' }, { ...w, type: 'ok' }], 3, /expected .*, got ok write with nothing pending/],
    ['double invoke', [{ ...w, type: 'invoke' }, { ...w, type: 'invoke' }], 2, /expected a completion of process 0's write/],
    ['f differs', [{ ...w, type: 'invoke' }, { ...w, type: 'ok', f: 'read' }], 2, /expected "f" "write", as invoked at index 0, got "read"/],
    ['repeated index', [{ ...w, type: 'invoke', index: 4 }, { ...w, type: 'ok', index: 4 }], 2, /expected "index" greater than the previous op's 4, got 4/],
    ['unknown f', [{ ...w, type: 'invoke' }, { ...w, type: 'ok' }, { ...w, type: 'invoke', f: 'frob' }, { ...w, type: 'ok', f: 'frob' }], 3, /expected "f" to be one of read, write, cas \(model cas-register\), got "frob"/],
    ['cas not a pair', [{ ...w, type: 'invoke', f: 'cas', value: 5 }, { ...w, type: 'ok', f: 'cas', value: 5 }], 1, /expected a cas "value" \[expected, new\] \(model cas-register\), got 5/],
  ];
  it.each(cases)('%s', async (name, ops, line, pattern) => {
    const file = historyFile(`${name.replaceAll(' ', '-')}.jsonl`, ops);
    const r = await runInProcess(['check', file, '--model', 'cas-register']);
    expectOneLineError(r, new RegExp(`^splitbrain: ${file}:${line}: ${pattern.source}`));
  });

  it('a 20,000-level nested value is refused by check and report; 1,000 levels still work', async () => {
    const runDir = path.join(tempDir, 'deep-run');
    mkdirSync(runDir);
    const file = path.join(runDir, 'history.jsonl');
    // Written as text: JSON.stringify itself overflows on such a value.
    const writeDeep = (depth: number) => {
      const value = `${'['.repeat(depth)}${']'.repeat(depth)}`;
      const line = (index: number, type: string) => `{"index":${index},"type":"${type}","process":0,"f":"write","value":${value}}`;
      writeFileSync(file, `${line(0, 'invoke')}\n${line(1, 'ok')}\n`);
    };
    writeDeep(20_000);
    const refused = new RegExp(`^splitbrain: ${file}:1: expected a value nested at most 1000 levels deep`);
    expectOneLineError(await jepsen(['check', file, '--model', 'cas-register']), refused);
    expectOneLineError(await jepsen(['report', runDir]), refused);
    writeDeep(1000);
    expect((await runInProcess(['check', file, '--model', 'cas-register'])).exitCode).toBe(0);
    expect((await runInProcess(['report', runDir])).exitCode).toBe(0);
  });
});
