// rsm/primary-backup/core.test.ts — attempt 2: split brain under a partition; durable across restarts.
import { describe, expect, it } from 'vitest';
import { SimNetwork } from '../../test/support/network.ts';
import type { ClientCommand } from '../core/types.ts';
import { ACTING_PRIMARY_TICKS, createPrimaryBackupCore, type PrimaryBackupMessage } from './core.ts';

type Net = SimNetwork<PrimaryBackupMessage>;
const write = (clientId: string, seq: number, key: string, value: unknown): ClientCommand =>
  ({ clientId, seq, cmd: { kind: 'write', key, value } });
const cas = (clientId: string, seq: number, key: string, expected: unknown, value: unknown): ClientCommand =>
  ({ clientId, seq, cmd: { kind: 'cas', key, expected, value } });

function cluster(): Net {
  const net = new SimNetwork<PrimaryBackupMessage>({ seed: 2 });
  const options = { forwardTimeoutTicks: '5' };
  for (const id of ['s1', 's2']) net.addNode(id, createPrimaryBackupCore, { peers: ['s1', 's2'], options, bugs: new Set() });
  return net;
}

/** runUntilReply ticks until the request has a reply, and returns the number of ticks it took. */
function runUntilReply(net: Net, reqId: number, maxTicks = 100): number {
  for (let t = 0; t < maxTicks; t += 1) {
    if (net.replies.some((r) => r.reqId === reqId)) return t;
    net.run(1);
  }
  throw new Error(`no reply to ${reqId} within ${maxTicks} ticks`);
}

function valueAt(net: Net, node: string, reqId: number, key: string): unknown {
  net.request(node, { reqId, command: { clientId: `r${reqId}`, seq: 1, cmd: { kind: 'read', key } } });
  const reply = net.replies.find((r) => r.reqId === reqId);
  if (reply?.outcome !== 'ok' || reply.result.type !== 'ok') throw new Error(`read ${reqId} failed`);
  return reply.result.value;
}

describe('primary-backup (attempt 2)', () => {
  it('replicates to the backup and replies after its ack when nothing fails', () => {
    const net = cluster();
    net.request('s1', { reqId: 1, command: write('c', 1, 'x', 1) });
    expect(net.replies).toHaveLength(0); // waits for the backup's ack
    net.deliverAll();
    expect(net.replies[0]).toMatchObject({ reqId: 1, outcome: 'ok', node: 's1' });
    expect(valueAt(net, 's2', 2, 'x')).toBe(1);
  });

  it('a backup that coordinates a write reports itself primary while it acts as one, then backup again', () => {
    const net = cluster();
    const role = (id: string): string => net.node(id).core.status().role;
    expect([role('s1'), role('s2')]).toEqual(['primary', 'backup']);
    net.cut('s1', 's2');
    net.request('s2', { reqId: 1, command: write('C2', 1, 'x', 2) });
    runUntilReply(net, 1);
    // Both act as primary: the split brain a roles lane shows.
    expect([role('s1'), role('s2')]).toEqual(['primary', 'primary']);
    net.run(ACTING_PRIMARY_TICKS + 1);
    expect(role('s2')).toBe('backup');
  });

  it('splits the brain under a partition: two clients failing over complete conflicting writes', () => {
    const net = cluster();
    net.request('s1', { reqId: 1, command: write('c0', 1, 'x', 0) });
    runUntilReply(net, 1);
    // Partition {C1, S1} | {C2, S2}. C1 keeps using S1, which carries on alone after the timeout.
    net.cut('s1', 's2');
    net.request('s1', { reqId: 10, command: cas('C1', 1, 'x', 0, 'c1') });
    expect(runUntilReply(net, 10)).toBeGreaterThanOrEqual(4);
    // C2 cannot reach S1 (its request is lost in the partition); on its own timeout it begins using S2.
    net.request('s2', { reqId: 20, command: cas('C2', 1, 'x', 0, 'c2') });
    runUntilReply(net, 20);
    const ok = (reqId: number) => net.replies.find((r) => r.reqId === reqId);
    expect(ok(10)).toMatchObject({ outcome: 'ok', result: { type: 'ok' } });
    expect(ok(20)).toMatchObject({ outcome: 'ok', result: { type: 'ok' } });
    // Both cas 0 -> x succeeded: no sequential order allows that. After healing nothing reconciles.
    net.heal();
    net.run(20);
    expect(valueAt(net, 's1', 30, 'x')).toBe('c1');
    expect(valueAt(net, 's2', 31, 'x')).toBe('c2');
  });

  it('keeps every acknowledged write when a replica crashes and restarts', () => {
    const net = cluster();
    for (let i = 1; i <= 5; i += 1) net.request('s1', { reqId: i, command: write('c', i, `k${i}`, i) });
    net.deliverAll();
    expect(net.replies.filter((r) => r.outcome === 'ok')).toHaveLength(5);
    net.crash('s1');
    net.crash('s2');
    net.restart('s1');
    net.restart('s2');
    for (let i = 1; i <= 5; i += 1) {
      expect(valueAt(net, 's1', 100 + i, `k${i}`)).toBe(i);
      expect(valueAt(net, 's2', 200 + i, `k${i}`)).toBe(i);
    }
  });
});
