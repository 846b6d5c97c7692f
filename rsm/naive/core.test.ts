// rsm/naive/core.test.ts — attempt 1 diverges without faults; its copies survive crash restarts.
import { describe, expect, it } from 'vitest';
import { SimNetwork } from '../../test/support/network.ts';
import type { ClientCommand } from '../core/types.ts';
import { createNaiveCore, type NaiveMessage } from './core.ts';

const write = (clientId: string, seq: number, key: string, value: unknown): ClientCommand =>
  ({ clientId, seq, cmd: { kind: 'write', key, value } });
const read = (clientId: string, seq: number, key: string): ClientCommand => ({ clientId, seq, cmd: { kind: 'read', key } });

function cluster(options: Record<string, string> = {}): SimNetwork<NaiveMessage> {
  const net = new SimNetwork<NaiveMessage>({ seed: 1 });
  for (const id of ['n1', 'n2']) net.addNode(id, createNaiveCore, { peers: ['n1', 'n2'], options, bugs: new Set() });
  return net;
}

function readAt(net: SimNetwork<NaiveMessage>, node: string, reqId: number, key: string): unknown {
  net.request(node, { reqId, command: read(`reader-${reqId}`, 1, key) });
  const reply = net.replies.find((r) => r.reqId === reqId);
  if (reply?.outcome !== 'ok') throw new Error(`no ok reply to read ${reqId}`);
  return reply.result.type === 'ok' ? reply.result.value : undefined;
}

describe('naive (attempt 1)', () => {
  it('diverges when two clients fan the same concurrent writes out in different orders', () => {
    const net = cluster();
    // Client A's fan-out reaches n1 first; client B's reaches n2 first: no fault at all.
    net.request('n1', { reqId: 1, command: write('A', 1, 'x', 'a') });
    net.request('n2', { reqId: 2, command: write('B', 1, 'x', 'b') });
    net.request('n2', { reqId: 3, command: write('A', 1, 'x', 'a') });
    net.request('n1', { reqId: 4, command: write('B', 1, 'x', 'b') });
    expect(net.replies.filter((r) => r.outcome === 'ok')).toHaveLength(4);
    expect(net.queue).toHaveLength(0); // replicas never talk to each other
    expect(readAt(net, 'n1', 10, 'x')).toBe('b');
    expect(readAt(net, 'n2', 11, 'x')).toBe('a');
  });

  it('keeps every acknowledged write across a crash restart, through compaction', () => {
    const net = cluster({ snapshotEvery: '3' });
    for (let i = 1; i <= 7; i += 1) net.request('n1', { reqId: i, command: write('c', i, `k${i}`, i) });
    net.crash('n1');
    net.restart('n1');
    expect(net.node('n1').records.length).toBeLessThan(7); // compacted
    for (let i = 1; i <= 7; i += 1) expect(readAt(net, 'n1', 100 + i, `k${i}`)).toBe(i);
    // The dedup table survived too: a retried write gets its first reply without applying twice.
    const before = net.node('n1').core.status().appliedIndex;
    net.request('n1', { reqId: 200, command: write('c', 7, 'k7', 'again') });
    expect(net.node('n1').core.status().appliedIndex).toBe(before);
    expect(readAt(net, 'n1', 201, 'k7')).toBe(7);
  });
});
