// cluster/local/local-cluster.ts — LocalCluster: nodes as child processes on 127.0.0.1, links through proxies.
//
// Every directed node-to-node link A→B goes through a TCP proxy owned by this (control)
// process: A's --peers entry for B names the proxy, which forwards to B's real peer port. The
// proxies listen for the whole run and nodes keep their ports across restarts, so a partition
// is just cutting proxies. Clients reach nodes directly unless spec.partitionClients asks for
// per-side client proxies (see clientEndpoint in cluster/types.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeStatus } from '../types.ts';
import { registerCleanup } from '../cleanup.ts';
import { linkCut, pairCut, validateGrudge } from '../grudge.ts';
import { allNodeIds, nodeIds } from '../node-ids.ts';
import { TEMP_DIR_PREFIX, writeOwnerFile } from '../owner.ts';
import { reservePorts } from '../ports.ts';
import type { Cluster, ClusterSpec, Endpoint, Grudge } from '../types.ts';
import { faketimeEnv, requireLibfaketime, writeOffsetFile } from './faketime.ts';
import { LinkProxy } from './link-proxy.ts';
import { NodeProcess, type NodeProcessState } from './node-process.ts';

const HOST = '127.0.0.1';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const START_ATTEMPTS_MAX = 3;

/** LocalClusterOptions: knobs of the local backend that are not part of ClusterSpec. */
export interface LocalClusterOptions {
  /** The program to run per node; node flags are appended. Default: node --import tsx rsm/node/main.ts. */
  nodeCommand?: { command: string; args: string[] };
  /** How long a node may take to print its ready line. Default 20000. */
  readyTimeoutMs?: number;
  /** SIGTERM grace before SIGKILL at teardown. Default 500. */
  stopGraceMs?: number;
  /** Timeout of status(). Default 500. */
  statusTimeoutMs?: number;
  /** Keep the per-node data directories at teardown (they are removed by default). */
  keepData?: boolean;
}

/** NodeSlot: one node's fixed ports, paths and process. */
interface NodeSlot {
  id: string;
  index: number;
  httpPort: number;
  peerPort: number;
  dataDir: string;
  clockFile: string | null;
  process: NodeProcess | null;
}

/** LocalCluster implements Cluster with real processes; see the file comment. */
export class LocalCluster implements Cluster {
  readonly nodes: string[];
  readonly allNodes: string[];
  private readonly slots = new Map<string, NodeSlot>();
  private readonly peerProxies = new Map<string, LinkProxy>();
  private readonly clientProxies = new Map<string, LinkProxy>();
  private grudgeNow: Grudge = {};
  private libfaketime: string | null = null;
  private tempDir: string | null = null;
  private readonly createdDirs: string[] = [];
  private unregister: (() => void) | null = null;
  private teardownDone: Promise<void> | null = null;
  private readonly opts: Required<Omit<LocalClusterOptions, 'nodeCommand'>> & Pick<LocalClusterOptions, 'nodeCommand'>;

  constructor(readonly spec: ClusterSpec, options: LocalClusterOptions = {}) {
    this.nodes = nodeIds(spec.nodeCount);
    this.allNodes = allNodeIds(spec.protocol, spec.nodeCount);
    this.opts = { readyTimeoutMs: 20_000, stopGraceMs: 500, statusTimeoutMs: 500, keepData: false, ...options };
  }

  /** grudge is the partition in force ({} when healed). */
  get grudge(): Grudge {
    return structuredClone(this.grudgeNow);
  }

  /** setup starts proxies and every node; on failure it tears down what it started and rethrows. */
  async setup(): Promise<void> {
    if (this.slots.size > 0) throw new Error('LocalCluster: setup called twice');
    this.unregister = registerCleanup({ name: `local-cluster ${this.spec.protocol}`, run: () => this.teardown(), sync: () => this.teardownSync() });
    try {
      if (this.spec.fakeTime === true) this.libfaketime = requireLibfaketime();
      this.tempDir = fs.mkdtempSync(path.join(os.tmpdir(), `${TEMP_DIR_PREFIX}cluster-`));
      writeOwnerFile(this.tempDir);
      // Logs outlive the cluster (they are the run's record), so the log dir is not tracked.
      fs.mkdirSync(this.spec.logDir, { recursive: true });
      this.makeDir(this.spec.dataDir);
      await this.allocateSlots();
      await this.startProxies();
      // allSettled, not all: teardown must not race starts still in flight.
      const started = await Promise.allSettled(this.allNodes.map((id) => this.startFresh(id)));
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    } catch (err) {
      await this.teardown();
      throw err;
    }
  }

  /** teardown stops every node (SIGTERM, then SIGKILL), closes proxies, removes temp dirs; idempotent. */
  teardown(): Promise<void> {
    this.teardownDone ??= this.teardownOnce();
    return this.teardownDone;
  }

  async start(node: string): Promise<void> {
    // A start after teardown would leave a process nobody stops.
    if (this.teardownDone !== null) throw new Error(`start ${node}: the cluster has been torn down`);
    await this.processOf(node).start(this.opts.readyTimeoutMs);
  }

  async kill(node: string): Promise<void> {
    await this.processOf(node).kill();
  }

  async pause(node: string): Promise<void> {
    this.processOf(node).pause();
  }

  async resume(node: string): Promise<void> {
    this.processOf(node).resume();
  }

  /** partition replaces the grudge: each proxy is cut or restored to match it. */
  async partition(grudge: Grudge): Promise<void> {
    validateGrudge(grudge, this.allNodes);
    this.grudgeNow = structuredClone(grudge);
    for (const [key, proxy] of this.peerProxies) {
      const [from, to] = key.split('>');
      this.applyCut(proxy, linkCut(grudge, from, to));
    }
    for (const [key, proxy] of this.clientProxies) {
      const [side, node] = key.split('>');
      this.applyCut(proxy, pairCut(grudge, side, node));
    }
  }

  async heal(): Promise<void> {
    await this.partition({});
  }

  /** setClockOffset rewrites the node's libfaketime offset file; needs spec.fakeTime. */
  async setClockOffset(node: string, ms: number): Promise<void> {
    const slot = this.slotOf(node);
    if (slot.clockFile === null) {
      throw new Error('setClockOffset: the cluster was not started with fakeTime (clock skew needs libfaketime: `apt-get install faketime`)');
    }
    writeOffsetFile(slot.clockFile, ms);
  }

  clientEndpoint(node: string, clientSide?: string): Endpoint {
    const slot = this.slotOf(node);
    if (clientSide !== undefined && clientSide !== node && this.spec.partitionClients === true) {
      this.slotOf(clientSide);
      const proxy = this.clientProxies.get(`${clientSide}>${node}`);
      if (proxy === undefined) throw new Error(`clientEndpoint: no client proxy ${clientSide}>${node} (setup not run?)`);
      return { node, httpUrl: `http://${HOST}:${proxy.port}` };
    }
    return { node, httpUrl: `http://${HOST}:${slot.httpPort}` };
  }

  /** status asks GET /status directly (never through a cut); null on timeout or error. */
  async status(node: string): Promise<NodeStatus | null> {
    const slot = this.slotOf(node);
    try {
      const res = await fetch(`http://${HOST}:${slot.httpPort}/status`, { signal: AbortSignal.timeout(this.opts.statusTimeoutMs) });
      if (!res.ok) return null;
      return (await res.json()) as NodeStatus;
    } catch {
      return null;
    }
  }

  /** collectLogs copies every node's log into dir (a no-op when dir is the log dir). */
  async collectLogs(dir: string): Promise<void> {
    if (path.resolve(dir) === path.resolve(this.spec.logDir)) return;
    fs.mkdirSync(dir, { recursive: true });
    for (const id of this.allNodes) {
      const src = this.logPath(id);
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, path.basename(src)));
    }
  }

  /** nodeState tells whether a node runs, is paused or stopped (killed). */
  nodeState(node: string): NodeProcessState {
    return this.slotOf(node).process?.state ?? 'stopped';
  }

  /** pid of a node's process, or null when it is not running. */
  pid(node: string): number | null {
    return this.slotOf(node).process?.pid ?? null;
  }

  /** ports lists every port the cluster listens on (nodes and proxies), for leak checks. */
  ports(): number[] {
    const out: number[] = [];
    for (const slot of this.slots.values()) out.push(slot.httpPort, slot.peerPort);
    for (const proxy of [...this.peerProxies.values(), ...this.clientProxies.values()]) out.push(proxy.port);
    return out;
  }

  /** peerProxy exposes the proxy of link from→to (tests and diagnostics). */
  peerProxy(from: string, to: string): LinkProxy | undefined {
    return this.peerProxies.get(`${from}>${to}`);
  }

  logPath(node: string): string {
    return path.join(this.spec.logDir, `${node}.log`);
  }

  private applyCut(proxy: LinkProxy, cut: boolean): void {
    if (cut && !proxy.isCut) proxy.cut();
    else if (!cut && proxy.isCut) proxy.restore();
  }

  private async allocateSlots(): Promise<void> {
    const ports = await reservePorts(2 * this.allNodes.length);
    this.allNodes.forEach((id, index) => {
      const dataDir = path.join(this.spec.dataDir, id);
      this.makeDir(dataDir);
      let clockFile: string | null = null;
      if (this.libfaketime !== null) {
        clockFile = path.join(this.tempDir!, `${id}.faketime`);
        writeOffsetFile(clockFile, 0);
      }
      this.slots.set(id, { id, index, httpPort: ports[2 * index], peerPort: ports[2 * index + 1], dataDir, clockFile, process: null });
    });
  }

  private async startProxies(): Promise<void> {
    const listening: Promise<number>[] = [];
    for (const from of this.allNodes) {
      for (const to of this.allNodes) {
        if (from === to) continue;
        const target = this.slotOf(to);
        const proxy = new LinkProxy(`${from}>${to}`, () => ({ host: HOST, port: target.peerPort }));
        this.peerProxies.set(`${from}>${to}`, proxy);
        listening.push(proxy.listen());
        if (this.spec.partitionClients === true) {
          const client = new LinkProxy(`client ${from}>${to}`, () => ({ host: HOST, port: target.httpPort }));
          this.clientProxies.set(`${from}>${to}`, client);
          listening.push(client.listen());
        }
      }
    }
    await Promise.all(listening);
  }

  /** startFresh starts a node for the first time, moving it to new ports if its ports were taken. */
  private async startFresh(id: string): Promise<void> {
    const slot = this.slotOf(id);
    for (let attempt = 1; ; attempt++) {
      if (this.teardownDone !== null) throw new Error(`start ${id}: the cluster has been torn down`);
      slot.process = new NodeProcess(this.launchOf(slot));
      try {
        await slot.process.start(this.opts.readyTimeoutMs);
        return;
      } catch (err) {
        if (attempt >= START_ATTEMPTS_MAX || !/EADDRINUSE/.test((err as Error).message)) throw err;
        const taken = new Set(this.ports());
        [slot.httpPort, slot.peerPort] = await reservePorts(2, taken);
      }
    }
  }

  private launchOf(slot: NodeSlot): ConstructorParameters<typeof NodeProcess>[0] {
    const spec = this.spec;
    const isViewServer = slot.id === 'vs';
    const others = this.allNodes.filter((n) => n !== slot.id && n !== 'vs');
    const peers = others.map((n) => `${n}=${HOST}:${this.peerProxies.get(`${slot.id}>${n}`)!.port}`).join(',');
    const args = [
      '--id', slot.id,
      '--protocol', isViewServer ? 'viewserver' : spec.protocol,
      '--listen', `${HOST}:${slot.httpPort}`,
      '--peer-listen', `${HOST}:${slot.peerPort}`,
      '--data-dir', slot.dataDir,
    ];
    if (peers !== '') args.push('--peers', peers);
    if (!isViewServer && this.allNodes.includes('vs')) args.push('--viewserver', `vs=${HOST}:${this.peerProxies.get(`${slot.id}>vs`)!.port}`);
    if (spec.tickMs !== undefined) args.push('--tick-ms', String(spec.tickMs));
    if (spec.fsync !== undefined) args.push('--fsync', spec.fsync);
    if (spec.reads !== undefined && !isViewServer) args.push('--reads', spec.reads);
    for (const bug of spec.bugs) args.push('--bug', bug);
    for (const [k, v] of Object.entries(spec.options)) args.push('--option', `${k}=${v}`);
    if (spec.seed !== undefined) args.push('--seed', String(spec.seed + slot.index));
    const base = this.opts.nodeCommand ?? { command: process.execPath, args: ['--import', 'tsx', path.join(REPO_ROOT, 'rsm/node/main.ts')] };
    const env = slot.clockFile !== null && this.libfaketime !== null ? faketimeEnv(this.libfaketime, slot.clockFile) : {};
    return { id: slot.id, command: base.command, args: [...base.args, ...args], env, cwd: REPO_ROOT, logPath: this.logPath(slot.id) };
  }

  private async teardownOnce(): Promise<void> {
    await Promise.all([...this.slots.values()].map((s) => s.process?.stop(this.opts.stopGraceMs)));
    await Promise.all([...this.peerProxies.values(), ...this.clientProxies.values()].map((p) => p.close()));
    this.removeDirs();
    this.unregister?.();
    this.unregister = null;
  }

  /** teardownSync is the 'exit' fallback: SIGKILL every node and remove dirs, synchronously. */
  private teardownSync(): void {
    for (const slot of this.slots.values()) slot.process?.killSync();
    this.removeDirs();
  }

  private removeDirs(): void {
    if (this.tempDir !== null) fs.rmSync(this.tempDir, { recursive: true, force: true });
    this.tempDir = null;
    if (!this.opts.keepData) {
      for (const dir of this.createdDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  private makeDir(dir: string): void {
    if (fs.existsSync(dir)) return;
    fs.mkdirSync(dir, { recursive: true });
    this.createdDirs.push(dir);
  }

  private slotOf(node: string): NodeSlot {
    const slot = this.slots.get(node);
    if (slot === undefined) {
      if (!this.allNodes.includes(node)) throw new Error(`unknown node ${JSON.stringify(node)}; expected one of ${this.allNodes.join(', ')}`);
      throw new Error(`node ${node}: cluster not set up`);
    }
    return slot;
  }

  private processOf(node: string): NodeProcess {
    const proc = this.slotOf(node).process;
    if (proc === null) throw new Error(`node ${node}: cluster not set up`);
    return proc;
  }
}
