// rsm/gossip/core.test.ts — the gossip rules on the in-memory network: accept locally, stale reads, anti-entropy, LWW.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SimNetwork } from '../../test/support/network.ts';
import type { ClientCommand, KvResult, Stamp } from '../core/types.ts';
import { createGossipCore, type GossipMessage } from './core.ts';
import { compareStamps } from './stamp.ts';

const NODES = ['n1', 'n2', 'n3'];
const write = (clientId: string, seq: number, key: string, value: unknown): ClientCommand => ({ clientId, seq, cmd: { kind: 'write', key, value } });

function cluster(seed = 1, bugs: string[] = [], options: Record<string, string> = {}): SimNetwork<GossipMessage> {
  const net = new SimNetwork<GossipMessage>({ seed });
  for (const id of NODES) net.addNode(id, createGossipCore, { peers: NODES, options, bugs: new Set(bugs) });
  return net;
}

let nextReqId = 1;
/** ask sends one request and returns the node's result (gossip answers every request at once). */
function ask(net: SimNetwork<GossipMessage>, node: string, command: ClientCommand): KvResult {
  const reqId = nextReqId++;
  net.request(node, { reqId, command });
  const reply = net.replies.find((r) => r.reqId === reqId);
  if (reply?.outcome !== 'ok') throw new Error(`no ok reply to request ${reqId} at ${node}`);
  return reply.result;
}
const readAt = (net: SimNetwork<GossipMessage>, node: string, key: string): KvResult =>
  ask(net, node, { clientId: `reader-${nextReqId}`, seq: 1, cmd: { kind: 'read', key } });
const stampOf = (r: KvResult): Stamp => {
  if (r.type !== 'ok' || r.stamp === undefined || r.stamp === null) throw new Error(`no stamp in ${JSON.stringify(r)}`);
  return r.stamp;
};

describe('gossip rules', () => {
  it('accept-locally: a cut-off replica acknowledges a write at once, stamped (clock, node)', () => {
    const net = cluster();
    net.isolate('n1');
    const result = ask(net, 'n1', write('a', 1, 'x', 7));
    expect(result).toEqual({ type: 'ok', stamp: [1, 'n1'] });
    expect(net.node('n1').records.length).toBe(1); // persisted in the same effects as the reply
  });

  it('read-locally: a replica that has not heard of a write answers the older value (a stale read)', () => {
    const net = cluster();
    net.isolate('n1');
    ask(net, 'n1', write('a', 1, 'x', 7));
    net.run(50);
    expect(readAt(net, 'n2', 'x')).toEqual({ type: 'ok', value: null, stamp: null });
  });

  it('anti-entropy: once the partition heals, every replica gets the write', () => {
    const net = cluster();
    net.isolate('n1');
    ask(net, 'n1', write('a', 1, 'x', 7));
    net.run(50);
    net.heal();
    net.run(100);
    for (const n of NODES) expect(readAt(net, n, 'x')).toEqual({ type: 'ok', value: 7, stamp: [1, 'n1'] });
  });

  it('last-writer-wins: concurrent writes on both sides converge to the higher stamp; the other is superseded', () => {
    const net = cluster();
    net.partition([['n1'], ['n2', 'n3']]);
    ask(net, 'n2', write('b', 1, 'x', 'early'));
    ask(net, 'n2', write('b', 2, 'x', 'later')); // stamp [2, n2]
    const lone = ask(net, 'n1', write('a', 1, 'x', 'lone')); // stamp [1, n1]: lower
    net.heal();
    net.run(100);
    for (const n of NODES) expect(readAt(net, n, 'x')).toMatchObject({ value: 'later', stamp: [2, 'n2'] });
    expect(compareStamps(stampOf(lone), [2, 'n2'])).toBeLessThan(0);
  });

  it('Lamport IR2: a write after hearing a peer\'s write gets a higher stamp, so it wins', () => {
    const net = cluster();
    ask(net, 'n2', write('b', 1, 'x', 'b1'));
    ask(net, 'n2', write('b', 2, 'x', 'b2'));
    ask(net, 'n2', write('b', 3, 'x', 'b3')); // n2's clock is 3
    net.run(100);
    const after = ask(net, 'n1', write('a', 1, 'x', 'a1'));
    expect(stampOf(after)[0]).toBe(4);
    net.run(100);
    for (const n of NODES) expect(readAt(net, n, 'x')).toMatchObject({ value: 'a1' });
  });

  it('cas compares against the local copy only: both sides of a partition can succeed', () => {
    const net = cluster();
    ask(net, 'n1', write('a', 1, 'x', 0));
    net.run(100);
    net.partition([['n1'], ['n2', 'n3']]);
    const cas = (client: string, node: string, value: number) => ask(net, node, { clientId: client, seq: 1, cmd: { kind: 'cas', key: 'x', expected: 0, value } });
    expect(cas('c1', 'n1', 1).type).toBe('ok');
    expect(cas('c2', 'n2', 2).type).toBe('ok');
    net.run(100); // n2's write reaches n3 on their side of the cut
    expect(cas('c3', 'n3', 3).type).toBe('fail'); // n3 now holds 2
  });

  it('a retried write (same client and seq) is answered again, not stamped twice', () => {
    const net = cluster();
    const first = ask(net, 'n1', write('a', 1, 'x', 1));
    const again = ask(net, 'n1', write('a', 1, 'x', 1));
    expect(again).toEqual(first);
  });

  it('a restarted replica keeps its writes, vector and clock, through compaction', () => {
    const net = cluster(1, [], { snapshotEvery: '3' });
    for (let i = 1; i <= 7; i += 1) ask(net, 'n1', write('a', i, `k${i}`, i));
    net.crash('n1');
    net.restart('n1');
    expect(net.node('n1').records.length).toBeLessThan(7);
    for (let i = 1; i <= 7; i += 1) expect(readAt(net, 'n1', `k${i}`)).toEqual({ type: 'ok', value: i, stamp: [i, 'n1'] });
    expect(stampOf(ask(net, 'n1', write('a', 8, 'k1', 'new')))).toEqual([8, 'n1']);
  });

  it('bug no-anti-entropy: replicas never exchange updates, so copies never converge', () => {
    const net = cluster(1, ['no-anti-entropy']);
    ask(net, 'n1', write('a', 1, 'x', 'from-n1'));
    net.run(500);
    expect(net.deliveredCount).toBe(0);
    expect(readAt(net, 'n2', 'x')).toMatchObject({ value: null });
  });
});

describe('gossip convergence (randomized)', () => {
  it('after random writes under random drops and cuts, then a heal, every replica holds the highest stamp of every key', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
      const net = new SimNetwork<GossipMessage>({ seed, reorder: true });
      for (const id of NODES) net.addNode(id, createGossipCore, { peers: NODES, options: {}, bugs: new Set() });
      const acked: Array<{ key: string; stamp: Stamp }> = [];
      for (let i = 0; i < 60; i += 1) {
        const node = NODES[net.rng.int(NODES.length)];
        const key = `k${net.rng.int(3)}`;
        if (i % 20 === 0) net.cut(NODES[net.rng.int(3)], NODES[net.rng.int(3)]);
        if (i % 15 === 0) net.drop(node, NODES[(NODES.indexOf(node) + 1) % 3], 0.5);
        if (i === 30) { net.crash(node); net.restart(node); }
        acked.push({ key, stamp: stampOf(ask(net, node, write(node, i + 1, key, i))) });
        net.run(net.rng.int(4));
      }
      net.heal();
      net.run(300);
      for (const key of ['k0', 'k1', 'k2']) {
        const finals = NODES.map((n) => readAt(net, n, key));
        expect(new Set(finals.map((f) => JSON.stringify(f))).size).toBe(1);
        const top = finals[0].type === 'ok' ? finals[0].stamp : null;
        for (const w of acked.filter((a) => a.key === key)) expect(top !== null && top !== undefined && compareStamps(w.stamp, top) <= 0).toBe(true);
      }
    }), { numRuns: 25 });
  });
});
