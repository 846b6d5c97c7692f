// test/run-validation.test.ts — bad --bug names and schedule files are refused before any cluster starts (#19 items 9, 10).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { createRsmDb } from '../db/rsm.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tempDir = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-validation-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

/** jepsenTest runs `test` on the local cluster (real nodes, were it to start) into a fresh store. */
async function jepsenTest(name: string, ...args: string[]) {
  const store = path.join(tempDir, name);
  const r = await execa('node', ['--import', 'tsx', path.join(repoRoot, 'control', 'cli.ts'), 'test', '--cluster', 'local', '--store', store, '--time-limit', '5', ...args], {
    cwd: repoRoot, reject: false, env: { FORCE_COLOR: '0' },
  });
  return { ...r, storeExists: existsSync(store) };
}

function expectRefusedUpFront(r: Awaited<ReturnType<typeof jepsenTest>>, pattern: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(3);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr.trim()).toMatch(pattern);
  // Refused before the run directory (and so before any node) exists.
  expect(r.storeExists).toBe(false);
}

describe('--bug is checked against the protocol before the cluster starts (#19 item 9)', () => {
  it('an unknown bug, and a raft-only bug on another protocol, exit 3 with one line naming --bug', async () => {
    const unknown = await jepsenTest('unknown-bug', '--bug', 'no-such-bug');
    expectRefusedUpFront(unknown, /^splitbrain: --bug: "no-such-bug" is no such bug; raft accepts no-fsync, no-persist-vote, commit-old-term, no-truncate, two-changes$/);
    const raftOnly = await jepsenTest('raft-only', '--db', 'naive', '--bug', 'commit-old-term');
    expectRefusedUpFront(raftOnly, /^splitbrain: --bug: "commit-old-term" is a bug of raft only; naive accepts no-fsync$/);
    const fromConfig = path.join(tempDir, 'bug.yaml');
    writeFileSync(fromConfig, 'db: primary-backup\nbug: [no-truncate]\n');
    expectRefusedUpFront(await jepsenTest('from-config', '--config', fromConfig), /--bug: "no-truncate" is a bug of raft only/);
  }, 60_000);
});

describe('--sim-react is refused where nothing would react', () => {
  it('outside --cluster sim, and on sim for a protocol whose messages it reads no events off, exit 3 with one line', async () => {
    expectRefusedUpFront(await jepsenTest('react-local', '--sim-react', 'revote-after-crash'), /^splitbrain: --sim-react: only with --cluster sim, got --cluster local$/);
    const paxos = await jepsenTest('react-paxos', '--cluster', 'sim', '--db', 'paxos', '--sim-react', 'revote-after-crash');
    expectRefusedUpFront(paxos, /^splitbrain: --sim-react: only for --db raft, not paxos \(which would ignore it\)$/);
  }, 60_000);

  it('a staged reaction (figure8, revote-after-crash) with another reaction beside it, exit 3 naming both', async () => {
    const both = await jepsenTest('react-both', '--cluster', 'sim', '--sim-react', 'revote-after-crash,crash-after-vote');
    expectRefusedUpFront(both, /^splitbrain: --sim-react: revote-after-crash stages its own cuts and crashes and runs alone, got revote-after-crash,crash-after-vote$/);
  }, 60_000);

  it('revote-after-crash on an even cluster (no cast: two majorities share two voters), exit 3 naming --nodes', async () => {
    const even = await jepsenTest('react-even', '--cluster', 'sim', '--nodes', '4', '--sim-react', 'revote-after-crash');
    expectRefusedUpFront(even, /^splitbrain: --sim-react: revote-after-crash needs an odd --nodes of 3 or more \(two majorities of an even cluster share two voters\), got 4$/);
  }, 60_000);
});

describe('schedule files are checked against the cluster before it starts (#19 item 10)', () => {
  function schedule(name: string, text: string): string {
    const file = path.join(tempDir, name);
    writeFileSync(file, text);
    return file;
  }

  it('an unknown node, vs outside viewservice, and a strobe with period 0 exit 3 naming file:line and key', async () => {
    const n9 = schedule('n9.yaml', '- at: 1s\n  do: partition\n  topology: one\n- at: 2s\n  do: kill\n  nodes: [n9]\n');
    expectRefusedUpFront(await jepsenTest('n9', '--nemesis-schedule', n9),
      new RegExp(`^splitbrain: --nemesis-schedule: ${n9}:6: entry 1, key nodes: unknown node "n9"; expected one of n1, n2, n3, primary$`));
    // n4 exists only when the cluster has 4 nodes: the check uses this run's --nodes.
    const n4 = schedule('n4.yaml', '- {at: 1s, do: pause, nodes: [n4]}\n');
    expectRefusedUpFront(await jepsenTest('n4', '--nemesis-schedule', n4), /n4\.yaml:1: entry 0, key nodes: unknown node "n4"/);
    const vs = schedule('vs.yaml', '- at: 1s\n  do: partition\n  grudge: {primary: [vs], vs: [primary]}\n');
    expectRefusedUpFront(await jepsenTest('vs', '--db', 'raft', '--nemesis-schedule', vs), /vs\.yaml:3: entry 0, key grudge: unknown node "vs"/);
    const strobe = schedule('strobe.yaml', '- at: 1s\n  do: clock-strobe\n  nodes: [n1]\n  ms: 200\n  period: 0ms\n  duration: 1s\n');
    expectRefusedUpFront(await jepsenTest('strobe', '--nemesis-schedule', strobe), /strobe\.yaml:5: entry 0, key period: expected a duration above 0/);
  }, 60_000);

  it('corrupt-file on the single view server, and replace on docker, are refused naming why; a replicated view server takes corrupt-file', async () => {
    const vs = schedule('corrupt-vs.yaml', '- {at: 1s, do: corrupt, nodes: [vs], mode: zero}\n- {at: 2s, do: restart-corrupted}\n');
    expectRefusedUpFront(await jepsenTest('corrupt-vs', '--db', 'viewservice', '--nemesis-schedule', vs),
      /corrupt-vs\.yaml:1: entry 0, key nodes: corrupt-file refused on vs: the single view server's table of views is the only copy .* restarts at view 0, free to reuse view numbers; use --viewserver-replicas 3/);
    // replace off --cluster local is refused naming why, before any container exists.
    expectRefusedUpFront(await jepsenTest('replace-docker', '--db', 'viewservice', '--cluster', 'docker', '--nemesis', 'replace'),
      /^splitbrain: --nemesis: replace cannot be applied to --db viewservice on --cluster docker \(replace empties a dead server's data directory and starts a fresh one in its slot, done on --cluster local only so far; .*\); supported there: /);
    // A replicated view server keeps its table on Raft: its nodes' files may be corrupted one at a time.
    expect(createRsmDb({ protocol: 'viewservice', nodeCount: 3, viewServerReplicas: 3 }).support.refusedOn).toBeUndefined();
  }, 60_000);
});
