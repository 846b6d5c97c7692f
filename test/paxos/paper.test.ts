// test/paxos/paper.test.ts — one test per rule of Lamport, "Paxos Made Simple", on the in-memory network.
import { describe, expect, it } from 'vitest';
import { Acceptor } from '../../rsm/paxos/acceptor.ts';
import { compareBallots, nextBallot } from '../../rsm/paxos/ballot.ts';
import { adoptValues } from '../../rsm/paxos/proposer.ts';
import type { PromiseReply } from '../../rsm/paxos/types.ts';
import { core, elect, leaders, makeCluster, replyTo, runUntil, send } from './support.ts';

const b = (round: number, node: string) => ({ round, node });
const cmd = (seq: number, value: unknown) => ({ clientId: 'c', seq, cmd: { kind: 'write' as const, key: 'k', value } });

describe('§2.2 proposal numbers', () => {
  it('are totally ordered and disjoint per proposer; a new one is above every one seen', () => {
    expect(compareBallots(b(1, 'n2'), b(1, 'n1'))).toBeGreaterThan(0);
    expect(compareBallots(b(2, 'n1'), b(1, 'n3'))).toBeGreaterThan(0);
    expect(compareBallots(nextBallot(b(4, 'n3'), 'n1'), b(4, 'n3'))).toBeGreaterThan(0);
  });
});

describe('§2.3 phase 1(b) and P1a (acceptor)', () => {
  it('promises a prepare numbered above every one answered, and refuses a lower one', () => {
    const a = new Acceptor();
    expect(a.promise(b(2, 'n1'))).toBe(true);
    expect(a.promise(b(1, 'n3'))).toBe(false);
    expect(a.promised).toEqual(b(2, 'n1'));
  });

  it('P1a: accepts a proposal unless it answered a higher-numbered prepare', () => {
    const a = new Acceptor();
    a.promise(b(2, 'n2'));
    expect(a.accept(b(1, 'n1'), 1, cmd(1, 'x'))).toBe(false);
    expect(a.accept(b(2, 'n2'), 1, cmd(2, 'y'))).toBe(true);
    expect(a.accept(b(3, 'n3'), 1, cmd(3, 'z'))).toBe(true);
    expect(a.acceptedAt(1)?.ballot).toEqual(b(3, 'n3'));
    expect(a.promised).toEqual(b(3, 'n3'));
  });

  it('a promise is durable before the reply leaves, and survives a restart (§2.3, last paragraph)', () => {
    const { net } = makeCluster();
    elect(net, 'n1');
    net.crash('n2');
    net.restart('n2');
    expect(core(net, 'n2').acceptor.promised).toEqual(b(1, 'n1'));
  });
});

describe('§2.2 P2c (proposer adopts the highest-numbered accepted value)', () => {
  it('per slot, takes the value of the highest ballot any promising acceptor accepted', () => {
    const promise = (accepted: PromiseReply['accepted']): PromiseReply => ({ type: 'Promise', ballot: b(5, 'n1'), snapshot: null, accepted });
    const adopted = adoptValues([
      promise([{ slot: 1, ballot: b(1, 'n1'), value: cmd(1, 'old') }, { slot: 2, ballot: b(3, 'n2'), value: cmd(2, 'two') }]),
      promise([{ slot: 1, ballot: b(2, 'n3'), value: cmd(3, 'new') }]),
    ], 1);
    expect(adopted.get(1)).toEqual(cmd(3, 'new'));
    expect(adopted.get(2)).toEqual(cmd(2, 'two'));
    expect(adopted.has(3)).toBe(false);
  });

  it('a new leader finishes the old leader\'s accepted but unlearned proposal with the same value', () => {
    const { net } = makeCluster();
    elect(net, 'n1');
    let lossy = true;
    net.hook((e) => !(lossy && e.msg.type === 'Accepted'));
    const w = send(net, 'n1', { kind: 'write', key: 'x', value: 'kept' });
    net.deliverAll();
    expect(replyTo(net, w)).toBeUndefined();
    expect(core(net, 'n2').acceptor.acceptedAt(1)?.value).toMatchObject({ cmd: { value: 'kept' } });
    net.crash('n1');
    lossy = false;
    elect(net, 'n2');
    net.run(5);
    expect(core(net, 'n2').sm.read('x')).toBe('kept');
    expect(core(net, 'n3').sm.read('x')).toBe('kept');
  });
});

describe('§3 The Implementation: the distinguished proposer', () => {
  it('runs phase 1 once for every open slot, then only phase 2 per command', () => {
    const { net } = makeCluster();
    elect(net, 'n1');
    const types: string[] = [];
    net.hook((e) => {
      types.push(e.msg.type);
      return true;
    });
    for (let i = 0; i < 5; i += 1) send(net, 'n1', { kind: 'write', key: 'x', value: i });
    net.deliverAll();
    expect(types).not.toContain('Prepare');
    expect(types.filter((t) => t === 'Accept')).toHaveLength(10);
    expect(core(net, 'n1').learner.appliedThrough).toBe(5);
  });

  it('fills a gap no acceptor of the majority accepted anything in with a no-op', () => {
    const { net } = makeCluster();
    elect(net, 'n1');
    // Slot 1's accepts are lost, slot 2's arrive: n2 holds slot 2 only.
    let lossy = true;
    net.hook((e) => !(lossy && e.msg.type === 'Accept' && e.msg.slot === 1));
    send(net, 'n1', { kind: 'write', key: 'a', value: 1 });
    send(net, 'n1', { kind: 'write', key: 'b', value: 2 });
    net.crash('n1');
    net.deliverAll();
    lossy = false;
    expect(core(net, 'n2').acceptor.acceptedAt(1)).toBeUndefined();
    expect(core(net, 'n2').acceptor.acceptedAt(2)).toBeDefined();
    elect(net, 'n2');
    net.run(5);
    const n2 = core(net, 'n2');
    expect(n2.learner.appliedThrough).toBe(2);
    expect(n2.sm.read('a')).toBeNull();
    expect(n2.sm.read('b')).toBe(2);
  });

  it('a deposed leader that hears of a higher ballot abandons its own (Nack, §2.3)', () => {
    const { net } = makeCluster();
    elect(net, 'n1');
    net.isolate('n1');
    elect(net, 'n2');
    net.heal();
    send(net, 'n1', { kind: 'write', key: 'x', value: 1 });
    net.deliverAll();
    expect(leaders(net)).toEqual(['n2']);
  });
});

describe('§2.4 learning and catch-up', () => {
  it('the leader, as distinguished learner, tells the others what was chosen', () => {
    const { net } = makeCluster();
    elect(net, 'n1');
    send(net, 'n1', { kind: 'write', key: 'x', value: 7 });
    net.deliverAll();
    expect(['n2', 'n3'].map((id) => core(net, id).sm.read('x'))).toEqual([7, 7]);
  });

  it('a lagging learner catches up from the leader, by snapshot once the leader compacted', () => {
    const { net } = makeCluster({ options: { snapshotEntries: '3' } });
    elect(net, 'n1');
    net.crash('n3');
    for (let i = 0; i < 10; i += 1) send(net, 'n1', { kind: 'write', key: `k${i}`, value: i });
    net.deliverAll();
    expect(core(net, 'n1').snapshot?.slot).toBeGreaterThan(3);
    net.restart('n3');
    runUntil(net, () => core(net, 'n3').learner.appliedThrough === 10, 100, 'n3 catches up');
    expect(core(net, 'n3').status().snapshotsInstalled).toBe(1);
    expect(core(net, 'n3').sm.read('k9')).toBe(9);
  });

  it('a new leader that lags catches up from the promising majority (its snapshot), then serves', () => {
    const { net } = makeCluster({ options: { snapshotEntries: '3' } });
    elect(net, 'n1');
    net.crash('n3');
    for (let i = 0; i < 10; i += 1) send(net, 'n1', { kind: 'write', key: `k${i}`, value: i });
    net.deliverAll();
    net.crash('n1');
    net.restart('n3');
    elect(net, 'n3');
    expect(leaders(net)).toEqual(['n3']);
    expect(core(net, 'n3').sm.read('k9')).toBe(9);
  });
});

describe('client dedup', () => {
  it('a retried command (same client and seq) is applied once and answered from the session table', () => {
    const { net } = makeCluster();
    elect(net, 'n1');
    send(net, 'n1', { kind: 'cas', key: 'x', expected: null, value: 1 }, 'c9', 1);
    net.deliverAll();
    const again = send(net, 'n1', { kind: 'cas', key: 'x', expected: null, value: 1 }, 'c9', 1);
    net.deliverAll();
    expect(replyTo(net, again)).toMatchObject({ outcome: 'ok', result: { type: 'ok' } });
    expect(core(net, 'n1').learner.appliedThrough).toBe(1);
  });
});
