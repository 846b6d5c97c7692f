// test/raft/paper.test.ts — one test per rule of the Raft paper (extended version), citing its section.
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../lib/rng.ts';
import { FakeClock } from '../../lib/clock.ts';
import type { CoreConfig } from '../../rsm/core/types.ts';
import { createRaftCore } from '../../rsm/raft/core.ts';
import type { AppendEntries, RaftMessage } from '../../rsm/raft/types.ts';
import { campaign, core, leaders, makeCluster, raftCore, replyTo, runUntil, send } from './support.ts';

function config(id: string, seed = 1, options: Record<string, string> = {}): CoreConfig {
  return { id, peers: ['n1', 'n2', 'n3'], clock: new FakeClock(0), rng: new SeededRng(seed), options, bugs: new Set() };
}

function append(term: number, prevIndex: number, prevTerm: number, entryTerms: number[], commit = 0): AppendEntries {
  return {
    type: 'AppendEntries', term, prevIndex, prevTerm, commit, round: 1,
    entries: entryTerms.map((t, i) => ({ term: t, cmd: { clientId: 'x', seq: prevIndex + i + 1, cmd: { kind: 'write', key: 'k', value: t } } })),
  };
}

describe('Raft paper rules', () => {
  it('§5.1: a higher term makes any server adopt it and follow; an older term is refused', () => {
    const { net } = makeCluster();
    campaign(net, 'n1');
    const n1 = core(net, 'n1');
    expect(n1.role).toBe('leader');
    const fx = n1.step('n2', { type: 'RequestVoteReply', term: 7, granted: false });
    expect(n1.role).toBe('follower');
    expect(n1.term).toBe(7);
    expect(fx.persist).toContainEqual({ kind: 'append', record: { t: 'hs', term: 7, vote: null } });
    const stale = n1.step('n3', append(3, 0, 0, []));
    expect(stale.send).toHaveLength(1);
    expect(stale.send[0].msg).toMatchObject({ type: 'AppendEntriesReply', term: 7, success: false });
  });

  it('§5.2: one vote per term, first come first served, persisted with the reply', () => {
    const n2 = raftCore(createRaftCore(config('n2'), []));
    const first = n2.step('n1', { type: 'RequestVote', term: 1, lastIndex: 0, lastTerm: 0 });
    expect(first.send[0].msg).toEqual({ type: 'RequestVoteReply', term: 1, granted: true });
    expect(first.persist.at(-1)).toEqual({ kind: 'append', record: { t: 'hs', term: 1, vote: 'n1' } });
    const second = n2.step('n3', { type: 'RequestVote', term: 1, lastIndex: 5, lastTerm: 1 });
    expect(second.send[0].msg).toEqual({ type: 'RequestVoteReply', term: 1, granted: false });
    // After a crash the vote comes back from the records: still no second vote in term 1.
    const records = [...first.persist, ...second.persist].map((op) => (op.kind === 'append' ? op.record : null));
    const again = raftCore(createRaftCore(config('n2'), records));
    const third = again.step('n3', { type: 'RequestVote', term: 1, lastIndex: 5, lastTerm: 1 });
    expect(third.send[0].msg).toMatchObject({ granted: false });
  });

  it('§5.2: election timeouts are randomized within electionTicks (default 15..30)', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 60; seed += 1) {
      const c = raftCore(createRaftCore(config('n1', seed), []));
      let ticks = 0;
      while (c.role === 'follower' && ticks < 100) {
        c.tick();
        ticks += 1;
      }
      expect(ticks).toBeGreaterThanOrEqual(15);
      expect(ticks).toBeLessThanOrEqual(30);
      seen.add(ticks);
    }
    expect(seen.size).toBeGreaterThan(8);
  });

  it('§5.2: a cluster elects exactly one leader that every node recognises', () => {
    const { net, ids } = makeCluster({ nodes: 5, seed: 3 });
    runUntil(net, () => leaders(net).length === 1 && ids.every((id) => core(net, id).status().primary === leaders(net)[0].id), 300, 'election');
    const [leader] = leaders(net);
    expect(ids.every((id) => core(net, id).term === leader.term)).toBe(true);
  });

  it('§5.2: a leader that hears of a higher term steps down, and its pending request becomes unknown', () => {
    const { net } = makeCluster();
    campaign(net, 'n1');
    net.isolate('n1');
    const req = send(net, 'n1', { kind: 'write', key: 'a', value: 1 });
    net.deliverAll();
    campaign(net, 'n2');
    expect(core(net, 'n2').role).toBe('leader');
    net.heal();
    runUntil(net, () => core(net, 'n1').role === 'follower', 50, 'n1 steps down');
    expect(replyTo(net, req)).toMatchObject({ outcome: 'unknown' });
    expect(core(net, 'n1').status().primary).toBe('n2');
  });

  it('§5.3: a follower rejects a failed consistency check, truncates a conflicting suffix, keeps matching entries', () => {
    const n2 = raftCore(createRaftCore(config('n2'), []));
    n2.step('n1', append(1, 0, 0, [1, 1, 1]));
    expect(n2.log.lastIndex()).toBe(3);
    const gap = n2.step('n1', append(1, 5, 1, [1]));
    expect(gap.send[0].msg).toMatchObject({ success: false, conflictIndex: 4, conflictTerm: null });
    // A stale, shorter message of the same leader must not shorten the log.
    n2.step('n1', append(1, 0, 0, [1]));
    expect(n2.log.lastIndex()).toBe(3);
    // A new leader of term 2 overwrites index 2 onward.
    const fx = n2.step('n3', append(2, 1, 1, [2]));
    expect(n2.log.lastIndex()).toBe(2);
    expect(n2.log.term(2)).toBe(2);
    expect(fx.persist).toContainEqual(expect.objectContaining({ kind: 'append', record: expect.objectContaining({ t: 'ents', from: 2 }) }));
    expect(fx.send[0].msg).toMatchObject({ success: true, matchIndex: 2 });
  });

  it('§5.3 (end): conflictTerm/conflictIndex let the leader skip a whole conflicting term per round trip', () => {
    const { net } = makeCluster({ seed: 5 });
    campaign(net, 'n1');
    net.isolate('n1');
    for (let i = 0; i < 40; i += 1) send(net, 'n1', { kind: 'write', key: 'a', value: i });
    campaign(net, 'n2');
    for (let i = 0; i < 5; i += 1) send(net, 'n2', { kind: 'write', key: 'b', value: i });
    net.deliverAll();
    // A leader that never heard from n1 guesses nextIndex = its log end + 1 (Figure 2).
    campaign(net, 'n3');
    expect(core(net, 'n3').role).toBe('leader');
    let rejections = 0;
    net.hook((e) => {
      if (e.from === 'n1' && e.msg.type === 'AppendEntriesReply' && !e.msg.success) rejections += 1;
      return true;
    });
    net.heal();
    runUntil(net, () => core(net, 'n1').log.lastIndex() === core(net, 'n2').log.lastIndex() && core(net, 'n1').role === 'follower', 100, 'n1 catches up');
    expect(core(net, 'n1').log.term(2)).toBe(2);
    // Seven probes back without the optimisation; one rejection skips the whole term-1 run.
    expect(rejections).toBe(1);
  });

  it('§5.4.1: a candidate with a less up-to-date log cannot win', () => {
    const { net } = makeCluster();
    campaign(net, 'n1');
    net.cut('n1', 'n3');
    const req = send(net, 'n1', { kind: 'write', key: 'a', value: 1 });
    net.deliverAll();
    expect(replyTo(net, req)).toMatchObject({ outcome: 'ok' });
    net.isolate('n1');
    campaign(net, 'n3');
    expect(core(net, 'n3').role).toBe('candidate');
    expect(core(net, 'n2').votedFor).not.toBe('n3');
    campaign(net, 'n2');
    expect(core(net, 'n2').role).toBe('leader');
  });

  it('§5.4.2: an old-term entry on a majority is not committed until an entry of the leader\'s term is', () => {
    const { net, ids } = makeCluster({ nodes: 5, options: { maxAppendEntries: '1' } });
    campaign(net, 'n1');
    for (const id of ['n3', 'n4', 'n5']) net.cut('n1', id);
    send(net, 'n1', { kind: 'write', key: 'a', value: 1 });
    net.deliverAll();
    expect(core(net, 'n2').log.term(2)).toBe(1);
    net.isolate('n1');
    for (let i = 0; i < 30; i += 1) net.tick('n2');
    // n2 wins term 2 and sends its log one entry per message (maxAppendEntries 1).
    const commits: number[] = [];
    let oldEntryOnMajorityUncommitted = false;
    while (net.deliverOne()) {
      const n2 = core(net, 'n2');
      commits.push(n2.commitIndex);
      const holders = ids.filter((id) => core(net, id).log.term(2) === 1).length;
      const ownTermHolders = ids.filter((id) => core(net, id).log.lastIndex() >= 3).length;
      if (n2.role === 'leader' && holders >= 3 && ownTermHolders < 3 && n2.commitIndex === 1) oldEntryOnMajorityUncommitted = true;
    }
    expect(core(net, 'n2').role).toBe('leader');
    expect(oldEntryOnMajorityUncommitted).toBe(true);
    // commitIndex jumps from 1 straight to 3 (the term-2 no-op), committing index 2 with it.
    expect(commits).not.toContain(2);
    expect(core(net, 'n2').commitIndex).toBe(3);
  });

  it('§5.5: a crashed follower is retried until it catches up after restart', () => {
    const { net } = makeCluster({ seed: 9 });
    campaign(net, 'n1');
    net.crash('n3');
    for (let i = 0; i < 10; i += 1) send(net, 'n1', { kind: 'write', key: 'a', value: i });
    net.run(5);
    expect(core(net, 'n1').commitIndex).toBe(11);
    net.restart('n3');
    runUntil(net, () => core(net, 'n3').lastApplied === 11, 20, 'n3 catches up');
    expect(core(net, 'n3').sm.read('a')).toBe(9);
  });

  it('§7: logs are compacted by snapshots, and a long-down follower catches up by InstallSnapshot', () => {
    const { net } = makeCluster({ seed: 11, options: { snapshotEntries: '5' } });
    campaign(net, 'n1');
    net.crash('n3');
    let snapshots = 0;
    net.hook((e) => {
      if (e.msg.type === 'InstallSnapshot') snapshots += 1;
      return true;
    });
    for (let i = 0; i < 30; i += 1) {
      send(net, 'n1', { kind: 'write', key: `k${i % 4}`, value: i });
      net.deliverAll();
    }
    const n1 = core(net, 'n1');
    expect(n1.log.snapshotIndex).toBeGreaterThan(20);
    expect(n1.log.lastIndex() - n1.log.snapshotIndex).toBeLessThanOrEqual(6);
    expect(net.node('n1').records.length).toBeLessThanOrEqual(10);
    net.restart('n3');
    runUntil(net, () => core(net, 'n3').lastApplied === n1.lastApplied, 30, 'n3 catches up');
    expect(snapshots).toBeGreaterThanOrEqual(1);
    expect(core(net, 'n3').sm.snapshot().data).toEqual(n1.sm.snapshot().data);
    // And n3 restored from its own records has the same state.
    net.crash('n3');
    net.restart('n3');
    expect(core(net, 'n3').log.snapshotIndex).toBeGreaterThan(0);
    runUntil(net, () => core(net, 'n3').lastApplied === n1.lastApplied, 30, 'n3 re-applies');
    expect(core(net, 'n3').sm.read('k1')).toBe(n1.sm.read('k1'));
  });

  it('Figure 2: entries are persisted in the same Effects as the AppendEntries reply that acknowledges them', () => {
    const n2 = raftCore(createRaftCore(config('n2'), []));
    const fx = n2.step('n1', append(1, 0, 0, [1, 1]));
    expect(fx.persist).toEqual([
      { kind: 'append', record: { t: 'hs', term: 1, vote: null } },
      { kind: 'append', record: { t: 'ents', from: 1, entries: append(1, 0, 0, [1, 1]).entries } },
    ]);
    expect(fx.send[0].msg).toMatchObject({ type: 'AppendEntriesReply', success: true, matchIndex: 2 });
    const restored = raftCore(createRaftCore(config('n2'), fx.persist.map((op) => (op.kind === 'append' ? op.record : null))));
    expect(restored.term).toBe(1);
    expect(restored.log.lastIndex()).toBe(2);
  });

  it('Figure 2: the durable log stays bounded while an isolated node campaigns term after term', () => {
    const { net } = makeCluster({ options: { snapshotEntries: '5' } });
    net.isolate('n3');
    for (let i = 0; i < 6000; i += 1) net.tick('n3');
    const n3 = core(net, 'n3');
    expect(n3.term).toBeGreaterThan(150);
    expect(net.node('n3').records.length).toBeLessThanOrEqual(5 + 64 + 1);
    net.crash('n3');
    net.restart('n3');
    expect(core(net, 'n3').term).toBe(n3.term);
    expect(core(net, 'n3').votedFor).toBe('n3');
  });

  it('client requests: followers reject with a redirect, duplicates are appended once', () => {
    const { net } = makeCluster();
    campaign(net, 'n1');
    net.run(1);
    const r1 = send(net, 'n2', { kind: 'write', key: 'a', value: 1 });
    expect(replyTo(net, r1)).toMatchObject({ outcome: 'reject', redirect: 'n1' });
    net.isolate('n1');
    const before = core(net, 'n1').log.lastIndex();
    const a = send(net, 'n1', { kind: 'write', key: 'a', value: 1 }, 'c9', 1);
    const b = send(net, 'n1', { kind: 'write', key: 'a', value: 1 }, 'c9', 1);
    expect(core(net, 'n1').log.lastIndex()).toBe(before + 1);
    net.heal();
    net.run(3);
    expect(replyTo(net, a)).toMatchObject({ outcome: 'ok' });
    expect(replyTo(net, b)).toMatchObject({ outcome: 'ok' });
    const c = send(net, 'n1', { kind: 'write', key: 'a', value: 1 }, 'c9', 1);
    expect(replyTo(net, c)).toMatchObject({ outcome: 'ok' });
    expect(core(net, 'n1').log.lastIndex()).toBe(before + 1);
  });
});

export type { RaftMessage };
