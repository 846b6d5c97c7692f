// test/e2e-db-disk-faults.test.ts — the disk faults on systems we did not write (etcd, postgres, redis-sentinel), locally:
// what each keeps through a whole-cluster power failure (lazyfs drops what was not fsynced), what a
// damaged etcd key space does, and that a run leaves no FUSE mount and no data directory behind.
// Needs root, /dev/fuse, etcd-server, postgresql-15, redis-server and redis-sentinel (.ci/run installs them).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../control/config.ts';
import { partsFactory } from '../control/runner/parts.ts';
import { runTest, type RunOutcome } from '../control/runner/run-test.ts';
import { readHistory } from '../history/read.ts';
import type { ElleWorkloadResult } from '../workloads/elle-check.ts';
import { expectWellFormed, tempStore } from './runner-support.ts';
import { expectHealed, nemesisCompletions, nemesisValues, nodeLogs } from './support/disk-fault-runs.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
/** Where each system names its data directory in its node log (expectHealed checks it is gone). */
const ETCD_DATA_DIR = /"data-dir":"([^"]+)"/;
const PG_DATA_DIR = /creating directory (\S+) \.\.\. ok/;
/** The set checker's words for acknowledged adds that no final read shows. */
const LOST_RE = /^lost \d+ element\(s\)( \([^)]*\))?: \d/m;

/** run: one real run of flags under an examples/ schedule on LocalCluster, as the CLI would. */
async function run(schedule: string, flags: Record<string, unknown>): Promise<RunOutcome> {
  const opts = resolveOptions({
    nemesisSchedule: path.join(ROOT, 'examples', schedule), store: tempStore(), checkTimeout: '20', seed: '3', recoveryS: '2', ...flags,
  });
  const outcome = await runTest(opts, partsFactory(opts));
  expect(outcome.results.error).toBeUndefined();
  expectWellFormed(await readHistory(outcome.run.historyJsonl));
  return outcome;
}

type Lost = { node: string; undone: number; unsyncedBytes: number };

/** crashLosses: per crash op, what each node's disk took back. */
async function crashLosses(outcome: RunOutcome): Promise<Lost[][]> {
  return (await nemesisValues(outcome, 'crash')).map((v) => v.lost as Lost[]);
}

describe('etcd under disk faults (local)', () => {
  it('keeps every acknowledged add through two whole-cluster power failures (it fsyncs its WAL before it answers)', async () => {
    const outcome = await run('power-failure-twice.yaml', { db: 'etcd', workload: 'set', timeLimit: '7' });
    const crashes = await crashLosses(outcome);
    expect(crashes).toHaveLength(2);
    for (const lost of crashes) expect(lost.map((l) => l.node).sort()).toEqual(['n1', 'n2', 'n3']);
    // The fault bit: by the second crash each member had made names since its restart that it
    // never fsynced a directory for, and the crash took them back.
    expect(crashes[1].some((l) => l.undone > 0)).toBe(true);
    expect(outcome.results.stats.all.ok).toBeGreaterThan(20);
    expect(outcome.results.anomalies).toEqual([]);
    expect(outcome.valid).toBe(true);
    // Each member restarted from its own WAL, not as a fresh member.
    for (const [name, log] of nodeLogs(outcome)) expect(log.match(/"restarting local member"/g)?.length, name).toBe(2);
    expectHealed(outcome, 3, ETCD_DATA_DIR);
  }, 90_000);

  it('a member whose key space (member/snap/db) is bitflipped refuses to start; the other two serve and lose nothing', async () => {
    const outcome = await run('etcd-corrupt-db.yaml', { db: 'etcd', workload: 'set', timeLimit: '6' });
    const damage = (await nemesisValues(outcome, 'corrupt')).flatMap((v) => v.corrupted as Array<{ node: string; file: string; size: number; length: number }>);
    expect(damage).toHaveLength(1);
    expect(damage[0]).toMatchObject({ node: 'n2', file: 'etcd/member/snap/db' });
    expect(damage[0].length).toBe(damage[0].size);
    // The restart fails, and so does the heal's: bbolt finds neither meta page valid and etcd panics.
    const restarts = await nemesisCompletions(outcome, 'restart-corrupted');
    expect(restarts.length).toBeGreaterThanOrEqual(1);
    for (const r of restarts) expect(r.error).toMatch(/node n2 failed to start/);
    expect(nodeLogs(outcome).get('n2.log')).toMatch(/"msg":"failed to open database","path":"[^"]*\/member\/snap\/db","error":"invalid database"/);
    expect(outcome.results.stats.all.ok).toBeGreaterThan(20);
    expect(outcome.results.anomalies).toEqual([]);
    expect(outcome.valid).toBe(true);
    expectHealed(outcome, 3, ETCD_DATA_DIR);
  }, 90_000);
});

describe('postgres under a power failure (local)', () => {
  /** pgRun: list-append at serializable, clients as fast as they go, under one power failure. */
  async function pgRun(flags: Record<string, unknown>): Promise<{ outcome: RunOutcome; result: ElleWorkloadResult }> {
    const outcome = await run('power-failure-once.yaml', { db: 'postgres', workload: 'list-append', timeLimit: '5', concurrency: '10', rate: '0', keyCount: '5', ...flags });
    return { outcome, result: outcome.results.checker as ElleWorkloadResult };
  }

  it('with synchronous_commit on (the default) no acknowledged commit is lost, though the crash dropped unsynced bytes', async () => {
    const { outcome, result } = await pgRun({});
    const [lost] = await crashLosses(outcome);
    // The table and commit-log pages postgres had written but not fsynced were dropped; its WAL had them.
    expect(lost[0].unsyncedBytes).toBeGreaterThan(0);
    expect(result.elle.okCount).toBeGreaterThan(30);
    expect(result.elle.anomalyTypes).toEqual([]);
    expect(outcome.valid).toBe(true);
    expectHealed(outcome, 1, PG_DATA_DIR);
  }, 90_000);

  it('with --synchronous-commit off acknowledged commits vanish, named by Elle', async () => {
    const { outcome, result } = await pgRun({ synchronousCommit: 'off' });
    const [lost] = await crashLosses(outcome);
    expect(lost[0].unsyncedBytes).toBeGreaterThan(0);
    expect(outcome.valid).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect(result.elle.anomalyTypes.length).toBeGreaterThan(0);
    // A lost append: a read before the crash saw it and the reads after do not (incompatible
    // order), or an acknowledged append that no read ever shows while later ones do.
    expect(outcome.results.anomalies.join('\n')).toMatch(/incompatible-order|which no read shows/);
    expectHealed(outcome, 1, PG_DATA_DIR);
  }, 90_000);
});

describe('redis-sentinel under a power failure (local)', () => {
  it('loses acknowledged adds: redis answers from memory and had written nothing to disk (RDB only, no AOF: --redis-aof off, the default)', async () => {
    const outcome = await run('power-failure-once.yaml', { db: 'redis-sentinel', workload: 'set', timeLimit: '5' });
    const [lost] = await crashLosses(outcome);
    expect(lost).toHaveLength(3);
    // Nothing was on any disk to lose: the adds lived in memory only (a kill of all three loses them too).
    for (const l of lost) expect(l.unsyncedBytes).toBe(0);
    expect(outcome.valid).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.results.anomalies.join('\n')).toMatch(LOST_RE);
    // redis never logs its dir: only the mounts are checked.
    expectHealed(outcome, 3, null);
  }, 90_000);

  it('with --redis-aof always keeps every acknowledged add: the append-only file is fsynced before each reply', async () => {
    const outcome = await run('power-failure-once.yaml', { db: 'redis-sentinel', workload: 'set', timeLimit: '5', redisAof: 'always' });
    const [lost] = await crashLosses(outcome);
    expect(lost).toHaveLength(3);
    expect(outcome.results.stats.all.ok).toBeGreaterThan(20);
    expect(outcome.results.anomalies).toEqual([]);
    expect(outcome.valid).toBe(true);
    expectHealed(outcome, 3, null);
  }, 90_000);

  it('with --redis-aof everysec loses the adds acknowledged since the last fsync (up to a second of them)', async () => {
    // Clients as fast as they go, so the second before the crash holds many acknowledged adds.
    const outcome = await run('power-failure-once.yaml', { db: 'redis-sentinel', workload: 'set', timeLimit: '5', redisAof: 'everysec', concurrency: '10', rate: '0' });
    const [lost] = await crashLosses(outcome);
    // The primary's append-only file had written, unsynced bytes for the crash to take back.
    expect(lost.find((l) => l.node === 'n1')?.unsyncedBytes).toBeGreaterThan(0);
    expect(outcome.valid).toBe(false);
    expect(outcome.results.anomalies.join('\n')).toMatch(LOST_RE);
    expectHealed(outcome, 3, null);
  }, 90_000);
});
