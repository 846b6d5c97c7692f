// test/raft/reads.test.ts — the read paths: any (stale), readindex (safe), lease (safe only
// while clocks agree: a leader whose clock runs behind serves a stale read).
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../../rsm/core/types.ts';
import { campaign, core, leaders, makeCluster, type RaftNet, replyTo, runUntil, send } from './support.ts';

/** writeAndApply writes through the leader and waits until every reachable node applied it. */
function writeAndApply(net: RaftNet, leader: NodeId, key: string, value: unknown, ids: NodeId[]): void {
  const req = send(net, leader, { kind: 'write', key, value });
  runUntil(net, () => replyTo(net, req)?.outcome === 'ok', 20, `write ${key}=${value}`);
  const target = core(net, leader).commitIndex;
  runUntil(net, () => ids.every((id) => core(net, id).lastApplied >= target), 20, 'apply everywhere');
}

/**
 * partitionedOldLeader: n1 leads and x=1 is everywhere; then n1 is cut off, its clock jumps
 * back by skewMs, n2/n3 elect a leader and write x=2; finally a client reads x at n1.
 */
function partitionedOldLeader(reads: string, skewMs: number) {
  const offsets = new Map<NodeId, number>();
  const { net } = makeCluster({
    options: { reads },
    clockFor: (id) => ({ nowMs: () => net.clock.nowMs() + (offsets.get(id) ?? 0) }),
  });
  campaign(net, 'n1');
  net.run(3);
  writeAndApply(net, 'n1', 'x', 1, ['n1', 'n2', 'n3']);
  const fresh = send(net, 'n1', { kind: 'read', key: 'x' });
  runUntil(net, () => replyTo(net, fresh) !== undefined, 10, 'a read at the leader');
  expect(replyTo(net, fresh)).toMatchObject({ outcome: 'ok', result: { value: 1 } });

  net.isolate('n1');
  offsets.set('n1', -skewMs);
  runUntil(net, () => leaders(net).some((l) => l.id !== 'n1'), 200, 'a new leader');
  const newLeader = leaders(net).find((l) => l.id !== 'n1')?.id as NodeId;
  writeAndApply(net, newLeader, 'x', 2, ['n2', 'n3']);
  expect(core(net, 'n1').role).toBe('leader');
  const late = send(net, 'n1', { kind: 'read', key: 'x' });
  net.run(5);
  return { net, late };
}

describe('Raft read paths', () => {
  it("reads=any: a partitioned follower answers from its own, stale state", () => {
    const { net } = makeCluster({ options: { reads: 'any' } });
    campaign(net, 'n1');
    net.run(2);
    writeAndApply(net, 'n1', 'x', 1, ['n1', 'n2', 'n3']);
    net.isolate('n3');
    writeAndApply(net, 'n1', 'x', 2, ['n1', 'n2']);
    const stale = send(net, 'n3', { kind: 'read', key: 'x' });
    expect(replyTo(net, stale)).toMatchObject({ outcome: 'ok', result: { type: 'ok', value: 1 } });
    const fresh = send(net, 'n1', { kind: 'read', key: 'x' });
    expect(replyTo(net, fresh)).toMatchObject({ outcome: 'ok', result: { value: 2 } });
  });

  it('reads=readindex: a read waits for a majority round; a deposed leader never answers stale', () => {
    const { net, late } = partitionedOldLeader('readindex', 10_000);
    expect(replyTo(net, late)).toBeUndefined();
    net.heal();
    net.run(5);
    expect(replyTo(net, late)).toMatchObject({ outcome: 'reject' });
  });

  it("reads=readindex: a new leader waits for its no-op before serving, as its commitIndex may lag", () => {
    const { net } = makeCluster({ options: { reads: 'readindex' } });
    campaign(net, 'n1');
    net.run(2);
    // x=1 commits on n1 and n2; n1 crashes before telling n2 the new commit index.
    net.cut('n1', 'n3');
    const write = send(net, 'n1', { kind: 'write', key: 'x', value: 1 });
    net.deliverAll();
    expect(replyTo(net, write)).toMatchObject({ outcome: 'ok' });
    net.crash('n1');
    expect(core(net, 'n2').commitIndex).toBe(1);
    for (let i = 0; i < 40 && core(net, 'n2').role === 'follower'; i += 1) net.tick('n2');
    while (core(net, 'n2').role !== 'leader' && net.deliverOne());
    expect(core(net, 'n2').commitIndex).toBe(1);
    // The round of this read is confirmed by n3 before n2 learns that x=1 is committed.
    const read = send(net, 'n2', { kind: 'read', key: 'x' });
    net.deliverAll();
    expect(replyTo(net, read)).toMatchObject({ outcome: 'ok', result: { value: 1 } });
  });

  it('reads=lease: served locally while the lease holds, and not after it lapsed (clocks agree)', () => {
    const { net } = makeCluster({ options: { reads: 'lease' } });
    campaign(net, 'n1');
    net.run(3);
    writeAndApply(net, 'n1', 'x', 1, ['n1', 'n2', 'n3']);
    const local = send(net, 'n1', { kind: 'read', key: 'x' });
    // Answered inside request(), before any message moved: no round trip.
    expect(replyTo(net, local)).toMatchObject({ outcome: 'ok', result: { value: 1 } });
    const { net: net2, late } = partitionedOldLeader('lease', 0);
    expect(replyTo(net2, late)).toBeUndefined();
    net2.heal();
    net2.run(5);
    expect(replyTo(net2, late)).toMatchObject({ outcome: 'reject' });
  });

  it('reads=lease: a leader whose clock runs behind keeps its lease and serves a stale read', () => {
    const { net, late } = partitionedOldLeader('lease', 10_000);
    expect(replyTo(net, late)).toMatchObject({ outcome: 'ok', result: { value: 1 } });
    expect(core(net, leaders(net).find((l) => l.id !== 'n1')?.id as NodeId).sm.read('x')).toBe(2);
  });

  it('reads=lease: a follower that hears the leader ignores vote requests (§6), so no rival leader commits during the lease', () => {
    const { net } = makeCluster({ options: { reads: 'lease' } });
    campaign(net, 'n1');
    net.run(3);
    writeAndApply(net, 'n1', 'x', 1, ['n1', 'n2', 'n3']);
    // n3 loses n1 but still reaches n2, which keeps hearing n1 and acking its lease rounds.
    net.cut('n1', 'n3');
    campaign(net, 'n3');
    campaign(net, 'n3');
    expect(core(net, 'n3').role).toBe('candidate');
    expect(core(net, 'n2').term).toBe(1);
    const w = send(net, 'n3', { kind: 'write', key: 'x', value: 2 });
    net.deliverAll();
    expect(replyTo(net, w)).toMatchObject({ outcome: 'reject' });
    const read = send(net, 'n1', { kind: 'read', key: 'x' });
    expect(replyTo(net, read)).toMatchObject({ outcome: 'ok', result: { value: 1 } });
    expect(core(net, 'n2').sm.read('x')).toBe(1);
  });

  it('reads=lease: a follower restarted from its records waits an election timeout before voting', () => {
    const { net } = makeCluster({ options: { reads: 'lease' } });
    campaign(net, 'n1');
    net.run(3);
    net.cut('n1', 'n3');
    net.crash('n2');
    net.restart('n2');
    net.cut('n1', 'n2');
    campaign(net, 'n3');
    expect(core(net, 'n3').role).toBe('candidate');
    expect(core(net, 'n2').votedFor).not.toBe('n3');
    // Once the restarted node has waited out the minimum election timeout, it votes again.
    for (let i = 0; i < 15; i += 1) net.tick('n2');
    campaign(net, 'n3');
    expect(core(net, 'n3').role).toBe('leader');
  });
});
