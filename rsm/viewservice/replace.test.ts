// rsm/viewservice/replace.test.ts — the replace nemesis on the in-memory network: a server dies for
// good (disk emptied), the view server recruits an idle one as backup, which serves only after
// the primary's state transfer; a fresh server joins in the dead one's place and is recruited in
// turn. With --bug promote-unsynced the view server promotes a backup whose transfer never
// completed, and an acknowledged write is gone.
import { describe, expect, it } from 'vitest';
import type { NodeId } from '../core/types.ts';
import { VsCluster } from '../../test/support/viewservice-cluster.ts';

/** settled: the view server has primary p and backup b, acknowledged, with the transfer reported done. */
function settled(c: VsCluster, p: NodeId, b: NodeId | null): boolean {
  const vs = c.status('vs');
  return vs.primary === p && vs.backup === b && vs.acked === true && (b === null || vs.backupReady === true);
}

function threeServers(bugs: string[] = []): VsCluster {
  const c = new VsCluster({ seed: 5, replicas: ['s1', 's2', 's3'], bugs });
  c.runUntil(() => settled(c, 's1', 's2'), 200, 'view {s1, s2}');
  return c;
}

/** writeOk writes key=value through the primary and waits for the acknowledgement. */
function writeOk(c: VsCluster, primary: NodeId, key: string, value: string): void {
  c.okValue(c.complete(c.write(primary, key, value)));
}

function readOk(c: VsCluster, node: NodeId, key: string): unknown {
  return c.okValue(c.complete(c.read(node, key))) ?? null;
}

describe('viewservice under the replace nemesis', () => {
  it('a replaced backup is succeeded by an idle server after a state transfer, then a fresh server takes over from a replaced primary', () => {
    const c = threeServers();
    writeOk(c, 's1', 'a', 'before');
    c.replace('s2');
    c.runUntil(() => settled(c, 's1', 's3'), 200, 'view {s1, s3} with s3 synced');
    // The recruit holds the state the primary had before it was recruited.
    writeOk(c, 's1', 'b', 'after-backup-replaced');
    c.addFresh('s2');
    c.runTicks(20); // the fresh s2 pings; it stays idle while the view is full
    expect(c.status('s2')).toMatchObject({ role: 'idle', appliedIndex: 0 });
    c.replace('s1');
    c.runUntil(() => settled(c, 's3', 's2'), 200, 'view {s3, s2} with the fresh s2 synced');
    expect(readOk(c, 's3', 'a')).toBe('before');
    expect(readOk(c, 's3', 'b')).toBe('after-backup-replaced');
    writeOk(c, 's3', 'c', 'after-primary-replaced');
    // The fresh s2 has every write: promote it by replacing s3 too.
    c.replace('s3');
    c.runUntil(() => c.status('vs').primary === 's2' && c.status('vs').acked === true, 200, 'view with primary s2');
    expect([readOk(c, 's2', 'a'), readOk(c, 's2', 'b'), readOk(c, 's2', 'c')]).toEqual(['before', 'after-backup-replaced', 'after-primary-replaced']);
  });

  /**
   * blockedRecruit: view {s1, s2} with an acknowledged write, s2 replaced, and every transfer
   * from s1 to the recruit s3 dropped: the view {s1, s3} is acknowledged, the transfer never
   * completes. Then the primary is replaced too.
   */
  function blockedRecruit(bugs: string[]): VsCluster {
    const c = threeServers(bugs);
    writeOk(c, 's1', 'k', 'acked');
    c.net.hook((e) => !(e.from === 's1' && e.to === 's3' && e.msg.type === 'transfer'));
    c.replace('s2');
    c.runUntil(() => c.status('vs').backup === 's3' && c.status('vs').acked === true, 200, 'view {s1, s3} acknowledged');
    expect(c.status('vs').backupReady).toBe(false);
    c.replace('s1');
    return c;
  }

  it('Rule: a recruit whose state transfer did not complete is never promoted when the primary is replaced (stuck, by design)', () => {
    const c = blockedRecruit([]);
    const view = c.status('vs').view;
    c.runTicks(200);
    expect(c.status('vs')).toMatchObject({ view, primary: 's1', backup: 's3', backupReady: false });
    expect(c.status('s3').role).toBe('backup');
  });

  it('--bug promote-unsynced: the view server promotes the unsynced recruit, and the acknowledged write is lost', () => {
    const c = blockedRecruit(['promote-unsynced']);
    c.runUntil(() => c.status('vs').primary === 's3' && c.status('vs').acked === true, 200, 'view with primary s3');
    expect(readOk(c, 's3', 'k')).toBeNull();
  });
});
