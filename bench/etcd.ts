// bench/etcd.ts — a 3-member etcd cluster on loopback and a minimal v3 client over its JSON gateway.
//
// etcd (Debian's etcd-server, 3.4) runs with its defaults — in particular it fsyncs its WAL
// before acknowledging — in a temp data dir that is removed at stop. The client uses the
// grpc-gateway (POST /v3/kv/put, /v3/kv/range with base64 keys and values) through a keep-alive
// agent, so no npm package is needed. Every member is SIGKILLed by stop(), and by
// killAllEtcd() which the bench calls on exit and SIGINT.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../test/support/cluster-procs.ts';

const READY_TIMEOUT_MS = 15_000;
const live = new Set<ChildProcess>();

/** killAllEtcd SIGKILLs every etcd member still running (synchronous: safe in 'exit' handlers). */
export function killAllEtcd(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** etcdBinary: the etcd executable on PATH, or null when etcd is not installed. */
export function etcdBinary(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' });
  const found = r.stdout.trim();
  return r.status === 0 && found !== '' ? found : null;
}

/** etcdVersion: the first line of `etcd --version`, e.g. "etcd Version: 3.4.23". */
export function etcdVersion(binary: string): string {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n')[0].trim();
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** EtcdClient: put and linearizable range over the JSON gateway; one request at a time per call. */
export class EtcdClient {
  constructor(private readonly url: string, private readonly agent: http.Agent, private readonly timeoutMs = 2000) {}

  /** put resolves true when etcd acknowledged the write. */
  async put(key: string, value: string): Promise<boolean> {
    const res = await this.post('/v3/kv/put', { key: b64(key), value: b64(value) });
    return res !== null && typeof res.header === 'object';
  }

  /** range is a linearizable read (etcd's default: ReadIndex); resolves true on success. */
  async range(key: string): Promise<boolean> {
    const res = await this.post('/v3/kv/range', { key: b64(key) });
    return res !== null && typeof res.header === 'object';
  }

  /** status is the member's maintenance status (member id and the leader it knows). */
  status(): Promise<Record<string, unknown> | null> {
    return this.post('/v3/maintenance/status', {});
  }

  private post(urlPath: string, body: unknown): Promise<Record<string, unknown> | null> {
    const payload = JSON.stringify(body);
    return new Promise((resolve) => {
      const req = http.request(`${this.url}${urlPath}`, {
        method: 'POST', agent: this.agent, timeout: this.timeoutMs,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) return resolve(null);
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
          } catch {
            resolve(null);
          }
        });
        res.on('error', () => resolve(null));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(null));
      req.end(payload);
    });
  }
}

/** EtcdCluster: members e1..eN; clientUrls[i] is member i's client URL. */
export class EtcdCluster {
  private readonly children: ChildProcess[] = [];

  private constructor(readonly dataRoot: string, readonly clientUrls: string[]) {}

  /** start launches `members` etcd processes and waits until each answers /health. */
  static async start(binary: string, members = 3): Promise<EtcdCluster> {
    const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-etcd-'));
    const clientPorts: number[] = [];
    const peerPorts: number[] = [];
    for (let i = 0; i < members; i += 1) {
      clientPorts.push(await freePort());
      peerPorts.push(await freePort());
    }
    const names = clientPorts.map((_, i) => `e${i + 1}`);
    const initial = names.map((n, i) => `${n}=http://127.0.0.1:${peerPorts[i]}`).join(',');
    const cluster = new EtcdCluster(dataRoot, clientPorts.map((p) => `http://127.0.0.1:${p}`));
    try {
      names.forEach((name, i) => cluster.spawnMember(binary, name, initial, clientPorts[i], peerPorts[i]));
      await Promise.all(cluster.clientUrls.map((u) => waitHealthy(u)));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** leaderUrl: the client URL of the member that says it is the leader. */
  async leaderUrl(agent: http.Agent): Promise<string> {
    for (const url of this.clientUrls) {
      const s = await new EtcdClient(url, agent).status();
      const header = s?.header as { member_id?: string } | undefined;
      if (s !== null && header?.member_id !== undefined && header.member_id === s.leader) return url;
    }
    throw new Error('etcd: no member reports itself leader');
  }

  /** stop SIGKILLs every member and removes the data dirs. */
  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    })));
    fs.rmSync(this.dataRoot, { recursive: true, force: true });
  }

  private spawnMember(binary: string, name: string, initial: string, clientPort: number, peerPort: number): void {
    const logFd = fs.openSync(path.join(this.dataRoot, `${name}.log`), 'a');
    const child = spawn(binary, [
      '--name', name,
      '--data-dir', path.join(this.dataRoot, name),
      '--listen-client-urls', `http://127.0.0.1:${clientPort}`,
      '--advertise-client-urls', `http://127.0.0.1:${clientPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', initial,
      '--initial-cluster-state', 'new',
      '--initial-cluster-token', `bench-${process.pid}`,
      '--logger', 'zap', '--log-level', 'warn',
    ], { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    live.add(child);
    child.once('exit', () => live.delete(child));
    this.children.push(child);
  }
}

async function waitHealthy(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${url} not healthy within ${READY_TIMEOUT_MS} ms`);
}
