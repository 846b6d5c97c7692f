// test/raft/figure8.test.ts — Raft Figure 8, scripted: why a leader must not commit old-term
// entries by counting replicas. With bug commit-old-term a committed entry is overwritten.
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../rsm/core/types.ts';
import { core, makeCluster, type RaftNet, replyTo, send } from './support.ts';

/** campaignToWin ticks one node (only) until it leads, delivering after every tick. */
function campaignToWin(net: RaftNet, id: NodeId): void {
  for (let i = 0; i < 500 && core(net, id).role !== 'leader'; i += 1) {
    net.tick(id);
    net.deliverAll();
  }
  expect(core(net, id).role).toBe('leader');
}

/**
 * figure8 plays the paper's Figure 8 with five nodes, plus the no-op every new leader appends
 * (so indexes shift by one from the figure). maxAppendEntries=1 lets us hand S3 the old entry
 * without the new leader's own no-op, as in the figure's step (c).
 */
function figure8(bugs: string[]) {
  const { net, checker } = makeCluster({ nodes: 5, options: { maxAppendEntries: '1' }, bugs });
  let blocked: (from: NodeId, to: NodeId, prevIndex: number) => boolean = () => false;
  net.hook((e) => !(e.msg.type === 'AppendEntries' && blocked(e.from, e.to, e.msg.prevIndex)));

  // (a) S1 leads term 1; its no-op commits; entry W1 (index 2, term 1) reaches only S2.
  campaignToWin(net, 'n1');
  net.run(0);
  net.partition([['n1', 'n2'], ['n3', 'n4', 'n5']]);
  const w1 = send(net, 'n1', { kind: 'write', key: 'x', value: 1 });
  net.deliverAll();
  expect(core(net, 'n2').log.term(2)).toBe(1);
  expect(core(net, 'n1').commitIndex).toBe(1);

  // (b) S1 crashes; S5 wins term 2 with S3 and S4, and appends entries nobody receives.
  net.crash('n1');
  net.heal();
  net.cut('n5', 'n2');
  blocked = (from) => from === 'n5';
  campaignToWin(net, 'n5');
  send(net, 'n5', { kind: 'write', key: 'x', value: 5 });
  net.deliverAll();
  expect(core(net, 'n5').log.term(2)).toBe(2);
  net.crash('n5');

  // (c) S1 restarts and wins term 3 with S2 and S3 (S4 cut off); it hands S3 index 2 (term 1)
  // but not its own term-3 no-op. Index 2 now sits on S1, S2, S3: a majority.
  net.restart('n1');
  net.cut('n1', 'n4');
  // S3 may see (and reject) the first probe; once it holds index 2, nothing after reaches it.
  blocked = (from, to, prevIndex) => from === 'n1' && to === 'n3' && prevIndex >= 2 && core(net, 'n3').log.lastIndex() >= 2;
  campaignToWin(net, 'n1');
  net.deliverAll();
  expect(['n1', 'n2', 'n3'].every((id) => core(net, id).log.term(2) === 1)).toBe(true);
  expect(core(net, 'n3').log.lastIndex()).toBe(2);
  const n1CommitBeforeCrash = core(net, 'n1').commitIndex;
  const n1ValueBeforeCrash = core(net, 'n1').sm.read('x');
  net.crash('n1');

  // (d) S5 restarts and wins term 4 with S3 and S4 (its last term 2 beats their term 1), then
  // replicates its log, overwriting index 2 on S3.
  net.heal();
  net.cut('n5', 'n2');
  blocked = () => false;
  net.restart('n5');
  campaignToWin(net, 'n5');
  for (let i = 0; i < 5; i += 1) {
    net.tick('n5');
    net.deliverAll();
  }
  expect(core(net, 'n5').commitIndex).toBeGreaterThanOrEqual(4);
  // Finally everyone is back and converges on S5's log.
  net.heal();
  net.restart('n1');
  net.run(20);
  return { net, checker, w1, n1CommitBeforeCrash, n1ValueBeforeCrash };
}

describe('Raft Figure 8', () => {
  it('with bug commit-old-term, a committed and applied entry is later overwritten', () => {
    const { net, checker, n1CommitBeforeCrash, n1ValueBeforeCrash } = figure8(['commit-old-term']);
    // Step (c): S1 counted index 2 (term 1) on a majority, committed and applied it.
    expect(n1CommitBeforeCrash).toBe(2);
    expect(n1ValueBeforeCrash).toBe(1);
    // Step (d): S5's term-2 no-op replaced it on every node.
    for (const id of ['n1', 'n2', 'n3', 'n4', 'n5']) expect(core(net, id).log.term(2)).toBe(2);
    expect(checker.violations.some((v) => /^State Machine Safety: n\d applied \S+ at index 2 /.test(v))).toBe(true);
    expect(core(net, 'n1').sm.read('x')).toBe(5);
  });

  it('without the bug, S1 does not commit index 2 in step (c), and nothing unsafe happens', () => {
    const { net, checker, w1, n1CommitBeforeCrash, n1ValueBeforeCrash } = figure8([]);
    expect(n1CommitBeforeCrash).toBeLessThan(2);
    expect(n1ValueBeforeCrash).toBeNull();
    expect(replyTo(net, w1)).toBeUndefined();
    for (const id of ['n1', 'n2', 'n3', 'n4', 'n5']) expect(core(net, id).log.term(2)).toBe(2);
    checker.check(net);
    expect(checker.violations).toEqual([]);
  });
});
