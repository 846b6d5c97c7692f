// test/rsm-viewservice.test.ts — a real 3-server view-service cluster plus the view server on
// loopback: it serves writes and reads, and SIGKILL of the primary promotes the backup, recruits
// the idle server as the new backup, and loses no acknowledged write.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { KvClient } from '../rsm/client/client.ts';
import { ProcCluster, getJson, killAllProcs, missingWrites, writeStreamAndKill } from './support/cluster-procs.ts';

let cluster: ProcCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});
afterAll(killAllProcs);

interface ViewStatus {
  view: number;
  primary: string | null;
  backup: string | null;
  backupReady?: boolean;
}

/** waitForView polls the view server until pred holds (bounded by timeoutMs). */
async function waitForView(c: ProcCluster, pred: (v: ViewStatus) => boolean, timeoutMs: number): Promise<ViewStatus> {
  const vsUrl = c.procs.get('vs')!.httpUrl;
  const deadline = Date.now() + timeoutMs;
  let last: ViewStatus | null = null;
  while (Date.now() < deadline) {
    last = (await getJson(`${vsUrl}/status`)) as unknown as ViewStatus;
    if (pred(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`waitForView: timed out; last view ${JSON.stringify(last)}`);
}

describe('viewservice on real processes', () => {
  it('serves writes and reads; SIGKILL of the primary fails over with no acknowledged write lost', async () => {
    cluster = await ProcCluster.start({ protocol: 'viewservice', replicas: ['n1', 'n2', 'n3'] });
    const first = await waitForView(cluster, (v) => v.primary !== null && v.backup !== null && v.backupReady === true, 8000);
    const idle = ['n1', 'n2', 'n3'].find((n) => n !== first.primary && n !== first.backup)!;

    // Any node may be asked first: backups and the idle server redirect to the primary.
    const client = new KvClient({ endpoints: cluster.endpoints(), preferred: idle, mode: 'follow-redirect' });
    expect(await client.write('x', 'hello')).toMatchObject({ type: 'ok', node: first.primary });
    expect(await client.read('x')).toMatchObject({ type: 'ok', value: 'hello' });
    expect(await client.cas('x', 'hello', 'world')).toMatchObject({ type: 'ok' });
    expect(await client.cas('x', 'hello', 'again')).toMatchObject({ type: 'fail' });
    client.close();

    const { acked, ackedAfterKill } = await writeStreamAndKill(cluster, first.primary!, 'follow-redirect', 5, 600, 2500);
    const after = await waitForView(cluster, (v) => v.primary === first.backup && v.backup === idle && v.backupReady === true, 8000);
    expect(after.view).toBeGreaterThan(first.view);
    expect(acked.size).toBeGreaterThan(20);
    // Writes were acknowledged after the failover too, by the new primary.
    expect(ackedAfterKill).toBeGreaterThan(0);

    const survivors = Object.fromEntries(Object.entries(cluster.endpoints()).filter(([id]) => id !== first.primary));
    expect(await missingWrites(survivors, acked, 'follow-redirect')).toEqual([]);
    const reader = new KvClient({ endpoints: survivors, mode: 'follow-redirect' });
    expect(await reader.read('x')).toMatchObject({ type: 'ok', value: 'world', node: first.backup });
    reader.close();
  });
});
