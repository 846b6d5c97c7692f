// test/own-db.test.ts — the README's "Testing your own system" example (examples/own-db/kv-server.mjs + db/example-kv.ts) end to end, and refusals of a DB that cannot run.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerClient, dockerReachable } from '../cluster/docker/engine.ts';
import { reservePorts } from '../cluster/ports.ts';
import { resolveOptions } from '../control/config.ts';
import { partsFactory } from '../control/runner/parts.ts';
import { runTest, type RunOutcome } from '../control/runner/run-test.ts';
import { exampleKvDb } from '../db/example-kv.ts';
import { readHistory } from '../history/read.ts';
import { rolesData } from '../reports/roles-data.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tempDir = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-own-db-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const dockerUp = await dockerReachable(dockerClient());

/** jepsen runs the CLI's `test` into a fresh store; `env` adds to its environment. */
async function jepsen(name: string, args: string[], env: Record<string, string> = {}) {
  const store = path.join(tempDir, name);
  const r = await execa('node', ['--import', 'tsx', path.join(repoRoot, 'control', 'cli.ts'), 'test', '--store', store, '--time-limit', '3', ...args], {
    cwd: repoRoot, reject: false, env: { FORCE_COLOR: '0', ...env },
  });
  return { ...r, storeExists: existsSync(store) };
}

/** runExample: `npm run jepsen -- --db example-kv --nodes 1 ...` through the CLI's own code (resolveOptions, partsFactory, runTest). */
async function runExample(name: string, flags: Record<string, string>): Promise<RunOutcome> {
  const opts = resolveOptions({ db: 'example-kv', nodes: '1', store: path.join(tempDir, name), nemesis: 'kill', nemesisInterval: '1.5', timeLimit: '5', recoveryS: '1', rate: '100', checkTimeout: '20', seed: '5', ...flags });
  return runTest(opts, partsFactory(opts));
}

async function expectValidUnderKills(outcome: RunOutcome): Promise<void> {
  expect(outcome.results.error).toBeUndefined();
  expect(outcome.valid).toBe(true);
  const history = await readHistory(outcome.run.historyJsonl);
  const kills = history.filter((op) => op.process === 'nemesis' && op.f === 'kill' && op.type === 'info' && op.error === undefined);
  expect(kills.length).toBeGreaterThan(0);
  expect(history.filter((op) => op.type === 'ok' && op.process !== 'nemesis').length).toBeGreaterThan(20);
  // Its own status says n1 is primary; killed, it did not answer: both are in the roles lane.
  const roles = rolesData(readFileSync(outcome.run.rolesJsonl, 'utf8'), 10);
  expect(roles.lanes.map((l) => l.node)).toEqual(['n1']);
  expect(roles.lanes[0].segments.map((s) => s.role)).toEqual(expect.arrayContaining(['primary', null]));
}

describe('a DB of your own: examples/own-db', () => {
  it('runs on the local cluster under kills and is linearizable (the server fsyncs before it answers)', async () => {
    await expectValidUnderKills(await runExample('local', {}));
  }, 90_000);

  it.skipIf(!dockerUp && !inCi)('runs on the docker cluster from an image built of its host files', async () => {
    await expectValidUnderKills(await runExample('docker', { cluster: 'docker' }));
  }, 150_000);

  it('its client answers fail only when the write certainly did not happen (nothing listens: refused)', async () => {
    const db = exampleKvDb({ nodeCount: 1, bugs: [], settings: {} });
    const [port] = await reservePorts(1);
    const client = await db.client({ node: 'n1', process: 0, clientId: 'p0', nodes: ['n1'], address: () => `127.0.0.1:${port}` });
    expect(await client.write('k', 1)).toMatchObject({ type: 'fail', error: 'ECONNREFUSED', node: 'n1' });
    expect(await client.read('k')).toMatchObject({ type: 'fail' });
  });
});

describe('a run the DB cannot do is refused at once: one line naming what is missing, exit 3, nothing started', () => {
  function expectRefused(r: Awaited<ReturnType<typeof jepsen>>, pattern: RegExp): void {
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr.trim()).toMatch(pattern);
    expect(r.storeExists).toBe(false);
  }

  it('its server program is missing (the lookup pointed at a path that does not exist)', async () => {
    const r = await jepsen('missing', ['--db', 'example-kv', '--nodes', '1', '--nemesis', 'kill'], { SPLITBRAIN_EXAMPLE_KV_SERVER_BIN: path.join(tempDir, 'no-such-server') });
    expectRefused(r, /^splitbrain: --db example-kv: example-kv-server not found \(looked at .*no-such-server \(from SPLITBRAIN_EXAMPLE_KV_SERVER_BIN\)\); install it: /);
  }, 60_000);

  it('a fault, a workload or a node count it does not support, and an unknown DB listing the registered ones', async () => {
    expectRefused(await jepsen('partition', ['--db', 'example-kv', '--nodes', '1']), /--nemesis: partition cannot be applied to --db example-kv on --cluster local \(one node: nothing to partition\); supported there: kill, pause, clock$/);
    expectRefused(await jepsen('bank', ['--db', 'example-kv', '--nodes', '1', '--nemesis', 'kill', '--workload', 'bank']), /--workload: --db example-kv has no client for bank; it supports register, set/);
    expectRefused(await jepsen('nodes', ['--db', 'example-kv', '--nemesis', 'kill']), /--nodes: --db example-kv runs one node .*pass --nodes 1$/);
    expectRefused(await jepsen('unknown', ['--db', 'mystery']), /^splitbrain: --db: expected one of naive, primary-backup, async-backup, viewservice, raft, paxos, single, gossip, example-kv.*got "mystery"$/);
  }, 120_000);

  it('--help lists every registered DB with what it is', async () => {
    const r = await execa('node', ['--import', 'tsx', path.join(repoRoot, 'control', 'cli.ts'), 'test', '--help'], { cwd: repoRoot, env: { FORCE_COLOR: '0', COLUMNS: '400' } });
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const name of ['naive', 'primary-backup', 'async-backup', 'viewservice', 'raft', 'single', 'example-kv']) expect(help).toContain(`${name} (`);
  }, 30_000);
});
