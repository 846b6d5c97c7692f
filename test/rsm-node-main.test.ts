// test/rsm-node-main.test.ts — the node program's command line, ready line and clean shutdown.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { coreOptions, parseNodeArgs } from '../rsm/node/main.ts';
import { parseRaftOptions } from '../rsm/raft/options.ts';
import { REPO_ROOT, killAllProcs, startNodeProc } from './support/cluster-procs.ts';

afterAll(killAllProcs);

const base = ['--id', 'n1', '--listen', '127.0.0.1:0', '--peer-listen', '127.0.0.1:0', '--data-dir', '/tmp/x'];

describe('parseNodeArgs', () => {
  it('parses a full viewservice command line', () => {
    const a = parseNodeArgs([...base, '--protocol', 'viewservice', '--peers', 'n2=127.0.0.1:9002,n3=127.0.0.1:9003',
      '--viewserver', 'vs=127.0.0.1:9000', '--tick-ms', '5', '--reads', 'lease', '--bug', 'no-fsync',
      '--option', 'pingIntervalTicks=4', '--seed', '7']);
    expect(a).toMatchObject({ id: 'n1', protocol: 'viewservice', tickMs: 5, fsync: 'never', seed: 7 });
    expect([...a.viewServers]).toEqual([['vs', '127.0.0.1:9000']]);
    expect([...a.peers]).toEqual([['n2', '127.0.0.1:9002'], ['n3', '127.0.0.1:9003']]);
    expect(a.options).toEqual({ pingIntervalTicks: '4', reads: 'lease' });
    expect([...a.bugs]).toEqual(['no-fsync']);
    expect(parseNodeArgs([...base, '--role', 'viewserver']).protocol).toBe('viewserver');
  });

  it('takes a replicated view server\'s group; a view-server node must list itself in it', () => {
    const group = 'vs1=127.0.0.1:9101,vs2=127.0.0.1:9102,vs3=127.0.0.1:9103';
    const a = parseNodeArgs([...base, '--protocol', 'viewservice', '--viewserver', group]);
    expect([...a.viewServers.keys()]).toEqual(['vs1', 'vs2', 'vs3']);
    expect(() => parseNodeArgs([...base, '--role', 'viewserver', '--viewserver', group])).toThrow(/--viewserver: a view-server node lists its group, itself included; "n1" is missing/);
  });

  it('hands --tick-ms to the core as option tickMs, so the raft lease is sized in real ms', () => {
    const a = parseNodeArgs([...base, '--protocol', 'raft', '--tick-ms', '4', '--reads', 'lease']);
    expect(coreOptions(a)).toEqual({ tickMs: '4', reads: 'lease' });
    // Default election timeout 15..30 ticks: the lease is 0.9 × 15 ticks × 4 ms.
    expect(parseRaftOptions(coreOptions(a)).leaseMs).toBe(54);
    const b = parseNodeArgs([...base, '--protocol', 'raft', '--tick-ms', '4', '--option', 'tickMs=20']);
    expect(coreOptions(b).tickMs).toBe('20');
  });

  it.each([
    [['--protocol', 'nope'], '--protocol'],
    [['--protocol', 'single', '--tick-ms', '0'], '--tick-ms'],
    [['--protocol', 'single', '--fsync', 'sometimes'], '--fsync'],
    [['--protocol', 'single', '--reads', 'psychic'], '--reads'],
    [['--protocol', 'single', '--peers', 'n2'], '--peers'],
    [['--protocol', 'single', '--option', 'x'], '--option'],
    [['--protocol', 'viewservice'], '--viewserver'],
    [['--protocol', 'raft', '--bug', 'no-such-bug'], '--bug'],
    [['--protocol', 'single', '--bug', 'no-truncate'], '--bug'],
    [[], '--protocol'],
  ])('rejects %j naming %s', (extra, flag) => {
    expect(() => parseNodeArgs([...base, ...extra])).toThrow(flag);
  });
});

describe('node process', () => {
  it('exits 3 with one line naming a bad flag', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'rsm/node/main.ts', ...base, '--protocol', 'single', '--listen', 'nowhere'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--listen');
  });

  it('reports the ports it picked in the ready line and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rsm-main-'));
    try {
      const proc = await startNodeProc('n1', [...base.slice(0, -1), dir, '--protocol', 'single']);
      expect(proc.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      const ready = proc.stderr.find((l) => l.includes(' ready '))!;
      expect(ready).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z n1 ready id=n1 protocol=single http=127\.0\.0\.1:\d+ peer=127\.0\.0\.1:\d+$/);
      expect((await fetch(`${proc.httpUrl}/status`)).status).toBe(200);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
