// test/viewservice-replace-e2e.test.ts — --db viewservice on real local processes under the
// replace nemesis (examples/viewservice-replace.yaml): servers die for good with their disks and
// fresh ones take their place. The correct view service stays linearizable, serves writes after
// each replacement, and stays stuck rather than promote a recruit that never got the primary's
// state; with --bug promote-unsynced that recruit becomes primary and the history is invalid.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../control/config.ts';
import { localParts } from '../control/runner/parts.ts';
import { runTest } from '../control/runner/run-test.ts';
import { readHistory } from '../history/read.ts';
import { expectWellFormed, tempStore } from './runner-support.ts';

async function runReplace(bug?: string): Promise<{ valid: unknown; history: Awaited<ReturnType<typeof readHistory>> }> {
  const opts = resolveOptions({
    db: 'viewservice', workload: 'register', nodes: '3', nemesisSchedule: 'examples/viewservice-replace.yaml',
    timeLimit: '9.5', seed: '4', store: tempStore(), checkTimeout: '20', ...(bug === undefined ? {} : { bug }),
  });
  const outcome = await runTest(opts, localParts());
  expect(outcome.results.error).toBeUndefined();
  const history = await readHistory(outcome.run.historyJsonl);
  expectWellFormed(history);
  return { valid: outcome.valid, history };
}

describe('--db viewservice under the replace nemesis', () => {
  it('a real local run is linearizable, writes are acknowledged after each replacement, and an unsynced recruit is never promoted', async () => {
    const { valid, history } = await runReplace();
    const nemesis = history.filter((op) => op.process === 'nemesis' && op.type !== 'invoke');
    const summary = nemesis.map((op) => `${op.f} ${JSON.stringify(op.value)} ${op.error ?? ''}`.trim()).join('\n');
    expect(nemesis.filter((op) => op.error !== undefined), summary).toEqual([]);
    // Scheduled: replace n1, add-fresh n1, replace n2, add-fresh n2, partition, replace n1, kill n3, then the heal.
    expect(nemesis.map((op) => op.f).slice(0, 7), summary).toEqual(['replace', 'add-fresh', 'replace', 'add-fresh', 'start-partition', 'replace', 'kill']);
    // Between the fresh n2 joining and the trap the view {n3, n1} serves: n1 got n3's state.
    const [, , , freshN2, trap] = nemesis; // the fresh n2 joined; the partition starts the trap
    const acked = history.filter((op) => op.type === 'ok' && op.f === 'write' && (op.time ?? 0) > (freshN2.time ?? Infinity) && (op.time ?? Infinity) < (trap.time ?? 0));
    expect(acked.length, 'writes acknowledged after both replacements').toBeGreaterThan(3);
    expect(valid).toBe(true);
  }, 90_000);

  it('--bug promote-unsynced: the recruit that never got the primary\'s state is promoted and the history is not linearizable', async () => {
    const { valid } = await runReplace('promote-unsynced');
    expect(valid).toBe(false);
  }, 90_000);
});
