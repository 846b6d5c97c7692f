// test/rsm-hostile-input.test.ts — hostile clients and peers against real node processes (#19 item 2).
//
// The repro: one 10 KB request nesting 5,000 levels posted to /kv killed a raft leader (a
// RangeError encoding it for its followers), then the next leader; on `single` every later
// request got 504. Now it is a 400 at the API edge, and nothing a peer can send — deep frames,
// bad JSON, a stranger's hello, a message of the wrong shape for its protocol (raft,
// primary-backup, viewservice replica and view server) — nor a deep record in the log at
// restart takes a node down.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeRecord } from '../rsm/runtime/durable-log.ts';
import { BODY_BYTES_MAX } from '../rsm/runtime/http-api.ts';
import { REQUEST_DEPTH_MAX, STORED_DEPTH_MAX } from '../rsm/runtime/json-limits.ts';
import { ProcCluster, freePort, killAllProcs, startNodeProc, waitWritable, type NodeProc } from './support/cluster-procs.ts';

afterAll(killAllProcs);
const clusters: ProcCluster[] = [];
afterEach(async () => {
  for (const c of clusters.splice(0)) await c.stop();
});

/** hostileBody: the request from the report, a write whose value nests `depth` arrays. */
function hostileBody(depth: number): string {
  return `{"clientId":"x","seq":1,"cmd":{"kind":"write","key":"k","value":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** request sends one HTTP request on a fresh connection; a reset rejects (the test then fails). */
function request(url: string, method: string, body?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function alive(proc: NodeProc): boolean {
  return proc.child.exitCode === null && proc.child.signalCode === null;
}

async function leaderOf(c: ProcCluster): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    for (const [id, url] of Object.entries(c.endpoints())) {
      const status = await request(`${url}/status`, 'GET').catch(() => null);
      if (status?.body.role === 'leader') return id;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no leader in 10 s');
}

/** frame is the transport's wire format written by hand: u32 length, then the bytes. */
function frame(payload: string): Buffer {
  const bytes = Buffer.from(payload, 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([header, bytes]);
}

/** sendRaw connects to a peer port, writes bytes and resolves once the node closed the connection. */
function sendRaw(port: number, bytes: Buffer): Promise<'closed'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the node kept a hostile connection open for 5 s'));
    }, 5000);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
}

/** sendAndLeave connects to a peer port, writes bytes, and hangs up after a moment (the node keeps such links open). */
async function sendAndLeave(port: number, bytes: Buffer): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
  socket.on('error', () => undefined);
  await new Promise((r) => setTimeout(r, 300));
  socket.destroy();
}

/** peerOtherThan: a replica whose hello the node `id` accepts (a node refuses its own id). */
function peerOtherThan(id: string): string {
  return id === 'n2' ? 'n3' : 'n2';
}

function peerPortOf(c: ProcCluster, id: string): number {
  const args = c.argsFor(id);
  return Number(args[args.indexOf('--peer-listen') + 1].split(':')[1]);
}

describe('hostile input to real nodes (#19 item 2)', () => {
  it('raft: the 5,000-level request gets a 400 from every node; the leader survives and the cluster keeps serving', async () => {
    const c = await ProcCluster.start({ protocol: 'raft', replicas: ['n1', 'n2', 'n3'] });
    clusters.push(c);
    await waitWritable(c.endpoints(), 'follow-redirect');
    const leader = await leaderOf(c);
    const body = hostileBody(5000);
    expect(body.length).toBeGreaterThan(10_000);
    // Leader first (it used to die), then each follower (they redirect after checking the body).
    for (const id of [leader, ...Object.keys(c.endpoints()).filter((n) => n !== leader)]) {
      const answer = await request(`${c.endpoints()[id]}/kv`, 'POST', body);
      expect(answer).toEqual({ status: 400, body: { outcome: 'reject', error: `body is JSON nested deeper than ${REQUEST_DEPTH_MAX} levels` } });
    }
    // At the limit is still a value: accepted and replicated (its frames stay under STORED_DEPTH_MAX).
    const deepest = await request(`${c.endpoints()[leader]}/kv`, 'POST', hostileBody(REQUEST_DEPTH_MAX - 2));
    expect(deepest.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    for (const proc of c.procs.values()) expect(alive(proc), proc.stderr.join('\n')).toBe(true);
    expect(await leaderOf(c)).toBe(leader);
    await waitWritable(c.endpoints(), 'follow-redirect', 3000);
  }, 60_000);

  it('single: after the hostile request, oversized bodies and a bad key, later requests are served (no 504)', async () => {
    const c = await ProcCluster.start({ protocol: 'single', replicas: ['n1'] });
    clusters.push(c);
    const url = c.endpoints().n1;
    expect((await request(`${url}/kv`, 'POST', hostileBody(5000))).status).toBe(400);
    const deepPut = await request(`${url}/kv/k`, 'PUT', `${'['.repeat(5000)}${']'.repeat(5000)}`);
    expect(deepPut).toEqual({ status: 400, body: { outcome: 'reject', error: `body is JSON nested deeper than ${REQUEST_DEPTH_MAX} levels` } });
    // Over the size limit: read and discarded, then a 400 with a JSON body — not a reset.
    const big = Buffer.alloc(2 * BODY_BYTES_MAX + 17, 0x20);
    expect(await request(`${url}/kv`, 'POST', big)).toEqual({ status: 400, body: { outcome: 'reject', error: `body exceeds ${BODY_BYTES_MAX} bytes` } });
    expect(await request(`${url}/kv/%`, 'GET')).toEqual({ status: 400, body: { outcome: 'reject', error: 'key "%" is not valid percent-encoding' } });
    const write = await request(`${url}/kv/greeting?clientId=me&seq=1`, 'PUT', '"hello"');
    expect(write.status).toBe(200);
    const read = await request(`${url}/kv/greeting`, 'GET');
    expect(read).toMatchObject({ status: 200, body: { outcome: 'ok', result: { type: 'ok', value: 'hello' } } });
    expect(alive(c.procs.get('n1')!)).toBe(true);
  }, 60_000);

  it('raft: hostile peer frames close their connection and crash nothing', async () => {
    const c = await ProcCluster.start({ protocol: 'raft', replicas: ['n1', 'n2', 'n3'] });
    clusters.push(c);
    await waitWritable(c.endpoints(), 'follow-redirect');
    const leader = await leaderOf(c);
    const port = peerPortOf(c, leader);
    const peer = peerOtherThan(leader);
    const hello = frame(`{"hello":"${peer}"}`);
    const deep = `${'['.repeat(STORED_DEPTH_MAX + 1)}${']'.repeat(STORED_DEPTH_MAX + 1)}`;
    const hostile: Array<[string, Buffer]> = [
      ['a 5,000-level message', Buffer.concat([hello, frame(`{"type":"AppendEntries","entries":${'['.repeat(5000)}${']'.repeat(5000)}}`)])],
      ['a message one level past the limit', Buffer.concat([hello, frame(deep)])],
      ['bad JSON', Buffer.concat([hello, frame('{"type":')])],
      ['a message that is not an object', Buffer.concat([hello, frame('42')])],
      ['a hello naming no peer', frame('{"hello":"mallory"}')],
      ['a deep hello', frame(deep)],
      ['a frame longer than the limit', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7b])],
    ];
    for (const [what, bytes] of hostile) expect(await sendRaw(port, bytes), what).toBe('closed');
    // Well-formed JSON objects of the wrong shape used to trip raft's asserts: now dropped.
    const malformed = [
      '{"type":"AppendEntries","term":99}',
      '{"type":"AppendEntries","term":99,"prevIndex":0,"prevTerm":0,"commit":0,"round":0,"entries":[{"term":99,"cmd":{"clientId":"x","seq":1,"cmd":{"kind":"explode"}}}]}',
      '{"type":"InstallSnapshot","term":99,"index":5,"snapTerm":1,"round":0,"data":{}}',
      '{"type":"Gossip"}',
    ];
    await sendAndLeave(port, Buffer.concat([hello, ...malformed.map(frame)]));
    await new Promise((r) => setTimeout(r, 300));
    for (const proc of c.procs.values()) expect(alive(proc), proc.stderr.join('\n')).toBe(true);
    const log = c.procs.get(leader)!.stderr.join('\n');
    expect(log).toContain(`bad frame from ${peer}: JSON nested deeper than 128 levels`);
    expect(log).toMatch(/hello of a known peer \("?\{"hello":"mallory"\}/);
    for (const why of [
      'AppendEntries.prevIndex is missing', 'AppendEntries.entries[0].cmd: cmd.kind must be one of', 'InstallSnapshot.data.data is missing',
      'expected a message of type RequestVote',
    ]) expect(log).toContain(`dropped a malformed message from ${peer}: ${why}`);
    await waitWritable(c.endpoints(), 'follow-redirect', 3000);
  }, 60_000);

  /** MALFORMED: per protocol, well-formed JSON objects of the wrong shape, each of which used to crash the node. */
  const MALFORMED: Record<string, Array<[string, RegExp]>> = {
    'primary-backup': [
      ['{"type":"forward","forwardId":1}', /forward\.command is missing/],
      ['{"type":"forward","forwardId":2,"command":{"clientId":"x","seq":1,"cmd":{"kind":"explode"}}}', /forward\.command: cmd\.kind must be one of/],
      ['{"type":"forward-ack","forwardId":-1}', /forward-ack\.forwardId must be an integer/],
    ],
    viewservice: [
      ['{"type":"transfer","viewnum":1,"stream":"s"}', /transfer\.snapshot is missing/],
      ['{"type":"view","view":null}', /view\.view must be an object/],
      ['{"type":"forward-reject","view":{"viewnum":99,"primary":"n1","backup":"mallory"},"stream":"s","index":1,"reason":"x","needTransfer":false}',
        /forward-reject\.view\.backup must be one of the replicas n1, n2, n3/],
      ['{"type":"forward","viewnum":1,"stream":"s","index":1}', /forward\.command is missing/],
      ['{"type":"constructor"}', /expected a message of type ping, view/],
    ],
    viewserver: [
      ['{"type":"ping"}', /ping\.viewnum is missing/],
      ['{"type":"ping","viewnum":1,"synced":"yes"}', /ping\.synced must be a boolean/],
    ],
  };

  it.each([['primary-backup', 'n1'], ['viewservice', 'primary'], ['viewservice', 'vs']])(
    '%s: malformed peer messages to %s are dropped and logged, and the node keeps serving',
    async (protocol, target) => {
      const c = await ProcCluster.start({ protocol, replicas: ['n1', 'n2', 'n3'] });
      clusters.push(c);
      await waitWritable(c.endpoints(), 'follow-redirect');
      let id = target;
      if (target === 'primary') {
        const statuses = await Promise.all(Object.entries(c.endpoints()).map(async ([n, url]) => [n, (await request(`${url}/status`, 'GET')).body.role]));
        id = statuses.find(([, role]) => role === 'primary')![0] as string;
      }
      const peer = peerOtherThan(id);
      const cases = MALFORMED[id === 'vs' ? 'viewserver' : protocol];
      await sendAndLeave(peerPortOf(c, id), Buffer.concat([frame(`{"hello":"${peer}"}`), ...cases.map(([msg]) => frame(msg))]));
      await new Promise((r) => setTimeout(r, 300));
      for (const proc of c.procs.values()) expect(alive(proc), proc.stderr.join('\n')).toBe(true);
      const log = c.procs.get(id)!.stderr.join('\n');
      for (const [msg, why] of cases) {
        expect(log, msg).toMatch(new RegExp(`dropped a malformed message from ${peer}: ${why.source}`));
      }
      await waitWritable(c.endpoints(), 'follow-redirect', 3000);
      if (id !== 'vs') {
        const url = c.endpoints()[id];
        expect((await request(`${url}/kv/after?clientId=after&seq=1`, 'PUT', '"still here"')).status).toBe(200);
        expect(await request(`${url}/kv/after`, 'GET')).toMatchObject({ status: 200, body: { result: { value: 'still here' } } });
      }
    },
    60_000,
  );

  it('a log record nested past the limit is treated as corruption at restart, not a crash', async () => {
    const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'rsm-deep-record-'));
    try {
      // A record with a valid checksum that no node of ours writes: JSON 5,000 levels deep.
      const payload = Buffer.from(`{"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`);
      const header = Buffer.alloc(8);
      header.writeUInt32BE(payload.length, 0);
      header.writeUInt32BE(zlib.crc32(payload), 4);
      expect(() => encodeRecord(JSON.parse(payload.toString()))).toThrow(/nested/);
      fs.mkdirSync(path.join(dir, 'n1'));
      fs.writeFileSync(path.join(dir, 'n1', 'log.bin'), Buffer.concat([header, payload]));
      const args = ['--id', 'n1', '--protocol', 'single', '--listen', `127.0.0.1:${await freePort()}`, '--peer-listen', `127.0.0.1:${await freePort()}`, '--data-dir', path.join(dir, 'n1')];
      const node = await startNodeProc('n1', args);
      expect(node.stderr.join('\n')).toMatch(/truncated \d+ bytes at offset 0 .*unparseable record: JSON nested deeper than 128 levels/);
      expect((await request(`${node.httpUrl}/kv/k?clientId=c&seq=1`, 'PUT', '1')).status).toBe(200);
      node.child.kill('SIGKILL');
      await node.exited;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
