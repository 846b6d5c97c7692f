// test/cli-hostile.test.ts — issue 19: hostile input to `check`, the store and `serve` gets one
// line and the right exit code, never a wrong verdict or a stack trace. Real processes.
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../control/cli.ts';
import { runVerdict } from '../control/runner/verdict.ts';
import { writeFixtureRun } from './support/report-fixture.ts';
import { startServer } from '../reports/serve.ts';

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
    // The whole file is read before pairing errors are reported, so a bad line wins over an earlier pairing error.
    ['bad line after bad pairing', [{ ...w, type: 'ok' }, { ...w, type: 'done' }], 2, /expected "type" to be one of invoke\|ok\|fail\|info, got "done"/],
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

/** withTmpfs mounts a small tmpfs (root only) for one test and always unmounts it. */
async function withTmpfs<T>(name: string, options: string, body: (dir: string) => Promise<T>): Promise<T | undefined> {
  if (process.getuid?.() !== 0) {
    if (process.env.CI !== undefined) throw new Error('this test needs root to mount a tmpfs');
    console.log(`skipped: mounting a tmpfs for ${name} needs root`);
    return undefined;
  }
  const dir = path.join(tempDir, name);
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  try {
    return await body(dir);
  } finally {
    execFileSync('umount', [dir]);
  }
}

/** fakeRun runs a short `test` on the in-memory cluster into `store`, in this process. */
function fakeRun(store: string, ...flags: string[]) {
  return runInProcess(['test', '--cluster', 'fake', '--store', store, '--time-limit', '0.5', '--rate', '100', ...flags]);
}

describe('issue 19.5: --name cannot leave the store', () => {
  it('refuses .., ., separators, hidden names and "latest"; writes nothing', async () => {
    const parent = path.join(tempDir, 'names');
    mkdirSync(parent);
    for (const name of ['..', '.', '../escape', 'a/b', '.hidden', 'latest', 'a\\b']) {
      const r = await fakeRun(path.join(parent, 'store'), '--name', name);
      expectOneLineError(r, /^splitbrain: --name: expected a name of letters, digits and \._\+- that starts with a letter or digit/);
    }
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe('issue 19.6: a role is not a --db, and a run without one success is not evidence', () => {
  it('--db viewserver is refused, naming the role', async () => {
    const r = await fakeRun(path.join(tempDir, 'role-store'), '--db', 'viewserver');
    expectOneLineError(r, /^splitbrain: --db: expected one of .*viewservice.* \(viewserver is a role of viewservice, which starts it\), got "viewserver"/);
  });

  it('a run in which every op failed is unknown with the reason, in test and in check RUN-DIR', async () => {
    // The in-memory client refuses every txn: each list-append op fails, and Elle alone would say valid.
    const store = path.join(tempDir, 'no-evidence');
    const r = await fakeRun(store, '--workload', 'list-append');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/no evidence: no client operation succeeded \(\d+ invoked: \d+ failed, 0 info, 0 pending\)/);
    const results = JSON.parse(readFileSync(path.join(store, 'latest', 'results.json'), 'utf8')) as { valid: unknown; unknownReason: string; checker: { valid: unknown } };
    expect(results.checker.valid).toBe(true);
    expect(results.valid).toBe('unknown');
    expect(results.unknownReason).toMatch(/^no evidence: no client operation succeeded/);
    const recheck = await runInProcess(['check', path.join(store, 'latest')]);
    expect(recheck.exitCode).toBe(2);
    expect(recheck.stdout).toMatch(/^unknown [^\n]*: no evidence: no client operation succeeded/);
  });

  it('runVerdict: no success makes valid unknown, but an anomaly still counts', () => {
    const stats = (ok: number) => ({ all: { count: 3, ok, fail: 3 - ok, info: 0, pending: 0 }, byF: {}, latencyByF: {} });
    expect(runVerdict(true, stats(0))).toEqual({ valid: 'unknown', unknownReason: 'no evidence: no client operation succeeded (3 invoked: 3 failed, 0 info, 0 pending)' });
    expect(runVerdict(false, stats(0))).toEqual({ valid: false });
    expect(runVerdict(true, stats(1))).toEqual({ valid: true });
  });
});

describe('issue 19.11: test-all checks --junit before the matrix runs', () => {
  it('--junit into a missing directory is one line, exit 3, and no run starts', async () => {
    const matrix = path.join(tempDir, 'matrix.yaml');
    const store = path.join(tempDir, 'matrix-store');
    writeFileSync(matrix, `defaults: { time-limit: 0.5, cluster: fake, store: ${store} }\nruns:\n  - db: raft\n    workload: register\n    nemesis: none\n    seeds: [1]\n    expect: valid\n`);
    const r = await runInProcess(['test-all', '--config', matrix, '--junit', '/nonexistent/j.xml']);
    expectOneLineError(r, /^splitbrain: --junit \/nonexistent\/j\.xml: expected a writable file: directory \/nonexistent does not exist/);
    expect(existsSync(store)).toBe(false);
  });
});

describe('issue 19.12: file errors are one line naming the flag', () => {
  it('check --out into a missing directory or a read-only file system: exit 3 before checking', async () => {
    const r = await runInProcess(['check', badHistory, '--model', 'cas-register', '--out', '/nonexistent/out.json']);
    expectOneLineError(r, /^splitbrain: --out \/nonexistent\/out\.json: expected a writable file: directory \/nonexistent does not exist/);
    await withTmpfs('ro', 'size=64k,ro', async (ro) => {
      const out = path.join(ro, 'out.json');
      expectOneLineError(await runInProcess(['check', badHistory, '--model', 'cas-register', '--out', out]), /--out .*out\.json: expected a writable file: read-only file system/);
      expectOneLineError(await fakeRun(path.join(ro, 'store')), /^splitbrain: --store .*: expected a writable directory: read-only file system/);
    });
  });

  it('check RUN-DIR with a corrupt results.json says so before checking and leaves it alone', async () => {
    const store = path.join(tempDir, 'corrupt-store');
    expect((await fakeRun(store)).exitCode).toBe(0);
    const results = path.join(store, 'latest', 'results.json');
    writeFileSync(results, '{"valid": tru');
    const r = await runInProcess(['check', path.join(store, 'latest')]);
    expectOneLineError(r, /results\.json: expected a JSON object \(.*\); move it away to re-check from scratch/);
    expect(readFileSync(results, 'utf8')).toBe('{"valid": tru');
  });

  it('a disk full at the start of a run leaves no 0-byte test.json and no latest link', async () => {
    await withTmpfs('full', 'size=64k', async (full) => {
      const store = path.join(full, 'store');
      mkdirSync(store);
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${path.join(full, 'fill')}`, 'bs=4k'], { stdio: 'ignore' });
      } catch {
        // dd ends with ENOSPC: the disk is full, which is the point.
      }
      const r = await fakeRun(store);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/^splitbrain: --store .*: cannot start a run there: no space left on device$/m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(path.join(store, 'latest'))).toBe(false);
      expect(readdirSync(path.join(store, 'raft-register-partition'))).toEqual([]);
    });
  });
});

describe('issue 19.7: serve resolves real paths before every read and write', () => {
  it('never renders or writes report.html through a symlink that leaves the store', async () => {
    const root = path.join(tempDir, 'serve-links');
    const store = path.join(root, 'store');
    const outside = path.join(root, 'outside-run');
    await writeFixtureRun(outside);
    rmSync(path.join(outside, 'report.html'), { force: true });
    mkdirSync(path.join(store, 'inside-test', 'run-1'), { recursive: true });
    // A run dir of the store that links out, and run files that link out.
    symlinkSync(outside, path.join(store, 'inside-test', 'linked-run'));
    writeFileSync(path.join(root, 'secret.jsonl'), '{"index":0,"type":"invoke","process":0,"f":"write","value":"top secret"}\n');
    symlinkSync(path.join(root, 'secret.jsonl'), path.join(store, 'inside-test', 'run-1', 'history.jsonl'));
    symlinkSync(path.join(root, 'written-outside.html'), path.join(store, 'inside-test', 'run-1', 'report.html'));
    const server = await startServer({ store });
    try {
      const linked = await fetch(`${server.url}runs/inside-test/linked-run/report.html`);
      expect(linked.status).toBe(403);
      expect(existsSync(path.join(outside, 'report.html'))).toBe(false);
      // report.html there is a dangling link out of the store: it is not written through, nor read.
      const dangling = await fetch(`${server.url}runs/inside-test/run-1/report.html`);
      expect(dangling.status).toBe(403);
      expect(existsSync(path.join(root, 'written-outside.html'))).toBe(false);
      // Rendered without following the history link out: the secret is not in the report.
      rmSync(path.join(store, 'inside-test', 'run-1', 'report.html'));
      const rendered = await fetch(`${server.url}runs/inside-test/run-1/report.html`);
      expect(rendered.status).toBe(200);
      const html = await rendered.text();
      expect(html).not.toContain('top secret');
      expect(html).toContain('history.jsonl links outside the store: not read');
    } finally {
      await server.close();
    }
  });
});

describe('issue 19.12: serve port, host and store errors are one line naming the flag', () => {
  it('a port in use, a host that is no address, a store that is a file: exit 3', async () => {
    const store = path.join(tempDir, 'serve-store');
    mkdirSync(store);
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = String((busy.address() as net.AddressInfo).port);
    try {
      expectOneLineError(await runInProcess(['serve', '--store', store, '--port', port]), new RegExp(`^splitbrain: serve: --port ${port}: expected a free port: address already in use`));
    } finally {
      busy.close();
    }
    expectOneLineError(await runInProcess(['serve', '--store', store, '--host', '999.1.1.1', '--port', '0']), /^splitbrain: serve: --host 999\.1\.1\.1: expected an address of this machine: no such host/);
    expectOneLineError(await runInProcess(['serve', '--store', '/etc/passwd', '--port', '0']), /^splitbrain: --store \/etc\/passwd: expected a readable directory: it is not a directory/);
  });
});

describe('issue 19.8: a disk that fills mid-run', () => {
  it('stops the run, keeps whole lines, checks that prefix and says it was cut short: unknown, exit 2', async () => {
    await withTmpfs('filling', 'size=200k', async (disk) => {
      const store = path.join(disk, 'store');
      // Unlimited rate: ~200 bytes an op fill 200 KiB in well under the 20 s time limit.
      const r = await runInProcess(['test', '--cluster', 'fake', '--store', store, '--time-limit', '20', '--rate', '0']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/history\.jsonl: write failed \(no space left on device\): stopping the run/);
      expect(r.stderr).toMatch(/cut short: history\.jsonl could not be written \(no space left on device\) after \d+ ops; the \d+ ops on disk were checked/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toMatch(/: unknown /);
      const history = readFileSync(path.join(store, 'latest', 'history.jsonl'), 'utf8');
      expect(history.length).toBeGreaterThan(100_000);
      expect(history.endsWith('\n')).toBe(true);
      // The prefix is checkable as it is.
      const check = await runInProcess(['check', path.join(store, 'latest', 'history.jsonl'), '--model', 'multi-register']);
      expect(check.stderr).toBe('');
      expect(check.exitCode).toBe(0);
    });
  });
});
