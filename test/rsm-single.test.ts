// test/rsm-single.test.ts — the node program end to end with the `single` protocol: HTTP API,
// dedup of retried requests, the client library, and SIGKILL + restart keeping every acked write.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { KvClient } from '../rsm/client/client.ts';
import { ProcCluster, killAllProcs, missingWrites, writeStreamAndKill } from './support/cluster-procs.ts';

let cluster: ProcCluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});
afterAll(killAllProcs);

async function post(base: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('single protocol node', () => {
  it('serves the HTTP API: POST /kv, GET/PUT /kv/:key, /status, 400 naming the field', async () => {
    cluster = await ProcCluster.start({ protocol: 'single', replicas: ['n1'] });
    const base = cluster.endpoints().n1;

    const w = await post(base, '/kv', { clientId: 'c1', seq: 1, cmd: { kind: 'write', key: 'x', value: 42 } });
    expect(w).toEqual({ status: 200, json: { outcome: 'ok', result: { type: 'ok' } } });
    const r = await post(base, '/kv', { clientId: 'c1', seq: 2, cmd: { kind: 'read', key: 'x' } });
    expect(r.json).toEqual({ outcome: 'ok', result: { type: 'ok', value: 42 } });
    const casFail = await post(base, '/kv', { clientId: 'c1', seq: 3, cmd: { kind: 'cas', key: 'x', expected: 1, value: 2 } });
    expect(casFail.status).toBe(200);
    expect(casFail.json).toMatchObject({ outcome: 'ok', result: { type: 'fail' } });
    const txn = await post(base, '/kv', { clientId: 'c1', seq: 4, cmd: { kind: 'txn', ops: [['append', 'l', 1], ['r', 'l', null]] } });
    expect(txn.json).toEqual({ outcome: 'ok', result: { type: 'ok', value: [['append', 'l', 1], ['r', 'l', [1]]] } });
    const casTxn = await post(base, '/kv', { clientId: 'c1', seq: 6, cmd: { kind: 'txn', ops: [['cas', 'l', [[1], [1, 2]]], ['w', 'y', 1]] } });
    expect(casTxn.json).toEqual({ outcome: 'ok', result: { type: 'ok', value: [['cas', 'l', [[1], [1, 2]]], ['w', 'y', 1]] } });
    const badCas = await post(base, '/kv', { clientId: 'c1', seq: 7, cmd: { kind: 'txn', ops: [['cas', 'l', 3]] } });
    expect(badCas.status).toBe(400);
    expect(badCas.json.error).toContain('[expected, new]');

    // curl -X PUT -d hello .../kv/greeting ; curl .../kv/greeting
    const put = await fetch(`${base}/kv/greeting`, { method: 'PUT', body: 'hello' });
    expect(put.status).toBe(200);
    const get = await fetch(`${base}/kv/greeting`);
    expect(await get.json()).toEqual({ outcome: 'ok', result: { type: 'ok', value: 'hello' } });
    const putJson = await fetch(`${base}/kv/n?clientId=curl&seq=1`, { method: 'PUT', body: '{"a":[1]}' });
    expect(putJson.status).toBe(200);
    expect(await (await fetch(`${base}/kv/n`)).json()).toMatchObject({ result: { value: { a: [1] } } });

    const bad = await post(base, '/kv', { clientId: 'c1', seq: 8, cmd: { kind: 'write', key: 7, value: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toContain('cmd.key');
    expect((await post(base, '/kv', { clientId: 'c1', cmd: { kind: 'read', key: 'x' } })).json.error).toContain('seq');
    expect((await post(base, '/kv', '{nope')).json.error).toContain('JSON');
    expect((await fetch(`${base}/kv/x?clientId=c9`)).status).toBe(400);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);

    const skew = await post(base, '/admin/clock-offset', { offsetMs: -5000 });
    expect(skew).toEqual({ status: 200, json: { ok: true, offsetMs: -5000 } });
    expect((await post(base, '/admin/clock-offset', { offsetMs: 'soon' })).json.error).toContain('offsetMs');

    const status = (await (await fetch(`${base}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ id: 'n1', protocol: 'single', role: 'primary' });
  });

  it('a retried request (same clientId and seq) gets the first reply and is applied once', async () => {
    cluster = await ProcCluster.start({ protocol: 'single', replicas: ['n1'] });
    const base = cluster.endpoints().n1;
    const cas = { clientId: 'retry', seq: 1, cmd: { kind: 'cas', key: 'k', expected: null, value: 'v1' } };
    const first = await post(base, '/kv', cas);
    const second = await post(base, '/kv', cas);
    expect(first.json).toEqual({ outcome: 'ok', result: { type: 'ok' } });
    // Applied twice, the second cas would fail with a mismatch; dedup returns the first reply.
    expect(second.json).toEqual(first.json);
    const read = await post(base, '/kv', { clientId: 'retry', seq: 2, cmd: { kind: 'read', key: 'k' } });
    expect(read.json).toMatchObject({ result: { value: 'v1' } });
    expect(((await (await fetch(`${base}/status`)).json()) as { appliedIndex: number }).appliedIndex).toBe(2);
  });

  it('KvClient maps answers to ok / fail / info, and refused connections to fail', async () => {
    cluster = await ProcCluster.start({ protocol: 'single', replicas: ['n1'] });
    const client = new KvClient({ endpoints: cluster.endpoints(), mode: 'single-node', requestTimeoutMs: 2000 });
    try {
      expect(await client.write('a', 1)).toMatchObject({ type: 'ok', node: 'n1' });
      expect(await client.read('a')).toMatchObject({ type: 'ok', value: 1 });
      expect(await client.cas('a', 1, 2)).toMatchObject({ type: 'ok' });
      expect(await client.cas('a', 1, 3)).toMatchObject({ type: 'fail', error: expect.stringContaining('cas mismatch') });
      expect(await client.txn([['r', 'a', null]])).toMatchObject({ type: 'ok', value: [['r', 'a', 2]] });
      await cluster.kill('n1');
    } finally {
      client.close();
    }
    // A fresh connection to a dead node is refused: nothing was sent, so definitely not applied.
    // (A pooled keep-alive socket may instead see a reset after the request left: that is info.)
    const fresh = new KvClient({ endpoints: cluster.endpoints(), mode: 'single-node', requestTimeoutMs: 2000 });
    try {
      expect(await fresh.write('a', 9)).toMatchObject({ type: 'fail', error: expect.stringContaining('ECONNREFUSED') });
    } finally {
      fresh.close();
    }
  });

  it('SIGKILL in the middle of a stream of writes: after restart every acknowledged write is there', async () => {
    cluster = await ProcCluster.start({ protocol: 'single', replicas: ['n1'], extraArgs: ['--option', 'snapshot-every=50'] });
    const { acked } = await writeStreamAndKill(cluster, 'n1', 'single-node', 10, 400);
    expect(acked.size).toBeGreaterThan(20);
    await cluster.startNode('n1');
    expect(await missingWrites(cluster.endpoints(), acked, 'single-node')).toEqual([]);
    expect(cluster.procs.get('n1')!.stderr.join('\n')).toMatch(/replayed [1-9]\d* records/);
  });
});
