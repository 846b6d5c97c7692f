// test/runner-config.test.ts — options: defaults, --config YAML, flag precedence, errors that name the key.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, reproduceCommand, resolveOptions } from '../control/config.ts';
import { UsageError } from '../control/exit-codes.ts';
import { formatProgress, ProgressLine, RunProgress } from '../control/progress.ts';
import { tempStore } from './runner-support.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

function yamlFile(text: string): string {
  const file = path.join(tempStore(), 'test.yaml');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('resolveOptions', () => {
  it('defaults to raft, register, partition, 30 s, concurrency 5, with a random seed', () => {
    const opts = resolveOptions({}, () => 1234);
    expect(opts).toMatchObject({ db: 'raft', workload: 'register', nemesis: ['partition'], timeLimitS: 30, concurrency: 5, seed: 1234 });
    expect(opts.name).toBe('raft-register-partition');
  });

  it('parses flags as commander gives them (strings, lists, repeatable --bug)', () => {
    const opts = resolveOptions({ db: 'raft', nemesis: 'partition,kill', timeLimit: '2.5', concurrency: '7', bug: ['no-truncate', 'no-fsync'], partitionClients: true, seed: '9' });
    expect(opts).toMatchObject({ db: 'raft', nemesis: ['partition', 'kill'], timeLimitS: 2.5, concurrency: 7, bugs: ['no-truncate', 'no-fsync'], partitionClients: true, seed: 9 });
    expect(resolveOptions({ nemesis: 'none', seed: '1' }).nemesis).toEqual([]);
  });

  it('reads --config YAML; flags override the file', () => {
    const file = yamlFile('db: viewservice\nnemesis: [partition, pause]\ntime-limit: 12\nconcurrency: 3\nseed: 5\n');
    const opts = resolveOptions({ config: file, concurrency: '4' });
    expect(opts).toMatchObject({ db: 'viewservice', nemesis: ['partition', 'pause'], timeLimitS: 12, concurrency: 4, seed: 5 });
    expect(opts.rate).toBe(DEFAULTS.rate);
  });

  it('names the flag and what was expected', () => {
    expect(usageError(() => resolveOptions({ concurrency: 'many' }))).toBe('--concurrency: expected an integer in [1, 1000], got "many"');
    expect(usageError(() => resolveOptions({ timeLimit: '-1' }))).toMatch(/^--time-limit: expected a number of seconds/);
    expect(usageError(() => resolveOptions({ db: 'mystery' }))).toMatch(/^--db: expected one of .*raft.*paxos.*, got "mystery"$/);
    expect(usageError(() => resolveOptions({ nemesis: 'partition,meteor' }))).toMatch(/^--nemesis: expected a comma-separated list of partition, kill, pause, clock/);
  });

  it('refuses a flag of one --db given to another, from flags or from a config file, instead of ignoring it', () => {
    expect(usageError(() => resolveOptions({ db: 'naive', reads: 'lease' }))).toBe('--reads: only for --db raft or paxos, not naive (which would ignore it)');
    expect(usageError(() => resolveOptions({ db: 'raft', etcdReads: 'serializable' }))).toBe('--etcd-reads: only for --db etcd, not raft (which would ignore it)');
    expect(usageError(() => resolveOptions({ db: 'etcd', isolation: 'serializable' }))).toMatch(/^--isolation: only for --db postgres, not etcd/);
    expect(usageError(() => resolveOptions({ db: 'redis-sentinel', synchronousCommit: 'off' }))).toMatch(/^--synchronous-commit: only for --db postgres, not redis-sentinel/);
    expect(usageError(() => resolveOptions({ db: 'naive', viewserverReplicas: '3' }))).toMatch(/^--viewserver-replicas: only for --db viewservice, not naive/);
    expect(usageError(() => resolveOptions({ config: yamlFile('db: single\nreads: readindex\n') }))).toMatch(/^--reads: only for --db raft or paxos, not single/);
    // Where it belongs, it is taken.
    expect(resolveOptions({ db: 'postgres', isolation: 'serializable', synchronousCommit: 'off', seed: '1' })).toMatchObject({ isolation: 'serializable', synchronousCommit: 'off' });
    expect(resolveOptions({ db: 'raft', reads: 'lease', seed: '1' }).reads).toBe('lease');
  });

  it('names the YAML file and key and what was expected', () => {
    const bad = yamlFile('time-limit: soon\n');
    expect(usageError(() => resolveOptions({ config: bad }))).toBe(`${bad}: key "time-limit": expected a number of seconds in [0.01, 86400], got "soon"`);
    const unknown = yamlFile('timelimit: 3\n');
    expect(usageError(() => resolveOptions({ config: unknown }))).toMatch(new RegExp(`^${unknown}: unknown key "timelimit"; expected one of .*time-limit`));
    const list = yamlFile('- db\n');
    expect(usageError(() => resolveOptions({ config: list }))).toMatch(/expected a mapping of option names to values/);
    expect(usageError(() => resolveOptions({ config: '/nonexistent/x.yaml' }))).toMatch(/^--config: cannot read \/nonexistent\/x.yaml: ENOENT/);
    const syntax = yamlFile('db: [raft\n');
    expect(usageError(() => resolveOptions({ config: syntax }))).toMatch(/not valid YAML/);
  });

  it('reproduceCommand round-trips through resolveOptions', () => {
    const opts = resolveOptions({ db: 'raft', nemesis: 'kill', bug: ['commit-old-term'], partitionClients: true, seed: '77', reads: 'lease' });
    const args = reproduceCommand(opts).split(' ').slice(5);
    const flags: Record<string, unknown> = {};
    for (let i = 0; i < args.length; i += 1) {
      const name = args[i].slice(2).replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
      if (name === 'partitionClients') flags[name] = true;
      else if (name === 'bug') flags.bug = [...((flags.bug as string[]) ?? []), args[++i]];
      else flags[name] = args[++i];
    }
    expect(resolveOptions(flags)).toEqual(opts);
  });
});

describe('example configs', () => {
  it('every examples/test-*.yaml resolves, and the lecture schedule file is accepted by --nemesis-schedule', () => {
    const dir = path.join(ROOT, 'examples');
    const files = readdirSync(dir).filter((f) => /^test-.*\.yaml$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const opts = resolveOptions({ config: path.join(dir, file) });
      expect(file).toBe(`test-${opts.db}-${opts.workload}.yaml`);
    }
    const schedule = path.join(dir, 'primary-cut-from-viewserver.yaml');
    const scripted = resolveOptions({ nemesisSchedule: schedule, db: 'viewservice', seed: '1' });
    expect(scripted.nemesisSchedule).toBe(schedule);
    expect(scripted.name).toBe('viewservice-register-primary-cut-from-viewserver');
    const bad = yamlFile('- at: soon\n  do: partition\n');
    expect(usageError(() => resolveOptions({ nemesisSchedule: bad }))).toMatch(/^--nemesis-schedule: .*at/);
  });
});

describe('the test command exits 3 on bad arguments', () => {
  it('prints one line naming the flag', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'control/cli.ts', 'test', '--rate', 'fast'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(3);
    expect(result.stderr.trim()).toBe('splitbrain: --rate: expected a number of ops per second in [0, 1e7] (0: unlimited), got "fast"');
  });
});

describe('progress', () => {
  const snapshot = { phase: 'main', elapsedMs: 1500, remainingMs: 28_500, tally: { invoke: 10, ok: 7, fail: 1, info: 1 }, faults: ['partition'] };

  it('formats elapsed, remaining, counts and faults', () => {
    expect(formatProgress(snapshot)).toBe('[main] [#-------------------] 1.5s elapsed, 28.5s left | 10 ops: 7 ok, 1 fail, 1 info | faults: partition');
    expect(formatProgress({ ...snapshot, phase: 'recovery', elapsedMs: 31_000, remainingMs: 0 })).toContain('[recovery] [####################] 31.0s');
  });

  it('cuts a redrawn line to the terminal width so it never wraps, and throttles offers', () => {
    const out: string[] = [];
    let nowMs = 0;
    const line = new ProgressLine({ isTTY: true, columns: 40, write: (t: string) => out.push(t) }, () => nowMs);
    line.offer(() => 'work that ends within one interval prints nothing');
    nowMs = 300;
    line.offer(() => formatProgress(snapshot));
    nowMs = 400;
    line.offer(() => 'too soon');
    nowMs = 600;
    line.offer(() => 'short');
    expect(out).toEqual([`\r\x1b[K${formatProgress(snapshot).slice(0, 38)}…`, '\r\x1b[Kshort']);
  });

  it('redraws one line on a TTY and writes plain lines otherwise', () => {
    const tty: string[] = [];
    const ttyProgress = new RunProgress(() => snapshot, { isTTY: true, write: (t: string) => tty.push(t) });
    ttyProgress.start();
    ttyProgress.draw();
    ttyProgress.stop();
    expect(tty[0].startsWith('\r\x1b[K[main]')).toBe(true);
    expect(tty.at(-1)).toBe('\n');
    const plain: string[] = [];
    new RunProgress(() => snapshot, { isTTY: false, write: (t: string) => plain.push(t) }).draw();
    expect(plain).toEqual([`${formatProgress(snapshot)}\n`]);
  });
});
