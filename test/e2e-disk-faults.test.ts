// test/e2e-disk-faults.test.ts — whole runs under the disk faults (lose-unsynced on lazyfs, corrupt-file):
// raft's missing fsync is caught, correct raft stays valid, and a run leaves no mount and no damaged files.
import * as fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../control/config.ts';
import { localParts } from '../control/runner/parts.ts';
import { runTest, type RunOutcome } from '../control/runner/run-test.ts';
import { readHistory } from '../history/read.ts';
import { expectWellFormed, tempStore } from './runner-support.ts';
import { expectHealed, nemesisValues } from './support/disk-fault-runs.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** run: raft + set under an examples/ schedule, on LocalCluster. */
async function run(schedule: string, flags: Record<string, unknown>): Promise<RunOutcome> {
  const opts = resolveOptions({
    db: 'raft', workload: 'set', nemesisSchedule: path.join(ROOT, 'examples', schedule), store: tempStore(),
    checkTimeout: '20', timeLimit: '6', seed: '3', ...flags,
  });
  const outcome = await runTest(opts, localParts());
  expect(outcome.results.error).toBeUndefined();
  expectWellFormed(await readHistory(outcome.run.historyJsonl));
  return outcome;
}

/** RAFT_DATA_DIR: where a raft node says it read its log from (its data directory). */
const RAFT_DATA_DIR = /replayed \d+ records from (\S+)/;

describe('disk faults end to end (root, /dev/fuse)', () => {
  it('raft --bug no-fsync under whole-cluster power failures loses acknowledged adds, named by the set checker', async () => {
    const outcome = await run('power-failure-all.yaml', { bug: ['no-fsync'] });
    const crashes = await nemesisValues(outcome, 'crash');
    expect(crashes).toHaveLength(2);
    // What was lost is in the history: at the first crash every node lost log bytes it never fsynced
    // (at the second, a node may not have written since its restart).
    const first = crashes[0].lost as Array<{ unsyncedBytes: number }>;
    expect(first).toHaveLength(3);
    for (const lost of first) expect(lost.unsyncedBytes).toBeGreaterThan(0);
    expect(outcome.valid).toBe(false);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.results.anomalies.join('\n')).toMatch(/^lost \d+ element\(s\)( \([^)]*\))?: \d/m);
    expectHealed(outcome, 3, RAFT_DATA_DIR);
  }, 150_000);

  it('correct raft under the same power failures keeps every acknowledged add', async () => {
    const outcome = await run('power-failure-all.yaml', {});
    const crashes = await nemesisValues(outcome, 'crash');
    expect(crashes).toHaveLength(2);
    expect(outcome.results.stats.all.ok).toBeGreaterThan(20);
    expect(outcome.results.anomalies).toEqual([]);
    expect(outcome.valid).toBe(true);
    expectHealed(outcome, 3, RAFT_DATA_DIR);
  }, 150_000);

  it('raft stays valid when one node at a time has its log bitflipped, zeroed or cut (CRC found, log cut, caught up)', async () => {
    const outcome = await run('corrupt-one-node.yaml', { timeLimit: '9' });
    const damage = (await nemesisValues(outcome, 'corrupt')).flatMap((v) => v.corrupted as Array<{ mode: string; file: string }>);
    expect(damage.map((d) => d.mode)).toEqual(['zero', 'bitflip', 'truncate']);
    expect(damage.every((d) => d.file === 'log.bin')).toBe(true);
    // Each damaged node noticed at its restart: the durable log's CRC (or length) check cut the bad tail.
    const logs = fs.readdirSync(outcome.run.dir, { recursive: true }).map(String).filter((f) => /n\d\.log$/.test(f));
    const cuts = logs.flatMap((l) => fs.readFileSync(path.join(outcome.run.dir, l), 'utf8').split('\n').filter((line) => /durable-log: truncated/.test(line)));
    // A cut that happens to end on a record boundary leaves nothing to find, so two of three at least.
    expect(cuts.length).toBeGreaterThanOrEqual(2);
    expect(outcome.results.anomalies).toEqual([]);
    expect(outcome.valid).toBe(true);
    expectHealed(outcome, 3, RAFT_DATA_DIR);
  }, 150_000);
});
