// test/raft-membership-e2e.test.ts — --db raft on real local processes under membership changes
// combined with a partition and a kill (examples/membership-partition-kill.yaml), and with packet
// delay and reordering on every link (examples/membership-under-packet-delay.yaml): the history is
// linearizable, the changes are done (the one that would leave no live majority is refused at
// once, Raft thesis §4.2.4), and the group still commits after the last change.
//
// Robust under load: the nemesis is serial and a change waits for a leader, so on a busy machine
// the schedule runs seconds late, past the end of the main phase (in one run under 3 CPU hogs the
// last change finished at 36 s of a 14 s workload). What the group does after the last change is
// therefore read from the final phase, which always runs after the heal: every key is read again
// through the log (--reads log, the default), and each such read is a log entry committed by a
// majority of the final configuration — as much a commit as a write (test/support/example-run.ts).
import { describe, expect, it } from 'vitest';
import type { Op } from '../history/op.ts';
import { expectEveryKeyReadAfter, runLocalExample } from './support/example-run.ts';

/** RUN_TIMEOUT_MS: a hang guard; a loaded machine stretched one run to 57 s (each change may take 30 s). */
const RUN_TIMEOUT_MS = 150_000;

async function runMembership(schedule: string, timeLimit: string): Promise<{ valid: unknown; history: Op[] }> {
  const { outcome, history } = await runLocalExample(schedule, { db: 'raft', timeLimit, seed: '3' });
  return { valid: outcome.valid, history };
}

/** memberChanges: the completed remove-member/add-member ops, and a summary line per op for failure messages. */
function memberChanges(history: Op[]): { changes: Op[]; summary: string } {
  const changes = history.filter((op) => op.process === 'nemesis' && op.type !== 'invoke' && /-member$/.test(op.f));
  return { changes, summary: changes.map((op) => `${op.f} ${JSON.stringify(op.value)} ${op.error ?? ''}`.trim()).join('\n') };
}

describe('--db raft under membership changes', () => {
  it('with a partition and a kill: linearizable, its changes are done, the unsafe removal refused, commits after them', async () => {
    const { valid, history } = await runMembership('membership-partition-kill.yaml', '14');
    const { changes, summary } = memberChanges(history);
    // Scheduled: remove n3, add n3, remove n1, add n1, remove n3 (refused), remove n3, and the heal's add n3.
    expect(changes.map((op) => op.f), summary).toEqual([
      'remove-member', 'add-member', 'remove-member', 'add-member', 'remove-member', 'remove-member', 'add-member',
    ]);
    const refused = changes.filter((op) => op.error !== undefined);
    expect(refused, summary).toHaveLength(1);
    expect(refused[0].error).toMatch(/remove-member n3 refused: voters n1,n2 would have n2 killed.*§4\.2\.4/);
    expect(changes[5].value).toMatchObject({ nodes: ['n3'], voters: ['n1', 'n2'] });
    expect(changes[6].value).toMatchObject({ nodes: ['n3'], voters: ['n1', 'n2', 'n3'] });
    expectEveryKeyReadAfter(history, changes[6]);
    expect(valid).toBe(true);
  }, RUN_TIMEOUT_MS);

  it('under packet delay and reordering on every link: linearizable, every change done, commits after them', async () => {
    const { valid, history } = await runMembership('membership-under-packet-delay.yaml', '8');
    const packet = history.find((op) => op.process === 'nemesis' && op.type === 'info' && op.f === 'start-packet');
    expect(packet?.error).toBeUndefined();
    expect(packet?.value).toMatchObject({ nodes: ['n1', 'n2', 'n3'], shape: { delayMs: 50, jitterMs: 10, reorder: 0.2 } });
    const { changes, summary } = memberChanges(history);
    // Scheduled: remove the leader, add it back, remove n2, add it back; all done, none refused.
    expect(changes.map((op) => op.f), summary).toEqual(['remove-member', 'add-member', 'remove-member', 'add-member']);
    expect(changes.filter((op) => op.error !== undefined), summary).toEqual([]);
    // Every change happened while the links were shaped (the heal's stop-packet comes after them).
    const unshaped = history.find((op) => op.process === 'nemesis' && op.f === 'stop-packet');
    expect(changes.every((op) => (op.time ?? Infinity) < (unshaped?.time ?? 0)), summary).toBe(true);
    expect(changes[3].value).toMatchObject({ voters: ['n1', 'n2', 'n3'] });
    expectEveryKeyReadAfter(history, changes[3]);
    expect(valid).toBe(true);
  }, RUN_TIMEOUT_MS);
});
