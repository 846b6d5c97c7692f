// rsm/viewservice/rules.test.ts — one test per rule of the view service design (attempt 3, lab 2).
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../core/types.ts';
import type { View, ViewServiceMessage } from './messages.ts';
import { VsCluster } from '../../test/support/viewservice-cluster.ts';

const PING = 5;
const DEAD_PINGS = 3;

/** settled: the view server has primary p and backup b, acknowledged, with the transfer reported done. */
function settled(c: VsCluster, p: NodeId, b: NodeId | null): boolean {
  const vs = c.status('vs');
  return vs.primary === p && vs.backup === b && vs.acked === true && (b === null || vs.backupReady === true);
}

function threeServers(seed = 1): VsCluster {
  const c = new VsCluster({ seed, replicas: ['s1', 's2', 's3'] });
  c.runUntil(() => settled(c, 's1', 's2'), 200, 'view {s1, s2}');
  return c;
}

/** viewLog records every view the view server went through, after every action. */
function viewLog(c: VsCluster): View[] {
  const views: View[] = [];
  c.monitors.push(() => {
    const s = c.status('vs');
    const view = { viewnum: s.view ?? 0, primary: s.primary ?? null, backup: (s.backup as NodeId | null) ?? null };
    if (views.length === 0 || views[views.length - 1].viewnum !== view.viewnum) views.push(view);
  });
  return views;
}

describe('view service rules', () => {
  it('Rule: the view server does not move to view n+1 until the primary acknowledged view n', () => {
    const c = new VsCluster({ seed: 1, replicas: ['s1', 's2', 's3'], start: ['s1'] });
    c.runUntil(() => settled(c, 's1', null), 100, 'view {s1}');
    let blockAcks = true;
    c.net.hook((e) => !(blockAcks && e.from === 's1' && e.msg.type === 'ping' && e.msg.viewnum >= 2));
    c.addReplica('s2');
    c.runUntil(() => c.status('vs').backup === 's2', 100, 'view {s1, s2}');
    expect(c.status('vs')).toMatchObject({ view: 2, acked: false });
    c.net.crash('s2'); // the backup of view 2 dies, an idle server is available
    c.addReplica('s3');
    c.runTicks(10 * DEAD_PINGS * PING);
    expect(c.status('vs')).toMatchObject({ view: 2, primary: 's1', backup: 's2', acked: false });
    blockAcks = false;
    c.runUntil(() => settled(c, 's1', 's3'), 100, 'view {s1, s3}');
    expect(c.status('vs').view).toBe(3);
  });

  it('Rule: the primary of view n+1 was the primary or backup of view n (stuck otherwise)', () => {
    const c = threeServers();
    const views = viewLog(c);
    c.net.crash('s1');
    c.runUntil(() => settled(c, 's2', 's3'), 200, 'view {s2, s3}');
    c.net.crash('s2');
    c.runUntil(() => settled(c, 's3', null), 200, 'view {s3}');
    c.net.crash('s3'); // the primary dies with no backup: stuck, by design
    c.runTicks(2 * DEAD_PINGS * PING);
    c.net.restart('s1'); // an idle server is alive, but it was in neither role of the last view
    c.runTicks(20 * DEAD_PINGS * PING);
    expect(c.status('vs')).toMatchObject({ primary: 's3', backup: null });
    expect(c.status('s1').role).toBe('idle');
    const r = c.write('s1', 'x', 1);
    expect(c.op(r).reply).toMatchObject({ outcome: 'reject', redirect: 's3' });
    for (let i = 1; i < views.length; i += 1) {
      expect([views[i - 1].primary, views[i - 1].backup]).toContain(views[i].primary);
    }
    expect(views.map((v) => v.primary)).toEqual(['s1', 's2', 's3']);
  });

  it('Rule: a server is dead after DeadPings missed ping intervals', () => {
    const c = threeServers();
    c.net.crash('s2');
    const ticks = c.runUntil(() => c.status('vs').backup !== 's2', 200, 'backup replaced');
    // The last ping arrived at most one interval before the crash.
    expect(ticks).toBeGreaterThanOrEqual((DEAD_PINGS - 1) * PING);
    expect(ticks).toBeLessThanOrEqual(DEAD_PINGS * PING + 1);
    expect(c.status('vs')).toMatchObject({ primary: 's1', backup: 's3' });
  });

  it('Rule: an idle server recruited as backup receives the full state from the primary', () => {
    const c = new VsCluster({ seed: 2, replicas: ['s1', 's2'], start: ['s1'] });
    c.runUntil(() => settled(c, 's1', null), 100, 'view {s1}');
    const writes = Array.from({ length: 20 }, (_, i) => c.write('s1', `k${i}`, i));
    for (const w of writes) expect(c.op(w).reply?.outcome).toBe('ok');
    c.addReplica('s2');
    c.runUntil(() => settled(c, 's1', 's2'), 100, 'view {s1, s2}');
    expect(c.status('s2').appliedIndex).toBe(c.status('s1').appliedIndex);
    c.net.crash('s1');
    c.runUntil(() => c.status('s2').role === 'primary', 200, 's2 promoted');
    for (let i = 0; i < 20; i += 1) expect(c.okValue(c.complete(c.read('s2', `k${i}`)))).toBe(i);
  });

  it('Rule: a backup whose state transfer did not complete is never promoted', () => {
    const c = new VsCluster({ seed: 3, replicas: ['s1', 's2'], start: ['s1'] });
    c.runUntil(() => settled(c, 's1', null), 100, 'view {s1}');
    c.write('s1', 'x', 1);
    c.net.hook((e) => e.msg.type !== 'transfer-ack');
    c.addReplica('s2');
    c.runUntil(() => c.status('vs').backup === 's2' && c.status('vs').acked === true, 100, 'view {s1, s2} acked');
    c.runTicks(30);
    expect(c.status('vs').backupReady).toBe(false);
    c.net.crash('s1');
    c.runTicks(20 * DEAD_PINGS * PING);
    expect(c.status('vs')).toMatchObject({ primary: 's1', backup: 's2' });
    expect(c.status('s2').role).toBe('backup');
    const r = c.read('s2', 'x');
    expect(c.op(r).reply).toMatchObject({ outcome: 'reject', redirect: 's1' });
  });

  it('Rule: backups (and idle servers) reject client requests, redirecting to the primary', () => {
    const c = threeServers();
    for (const node of ['s2', 's3']) {
      const r = c.write(node, 'x', node);
      expect(c.op(r).reply).toMatchObject({ outcome: 'reject', redirect: 's1' });
    }
    expect(c.okValue(c.complete(c.read('s1', 'x')))).toBe(null);
  });

  it('Rule: the primary rejects forwarded updates; the backup rejects forwards from a non-primary', () => {
    const c = threeServers();
    const viewnum = c.status('s1').view ?? 0;
    const command = { clientId: 'evil', seq: 1, cmd: { kind: 'write' as const, key: 'x', value: 'forged' } };
    const forward: ViewServiceMessage = { type: 'forward', viewnum, stream: 's2/1/1', index: 1, command };
    const atPrimary = c.net.node('s1').core.step('s2', forward);
    expect(atPrimary.send).toEqual([{ to: 's2', msg: expect.objectContaining({ type: 'forward-reject', needTransfer: false }) }]);
    expect(atPrimary.persist).toEqual([]);
    const atBackup = c.net.node('s2').core.step('s3', forward);
    expect(atBackup.send).toEqual([{ to: 's3', msg: expect.objectContaining({ type: 'forward-reject' }) }]);
    expect(atBackup.persist).toEqual([]);
    expect(c.okValue(c.complete(c.read('s1', 'x')))).toBe(null);
  });

  it('Rule: the primary replies only after the backup acknowledged (reads included)', () => {
    const c = threeServers();
    let blockAcks = true;
    c.net.hook((e) => !(blockAcks && e.msg.type === 'forward-ack'));
    const before = { s1: c.status('s1').appliedIndex, s2: c.status('s2').appliedIndex };
    const w = c.write('s1', 'x', 1);
    c.runTicks(30);
    expect(c.op(w).reply).toBeUndefined();
    expect(c.status('s2').appliedIndex).toBe(before.s2 + 1); // the backup has it
    expect(c.status('s1').appliedIndex).toBe(before.s1); // the primary applies on the ack
    const r = c.read('s1', 'x');
    c.runTicks(10);
    expect(c.op(r).reply).toBeUndefined();
    blockAcks = false;
    c.runUntil(() => c.op(r).reply !== undefined, 50, 'read reply');
    expect(c.op(w).reply).toMatchObject({ outcome: 'ok' });
    expect(c.okValue(r)).toBe(1);
  });

  it('keeps every acknowledged write when every server, the view server included, crashes and restarts', () => {
    const c = new VsCluster({ seed: 4, replicas: ['s1', 's2', 's3'], options: { snapshotEvery: '4' } });
    c.runUntil(() => settled(c, 's1', 's2'), 200, 'view {s1, s2}');
    const writes = Array.from({ length: 15 }, (_, i) => c.write('s1', `k${i}`, i));
    c.runUntil(() => writes.every((w) => c.op(w).reply !== undefined), 100, 'writes done');
    for (const w of writes) expect(c.op(w).reply?.outcome).toBe('ok');
    for (const id of ['vs', 's1', 's2', 's3']) c.net.crash(id);
    for (const id of ['vs', 's1', 's2', 's3']) c.net.restart(id);
    expect(c.net.node('s1').records.length).toBeLessThan(10); // compacted
    c.runUntil(() => { const p = c.primary(); return p !== null && c.status(p).role === 'primary' && c.status(p).synced === true; },
      300, 'a primary again');
    const p = c.primary() as NodeId;
    const reads = Array.from({ length: 15 }, (_, i) => c.read(p, `k${i}`));
    c.runUntil(() => reads.every((r) => c.op(r).reply !== undefined), 100, 'reads done');
    reads.forEach((r, i) => expect(c.okValue(r)).toBe(i));
  });

  it('a lone primary that crashes restarts from its records and serves every acknowledged write', () => {
    const c = new VsCluster({ seed: 5, replicas: ['s1', 's2'], start: ['s1'], options: { snapshotEvery: '3' } });
    c.runUntil(() => settled(c, 's1', null), 100, 'view {s1}');
    const writes = Array.from({ length: 8 }, (_, i) => c.write('s1', `k${i}`, i));
    for (const w of writes) expect(c.op(w).reply?.outcome).toBe('ok');
    c.net.crash('s1');
    c.runTicks(3);
    c.net.restart('s1');
    c.runUntil(() => c.status('s1').role === 'primary', 100, 's1 primary again');
    expect(c.status('vs').primary).toBe('s1'); // no usable backup existed: nobody else could take over
    for (let i = 0; i < 8; i += 1) expect(c.okValue(c.complete(c.read('s1', `k${i}`)))).toBe(i);
    c.addReplica('s2');
    c.runUntil(() => settled(c, 's1', 's2'), 100, 'view {s1, s2}');
    c.net.crash('s1');
    c.runUntil(() => c.status('s2').role === 'primary', 100, 's2 promoted');
    for (let i = 0; i < 8; i += 1) expect(c.okValue(c.complete(c.read('s2', `k${i}`)))).toBe(i);
  });
});
