// control/runner/fake-cluster.ts — an in-memory Cluster and KV client (`--cluster fake`) for testing the runner.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withLifeline } from '../../cluster/local/lifeline.ts';
import { endpoint, type ClockSkew, type Cluster, type Endpoint, type Grudge } from '../../cluster/types.ts';
import type { NodeStatus } from '../../cluster/types.ts';
import type { Completion, KvClientLike } from '../../workloads/types.ts';
import type { ClientFactory } from './interpreter.ts';

/** FakeClusterOptions: `spawnProcesses` runs one real idle child per node (leak tests). */
export interface FakeClusterOptions {
  nodeCount: number;
  spawnProcesses?: boolean;
}

// A stand-in node: listens on a free 127.0.0.1 port, prints it, then idles.
const CHILD_SOURCE = `
const server = require('node:net').createServer(() => {});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

/**
 * FakeCluster keeps the node states a nemesis changes (down, paused, grudge, clock offsets)
 * and logs every call, so tests can see what the runner did. With spawnProcesses each node is
 * a real child process bound to a port, to show that teardown leaves nothing behind.
 */
export class FakeCluster implements Cluster, ClockSkew {
  readonly nodes: string[];
  readonly allNodes: string[];
  readonly calls: string[] = [];
  readonly down = new Set<string>();
  readonly paused = new Set<string>();
  grudge: Grudge = {};
  readonly clockOffsetsMs = new Map<string, number>();
  teardownCount = 0;
  readonly children = new Map<string, ChildProcess>();
  /** Every pid and port any child ever had (for leak checks after teardown). */
  readonly spawned: Array<{ node: string; pid: number; port: number }> = [];

  constructor(private readonly opts: FakeClusterOptions) {
    if (!(Number.isSafeInteger(opts.nodeCount) && opts.nodeCount >= 1)) throw new Error('FakeCluster: nodeCount must be >= 1');
    this.nodes = Array.from({ length: opts.nodeCount }, (_, i) => `n${i + 1}`);
    this.allNodes = [...this.nodes];
  }

  async setup(): Promise<void> {
    this.calls.push('setup');
    for (const node of this.nodes) await this.spawnNode(node);
  }

  async teardown(): Promise<void> {
    this.calls.push('teardown');
    this.teardownCount += 1;
    const children = [...this.children.values()];
    this.children.clear();
    await Promise.all(children.map((child) => stopChild(child)));
  }

  async start(node: string): Promise<void> {
    this.calls.push(`start ${node}`);
    this.down.delete(node);
    if (!this.children.has(node)) await this.spawnNode(node);
  }

  async kill(node: string): Promise<void> {
    this.calls.push(`kill ${node}`);
    this.down.add(node);
    const child = this.children.get(node);
    this.children.delete(node);
    if (child !== undefined) await stopChild(child);
  }

  async pause(node: string): Promise<void> {
    this.calls.push(`pause ${node}`);
    this.paused.add(node);
    this.children.get(node)?.kill('SIGSTOP');
  }

  async resume(node: string): Promise<void> {
    this.calls.push(`resume ${node}`);
    this.paused.delete(node);
    this.children.get(node)?.kill('SIGCONT');
  }

  async partition(grudge: Grudge): Promise<void> {
    this.calls.push(`partition ${JSON.stringify(grudge)}`);
    this.grudge = grudge;
  }

  async heal(): Promise<void> {
    this.calls.push('heal');
    this.grudge = {};
  }

  async setClockOffset(node: string, ms: number): Promise<void> {
    this.calls.push(`clock ${node} ${ms}`);
    this.clockOffsetsMs.set(node, ms);
  }

  clientEndpoint(node: string): Endpoint {
    const child = [...this.spawned].reverse().find((s) => s.node === node);
    return endpoint(node, `127.0.0.1:${child?.port ?? 0}`);
  }

  clientAddress(node: string): string {
    return this.clientEndpoint(node).address;
  }

  async status(node: string): Promise<NodeStatus | null> {
    if (this.down.has(node) || this.paused.has(node)) return null;
    return { id: node, protocol: 'fake', role: node === this.nodes[0] ? 'leader' : 'follower', primary: this.nodes[0], appliedIndex: 0 };
  }

  /** collectLogs writes what the fake did: calls, pids and ports (the tests read them). */
  async collectLogs(dir: string): Promise<void> {
    await writeFile(path.join(dir, 'fake-cluster.json'), `${JSON.stringify({ calls: this.calls, spawned: this.spawned }, null, 2)}\n`);
  }

  /** isAvailable: a client's op on `node` can take effect. */
  isAvailable(node: string): boolean {
    return !this.down.has(node) && !this.paused.has(node);
  }

  private async spawnNode(node: string): Promise<void> {
    if (this.opts.spawnProcesses !== true) return;
    // With a lifeline like the local cluster's nodes: a SIGKILLed runner leaves no idle node behind.
    const run = withLifeline({ command: process.execPath, args: ['-e', CHILD_SOURCE], env: {} });
    const child = spawn(run.command, run.args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...run.env } });
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    const port = Number(chunk.toString().trim());
    if (!(port > 0) || child.pid === undefined) throw new Error(`FakeCluster: node ${node} did not start`);
    this.children.set(node, child);
    this.spawned.push({ node, pid: child.pid, port });
  }
}

/** stopChild SIGKILLs a child (after SIGCONT, in case it is stopped) and waits for its exit. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}

/**
 * MemoryKvClients: one linearizable in-memory store shared by every client. An op on a node
 * that is down or paused is not applied and comes back as info after `latencyMs`, like a
 * timeout; otherwise it is applied atomically at once and answered after `latencyMs`.
 */
export class MemoryKvClients implements ClientFactory {
  readonly data = new Map<string, unknown>();

  constructor(private readonly cluster: FakeCluster | undefined, private readonly latencyMs = 0) {}

  open(node: string): KvClientLike {
    const run = (apply: () => Completion): Promise<Completion> => {
      const available = this.cluster === undefined || this.cluster.isAvailable(node);
      const completion: Completion = available ? { ...apply(), node } : { type: 'info', error: `${node} unavailable`, node };
      if (this.latencyMs <= 0) return Promise.resolve(completion);
      return new Promise((resolve) => setTimeout(() => resolve(completion), this.latencyMs));
    };
    const read = (key: string): unknown => (this.data.has(key) ? this.data.get(key) : null);
    return {
      read: (key) => run(() => ({ type: 'ok', value: read(key) })),
      write: (key, value) => run(() => {
        this.data.set(key, value);
        return { type: 'ok' };
      }),
      cas: (key, expected, value) => run(() => {
        if (JSON.stringify(read(key)) !== JSON.stringify(expected)) return { type: 'fail', error: 'cas mismatch' };
        this.data.set(key, value);
        return { type: 'ok' };
      }),
      txn: () => run(() => ({ type: 'fail', error: 'txn not supported by the memory client' })),
    };
  }
}
