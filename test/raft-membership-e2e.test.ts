// test/raft-membership-e2e.test.ts — --db raft on real local processes under membership changes
// combined with a partition and a kill (examples/membership-partition-kill.yaml): the history is
// linearizable, every change but one is done, the one that would leave no live majority is
// refused at once (Raft thesis §4.2.4), and the cluster acknowledges writes after the changes.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../control/config.ts';
import { localParts } from '../control/runner/parts.ts';
import { runTest } from '../control/runner/run-test.ts';
import { readHistory } from '../history/read.ts';
import { expectWellFormed, tempStore } from './runner-support.ts';

describe('--db raft under membership changes, a partition and a kill', () => {
  it('a real local run is linearizable, its changes are done and writes are acknowledged after them', async () => {
    const opts = resolveOptions({
      db: 'raft', workload: 'register', nodes: '3', nemesisSchedule: 'examples/membership-partition-kill.yaml',
      timeLimit: '14', seed: '3', store: tempStore(), checkTimeout: '20',
    });
    const outcome = await runTest(opts, localParts());
    expect(outcome.results.error).toBeUndefined();
    const history = await readHistory(outcome.run.historyJsonl);
    expectWellFormed(history);
    const changes = history.filter((op) => op.process === 'nemesis' && op.type !== 'invoke' && /-member$/.test(op.f));
    const summary = changes.map((op) => `${op.f} ${JSON.stringify(op.value)} ${op.error ?? ''}`.trim());
    // Scheduled: remove n3, add n3, remove n1, add n1, remove n3 (refused), remove n3, and the heal's add n3.
    expect(changes.map((op) => op.f), summary.join('\n')).toEqual([
      'remove-member', 'add-member', 'remove-member', 'add-member', 'remove-member', 'remove-member', 'add-member',
    ]);
    const refused = changes.filter((op) => op.error !== undefined);
    expect(refused, summary.join('\n')).toHaveLength(1);
    expect(refused[0].error).toMatch(/remove-member n3 refused: voters n1,n2 would have n2 killed.*§4\.2\.4/);
    expect(changes[5].value).toMatchObject({ nodes: ['n3'], voters: ['n1', 'n2'] });
    expect(changes[6].value).toMatchObject({ nodes: ['n3'], voters: ['n1', 'n2', 'n3'] });
    // Writes acknowledged after the refusal, so after every change but the last removal (which
    // waits for n2's restart and, on a loaded machine, may finish after the workload stops).
    const lastChange = changes[4].time ?? Infinity;
    const acked = history.filter((op) => op.type === 'ok' && op.f === 'write' && (op.time ?? 0) > lastChange);
    expect(acked.length, 'writes acknowledged after the changes').toBeGreaterThan(5);
    expect(outcome.valid).toBe(true);
  }, 90_000);
});
