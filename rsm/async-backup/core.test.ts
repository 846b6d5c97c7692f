// rsm/async-backup/core.test.ts — the primary acks before forwarding: a failover loses acknowledged writes.
import { describe, expect, it } from 'vitest';
import { SimNetwork } from '../../test/support/network.ts';
import type { ClientCommand } from '../core/types.ts';
import { createAsyncBackupCore, type AsyncBackupMessage } from './core.ts';

type Net = SimNetwork<AsyncBackupMessage>;
const write = (clientId: string, seq: number, key: string, value: unknown): ClientCommand =>
  ({ clientId, seq, cmd: { kind: 'write', key, value } });

function cluster(): Net {
  const net = new SimNetwork<AsyncBackupMessage>({ seed: 3 });
  const options = { heartbeatIntervalTicks: '4', deadBeats: '3' };
  for (const id of ['s1', 's2']) net.addNode(id, createAsyncBackupCore, { peers: ['s1', 's2'], options, bugs: new Set() });
  return net;
}

function readAt(net: Net, node: string, reqId: number, key: string): { outcome: string; value?: unknown } {
  net.request(node, { reqId, command: { clientId: `r${reqId}`, seq: 1, cmd: { kind: 'read', key } } });
  const reply = net.replies.find((r) => r.reqId === reqId);
  if (reply === undefined) throw new Error(`no reply to read ${reqId}`);
  if (reply.outcome !== 'ok') return { outcome: reply.outcome };
  return { outcome: 'ok', value: reply.result.type === 'ok' ? reply.result.value : undefined };
}

describe('async-backup', () => {
  it('forwards in order on heartbeats, and the backup redirects clients to the primary', () => {
    const net = cluster();
    net.request('s1', { reqId: 1, command: write('c', 1, 'x', 1) });
    net.request('s1', { reqId: 2, command: write('c', 2, 'x', 2) });
    expect(net.replies.map((r) => r.outcome)).toEqual(['ok', 'ok']); // before any message moved
    net.run(10);
    net.request('s2', { reqId: 3, command: write('d', 1, 'x', 3) });
    expect(net.replies.at(-1)).toMatchObject({ reqId: 3, outcome: 'reject', redirect: 's1' });
    expect(net.node('s2').core.status()).toMatchObject({ role: 'backup', seq: 2 });
  });

  it('loses a write acknowledged by the primary when it crashes before forwarding and the backup takes over', () => {
    const net = cluster();
    net.request('s1', { reqId: 1, command: write('c', 1, 'x', 'replicated') });
    net.run(10);
    net.request('s1', { reqId: 2, command: write('c', 2, 'x', 'acked-then-lost') });
    expect(net.replies.at(-1)).toMatchObject({ reqId: 2, outcome: 'ok' });
    net.crash('s1'); // before the next heartbeat forwarded it
    let ticks = 0;
    while (net.node('s2').core.status().role !== 'primary' && ticks < 100) {
      net.run(1);
      ticks += 1;
    }
    expect(net.node('s2').core.status().role).toBe('primary');
    // It waited for deadBeats missed heartbeats (3 x 4 ticks, the last one heard up to 4 ticks before the crash).
    expect(ticks).toBeGreaterThanOrEqual(3 * 4 - 4);
    expect(readAt(net, 's2', 10, 'x')).toEqual({ outcome: 'ok', value: 'replicated' });
    // The old primary comes back with the write on disk, steps down and resynchronises: gone for good.
    net.restart('s1');
    expect(readAt(net, 's1', 11, 'x')).toEqual({ outcome: 'ok', value: 'acked-then-lost' });
    net.run(30);
    expect(net.node('s1').core.status().role).toBe('backup');
    expect(readAt(net, 's2', 12, 'x')).toEqual({ outcome: 'ok', value: 'replicated' });
    expect(readAt(net, 's1', 13, 'x')).toEqual({ outcome: 'reject' });
    net.crash('s2');
    net.run(30);
    expect(net.node('s1').core.status().role).toBe('primary');
    expect(readAt(net, 's1', 14, 'x')).toEqual({ outcome: 'ok', value: 'replicated' });
  });

  it('keeps every acknowledged write across a crash restart of the primary and the backup', () => {
    const net = cluster();
    for (let i = 1; i <= 6; i += 1) net.request('s1', { reqId: i, command: write('c', i, `k${i}`, i) });
    net.run(5);
    net.crash('s1');
    net.crash('s2');
    net.restart('s1');
    net.restart('s2');
    for (let i = 1; i <= 6; i += 1) expect(readAt(net, 's1', 100 + i, `k${i}`)).toEqual({ outcome: 'ok', value: i });
    net.request('s1', { reqId: 200, command: write('c', 7, 'k7', 7) });
    net.run(10);
    expect(net.node('s2').core.status()).toMatchObject({ role: 'backup', seq: 7 });
  });

  it('drops a replicate or snapshot whose epoch its sender does not own (epoch e is peers[e mod n]\'s)', () => {
    const net = cluster();
    net.run(10);
    // Epoch 0 is s1's: s2 claiming it used to trip "same epoch, same primary" on s1.
    const claims: AsyncBackupMessage[] = [
      { type: 'replicate', epoch: 0, entries: [] },
      { type: 'snapshot', epoch: 2, seq: 0, snapshot: { data: [], sessions: [], appliedIndex: 0 } },
    ];
    for (const msg of claims) expect(net.node('s1').core.step('s2', msg)).toEqual({ persist: [], send: [], reply: [] });
    expect(net.node('s1').core.status()).toMatchObject({ role: 'primary', view: 0 });
    // Its own epoch (1 = 0·2 + index 1) it may claim: s1 steps down to it.
    net.node('s1').core.step('s2', { type: 'replicate', epoch: 1, entries: [] });
    expect(net.node('s1').core.status()).toMatchObject({ role: 'backup', view: 1, primary: 's2' });
  });
});
