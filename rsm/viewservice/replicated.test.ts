// rsm/viewservice/replicated.test.ts — the view server alone is a single point of failure; a Raft group of three is not.
//
// On the in-memory network with controlled time: the lectures' single view server stalls a
// failover once it is down, while a replicated view server (three view-server nodes, the table
// of views committed through Raft) fails over past a dead or cut-off view-server node, and past
// the worst-case partition of the primary from the view server, with no acknowledged write lost.
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../core/types.ts';
import { VsCluster } from '../../test/support/viewservice-cluster.ts';

const PING = 5;
const DEAD_PINGS = 3;
const GROUP = ['vs1', 'vs2', 'vs3'];
const REPLICAS = ['s1', 's2', 's3'];

/** settled: the serving view-server node has primary p and backup b, acknowledged, the transfer reported done. */
function settled(c: VsCluster, p: NodeId, b: NodeId | null): boolean {
  const vs = c.viewServerLeader();
  if (vs === null) return false;
  const s = c.status(vs);
  return s.primary === p && s.backup === b && s.acked === true && (b === null || s.backupReady === true);
}

function cluster(viewServers: NodeId[], seed = 1): VsCluster {
  const c = new VsCluster({ seed, replicas: REPLICAS, viewServers });
  c.runUntil(() => settled(c, 's1', 's2'), 400, 'view {s1, s2}');
  return c;
}

/** sameViewEverywhere: no two nodes ever hold different views under one view number (replicas and view-server nodes). */
function watchViews(c: VsCluster): void {
  const seen = new Map<number, string>();
  c.monitors.push(() => {
    for (const [id, node] of c.net.nodes) {
      if (!node.up) continue;
      const s = node.core.status();
      if (GROUP.includes(id) && s.serving !== true) continue;
      if ((s.view ?? 0) === 0) continue;
      const shape = `${String(s.primary)}/${String(s.backup)}`;
      const known = seen.get(s.view!);
      if (known !== undefined && known !== shape) throw new Error(`view ${s.view} is ${known} at one node and ${shape} at ${id}`);
      seen.set(s.view!, shape);
    }
  });
}

/** writeThenRead: a write at the current primary completes, and a read there sees it and `earlier`. */
function writeThenRead(c: VsCluster, value: string, earlier: Record<string, string>): void {
  const primary = c.primary();
  expect(primary).not.toBeNull();
  c.okValue(c.complete(c.write(primary!, 'k', value), 200));
  expect(c.okValue(c.complete(c.read(primary!, 'k'), 200))).toBe(value);
  for (const [key, v] of Object.entries(earlier)) expect(c.okValue(c.complete(c.read(primary!, key), 200))).toBe(v);
}

describe('a single view server is a single point of failure', () => {
  it('with the view server down, a dead primary is never replaced: the service stalls', () => {
    const c = cluster(['vs']);
    c.okValue(c.complete(c.write('s1', 'a', 'before')));
    c.net.crash('vs');
    c.net.crash('s1');
    c.runTicks(20 * DEAD_PINGS * PING);
    expect(c.status('s2')).toMatchObject({ role: 'backup', view: 2 });
    const w = c.write('s2', 'k', 'stalled');
    c.runTicks(10);
    expect(c.op(w).reply).toMatchObject({ outcome: 'reject' });
  });
});

describe('a view server replicated on Raft (three view-server nodes)', () => {
  it('commits views through the group: one node serves, the others point at it', () => {
    const c = cluster(GROUP);
    const leader = c.viewServerLeader()!;
    const others = GROUP.filter((id) => id !== leader);
    for (const id of others) expect(c.status(id)).toMatchObject({ serving: false, raftLeader: leader });
    expect(c.status(leader)).toMatchObject({ serving: true, raftRole: 'leader', view: 2, primary: 's1', backup: 's2' });
    // Every view-server node's Raft log applied the same table changes (views 1, 2 and their acks).
    c.runTicks(20);
    const commits = GROUP.map((id) => c.status(id).commitIndex);
    expect(new Set(commits).size).toBe(1);
  });

  it('the leader of the view-server group crashes, then the primary: the backup still takes over', () => {
    const c = cluster(GROUP);
    watchViews(c);
    c.okValue(c.complete(c.write('s1', 'a', 'before')));
    const leader = c.viewServerLeader()!;
    c.net.crash(leader);
    c.runUntil(() => c.viewServerLeader() !== null, 200, 'a new view-server leader');
    expect(c.viewServerLeader()).not.toBe(leader);
    c.net.crash('s1');
    c.runUntil(() => settled(c, 's2', 's3'), 400, 'view {s2, s3}');
    writeThenRead(c, 'after', { a: 'before' });
  });

  it('each view-server node killed in turn, the primary killed while it is down: every failover completes', () => {
    const c = cluster(GROUP);
    watchViews(c);
    const written: Record<string, string> = {};
    for (const vs of GROUP) {
      const primary = c.primary()!;
      c.net.crash(vs);
      c.net.crash(primary);
      c.runUntil(() => c.primary() !== null && c.primary() !== primary && settled(c, c.primary()!, c.status(c.viewServerLeader()!).backup as NodeId | null), 400, `a failover past ${primary} with ${vs} down`);
      writeThenRead(c, `with-${vs}-down`, written);
      written[`k-${vs}`] = vs;
      c.okValue(c.complete(c.write(c.primary()!, `k-${vs}`, vs), 200));
      c.net.restart(vs);
      c.net.restart(primary);
      c.runTicks(4 * DEAD_PINGS * PING);
    }
    expect(c.status(c.viewServerLeader()!).view).toBeGreaterThanOrEqual(5);
  });

  it('a view-server node (the leader) cut off from everyone: the others elect a leader and the service moves on', () => {
    const c = cluster(GROUP);
    watchViews(c);
    const leader = c.viewServerLeader()!;
    c.net.isolate(leader);
    c.net.crash('s2'); // the backup dies: the view must change without the old view-server leader
    c.runUntil(() => settled(c, 's1', 's3') && c.viewServerLeader() !== leader, 400, 'view {s1, s3} from a new leader');
    writeThenRead(c, 'moved-on', {});
    c.net.heal();
    c.runUntil(() => GROUP.filter((id) => c.status(id).serving === true).length === 1 && c.status(leader).serving === false, 200, 'the old leader steps down');
  });

  it('worst-case partition: the primary is cut off from every view-server node, still talking to its backup', () => {
    const c = cluster(GROUP);
    watchViews(c);
    c.okValue(c.complete(c.write('s1', 'a', 'before')));
    for (const vs of GROUP) c.net.cut('s1', vs);
    c.runUntil(() => settled(c, 's2', 's3'), 400, 'view {s2, s3}');
    // The old primary can complete nothing: its backup moved to the new view and refuses it.
    const stale = c.write('s1', 'k', 'stale');
    c.runTicks(50);
    expect(c.op(stale).reply?.outcome).not.toBe('ok');
    writeThenRead(c, 'fresh', { a: 'before' });
    c.net.heal();
    c.runTicks(50);
    expect(c.status('s1').role).not.toBe('primary');
  });

  it('a view-server node that crashes and restarts rejoins from its Raft log', () => {
    const c = cluster(GROUP);
    for (const id of GROUP) c.net.crash(id);
    for (const id of GROUP) c.net.restart(id);
    c.runUntil(() => c.viewServerLeader() !== null, 300, 'a view-server leader after the restart');
    // The restarted group remembers view 2; it never goes back to view 0.
    expect(c.status(c.viewServerLeader()!)).toMatchObject({ view: 2, primary: 's1', backup: 's2' });
    writeThenRead(c, 'restarted', {});
  });
});
