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
import type { RoleLine } from '../control/runner/roles.ts';
import { expectWellFormed, tempStore } from './runner-support.ts';
import { readRoles } from './support/viewserver-replicas-checks.ts';

async function runReplace(bug?: string): Promise<{ valid: unknown; history: Awaited<ReturnType<typeof readHistory>>; roles: RoleLine[] }> {
  const opts = resolveOptions({
    db: 'viewservice', workload: 'register', nodes: '3', nemesisSchedule: 'examples/viewservice-replace.yaml',
    timeLimit: '11', seed: '4', store: tempStore(), checkTimeout: '20', ...(bug === undefined ? {} : { bug }),
  });
  const outcome = await runTest(opts, localParts());
  expect(outcome.results.error).toBeUndefined();
  const history = await readHistory(outcome.run.historyJsonl);
  expectWellFormed(history);
  return { valid: outcome.valid, history, roles: readRoles(outcome.run.rolesJsonl) };
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
    const { valid, history, roles } = await runReplace('promote-unsynced');
    // The trap was set: after the partition the view server recruited n2 as n3's backup, and after
    // n3's kill it made n2 primary — so a valid verdict here would be the checker's miss, not the schedule's.
    const trapAt = history.find((op) => op.process === 'nemesis' && op.f === 'start-partition')?.time ?? Infinity;
    const asVs = roles.filter((r) => r.node === 'vs' && r.time > trapAt).map((r) => r.primary);
    const trapped = roles.some((r) => r.node === 'n2' && r.role === 'backup' && r.primary === 'n3' && r.time > trapAt);
    expect(trapped, JSON.stringify(roles)).toBe(true);
    expect(asVs, JSON.stringify(roles)).toContain('n2');
    expect(valid).toBe(false);
  }, 90_000);
});
