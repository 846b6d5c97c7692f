// rsm/viewservice/cut-off-primary.test.ts — the lectures' worst case: the primary is cut off from the view server only.
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../core/types.ts';
import { VsCluster, type OpRecord } from '../../test/support/viewservice-cluster.ts';

/**
 * singlePrimaryMonitor fails the test the moment a server completes a client op in an older
 * view than one in which another server already completed one: "at no moment do two servers
 * both complete client operations as primary". It runs after every delivered message.
 */
function singlePrimaryMonitor(c: VsCluster): Array<{ node: NodeId; view: number }> {
  const completions: Array<{ node: NodeId; view: number }> = [];
  c.monitors.push((_c, fresh: OpRecord[]) => {
    for (const op of fresh) {
      if (op.reply?.outcome !== 'ok') continue;
      const view = op.replyView ?? -1;
      const last = completions[completions.length - 1];
      if (last !== undefined) {
        expect(view, `op ${op.reqId} at ${op.reply.node}`).toBeGreaterThanOrEqual(last.view);
        if (view === last.view) expect(op.reply.node).toBe(last.node);
      }
      completions.push({ node: op.reply.node, view });
    }
  });
  return completions;
}

/** appendedValues returns the values of the append ops whose reply had the given outcome. */
function appendedValues(c: VsCluster, ops: number[], outcome: string): unknown[] {
  const value = (r: number): unknown => {
    const cmd = c.op(r).command.cmd;
    if (cmd.kind !== 'txn') throw new Error(`op ${r} is not an append`);
    return cmd.ops[0][2];
  };
  return ops.filter((r) => c.op(r).reply?.outcome === outcome).map(value);
}

describe('view service: primary cut off from the view server only', () => {
  it('never lets two servers complete operations as primary and loses no acknowledged write', () => {
    const c = new VsCluster({ seed: 7, replicas: ['s1', 's2', 's3'] });
    const completions = singlePrimaryMonitor(c);
    c.runUntil(() => c.status('vs').backup === 's2' && c.status('vs').backupReady === true, 200, 'view {s1, s2}');
    const appends: number[] = [];
    for (let i = 0; i < 5; i += 1) appends.push(c.append('s1', 'k', `before-${i}`));
    c.runTicks(5);
    const viewBefore = c.status('vs').view ?? 0;

    // s1 can still reach s2, s3 and the clients; only its link to the view server is cut.
    c.net.cut('s1', 'vs');
    let i = 0;
    c.runUntil(() => {
      // Clients that keep using s1, a few per tick so that some wait in its queue.
      for (let j = 0; j < 3; j += 1) appends.push(c.append('s1', 'k', `during-${i++}`));
      return c.status('s2').role === 'primary' && c.status('s2').synced === true;
    }, 200, 's2 primary of a new view');
    expect(c.status('vs')).toMatchObject({ primary: 's2', backup: 's3' });
    expect(c.status('vs').view).toBeGreaterThan(viewBefore);

    // The new primary serves; s1, told by s2's refusals, knows it is no longer primary.
    const w = c.complete(c.append('s2', 'k', 'after'));
    appends.push(w);
    expect(c.op(w).reply?.outcome).toBe('ok');
    c.runTicks(10);
    expect(c.status('s1').role).toBe('idle');
    const late = c.append('s1', 'k', 'late');
    expect(c.op(late).reply).toMatchObject({ outcome: 'reject', redirect: 's2' });
    appends.push(late);

    // No acknowledged write is lost, and none that was rejected appears.
    const final = c.okValue(c.complete(c.read('s2', 'k'))) as unknown[];
    const acked = appendedValues(c, appends, 'ok');
    const rejected = appendedValues(c, appends, 'reject');
    expect(acked.length).toBeGreaterThan(6);
    expect(rejected.length).toBeGreaterThan(0);
    for (const v of acked) expect(final).toContain(v);
    for (const v of rejected) expect(final).not.toContain(v);
    expect(new Set(final).size).toBe(final.length);
    expect(completions.some((x) => x.node === 's1')).toBe(true);
    expect(completions.some((x) => x.node === 's2')).toBe(true);
  });

  it('serves no stale read at a primary that missed the view change', () => {
    const c = new VsCluster({ seed: 8, replicas: ['s1', 's2', 's3'] });
    c.runUntil(() => c.status('vs').backup === 's2' && c.status('vs').backupReady === true, 200, 'view {s1, s2}');
    c.complete(c.write('s1', 'x', 'old'));
    c.net.cut('s1', 'vs');
    c.runUntil(() => c.status('s2').role === 'primary' && c.status('s2').synced === true, 200, 's2 primary');
    expect(c.status('s1').role).toBe('primary'); // it has not heard of the new view
    c.complete(c.write('s2', 'x', 'new'));
    const r = c.read('s1', 'x');
    c.runTicks(20);
    const reply = c.op(r).reply;
    expect(reply).toBeDefined();
    expect(reply?.outcome).not.toBe('ok');
    expect(c.status('s1').role).toBe('idle');
  });
});
