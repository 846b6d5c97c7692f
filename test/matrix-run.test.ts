// test/matrix-run.test.ts — `test-all` end to end: a small copy of examples/nightly.yaml on real processes, with JUnit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../control/cli.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'matrix-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** SMALL_NIGHTLY: rows shaped as in examples/nightly.yaml, one expected valid, two expected invalid. */
const SMALL_NIGHTLY = `
defaults: { nemesis-interval: 1, recovery-s: 1, rate: 50, concurrency: 5 }
runs:
  - db: raft
    workload: counter
    nemesis: partition
    seeds: 3
    expect: valid
  - db: async-backup
    workload: set
    nemesis: kill
    seeds: 1
    expect: invalid
    options: { nodes: 2, rate: 200, nemesis-schedule: ${path.join(ROOT, 'examples', 'async-backup-kill-primary.yaml')} }
  - db: naive
    workload: bank
    nemesis: none
    seeds: 6
    expect: invalid
    options: { nodes: 2, partition-clients: true, concurrency: 20, rate: 0 }
`;

describe('test-all on LocalCluster', () => {
  it('runs every row, each gets its expected verdict, exit 0, and the JUnit file parses back', async () => {
    const config = path.join(dir, 'small-nightly.yaml');
    const junit = path.join(dir, 'junit.xml');
    writeFileSync(config, SMALL_NIGHTLY);
    const out: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await main(['test-all', '--config', config, '--time-limit', '5', '--store', path.join(dir, 'store'), '--junit', junit]);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      process.exitCode = undefined;
    }
    const text = out.join('');
    const rows = text.split('\n').filter((line) => /^(raft|async-backup|naive)\s/.test(line));
    // db, workload, nemesis, seed, verdict, expected, pass? of each row (the whole row on a mismatch).
    expect(rows.map((row) => row.split(/\s+/).slice(0, 7).join(' ')), text).toEqual([
      'raft counter partition 3 valid valid yes',
      'async-backup set kill 1 invalid invalid yes',
      'naive bank none 6 invalid invalid yes',
    ]);
    expect(text).toMatch(/3\/3 runs got their expected verdict/);
    expect(code).toBe(0);
    expect(rows[0]).toMatch(/^raft\s+counter\s+partition\s+3\s+valid\s+valid\s+yes\s+\d+\s+0\s+[\d.]+s\s+\S+raft-counter-partition\/\d{8}T/);
    expect(rows[1]).toMatch(/^async-backup\s+set\s+kill\s+1\s+invalid\s+invalid\s+yes\s+\d+\s+1: lost \d+ element/);
    expect(rows[2]).toMatch(/^naive\s+bank\s+none\s+6\s+invalid\s+invalid\s+yes\s+\d+\s+1: final reads disagree/);
    const script = 'import sys, json, xml.etree.ElementTree as ET\nr = ET.parse(sys.argv[1]).getroot()\n'
      + 'print(json.dumps([[c.get("name"), c.find("failure") is not None, c.find("system-out").text] for c in r.iter("testcase")] + [r.get("tests"), r.get("failures")]))';
    const parsed = JSON.parse(execFileSync('python3', ['-c', script, junit]).toString()) as unknown[];
    expect(parsed.slice(0, 3).map((c) => (c as unknown[])[0])).toEqual(['raft counter partition seed 3', 'async-backup set kill seed 1', 'naive bank none seed 6']);
    expect(parsed.slice(3)).toEqual(['3', '0']);
    expect((parsed[1] as string[])[2]).toMatch(/anomaly: lost \d+ element/);
    expect(readFileSync(junit, 'utf8')).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    // Three runs of 5 s plus setup, final reads, and a check and report in each run's worker thread.
  }, 90_000);
});
