// cluster/local/local-cluster.ts — LocalCluster: a NodeProgram's nodes as child processes on 127.0.0.1, links through proxies.
//
// Every directed node-to-node link A→B of each peer port goes through a TCP proxy owned by this
// (control) process: site.dial(B, port) on A names the proxy, which forwards to B's real port.
// The proxies listen for the whole run and nodes keep their ports across restarts, so a
// partition is just cutting proxies. Clients reach nodes directly unless spec.partitionClients
// asks for per-side client proxies (see clientEndpoint in cluster/types.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerCleanup } from '../cleanup.ts';
import { linkCut, pairCut, validateGrudge } from '../grudge.ts';
import { TEMP_DIR_PREFIX, writeOwnerFile } from '../owner.ts';
import { reservePorts } from '../ports.ts';
import { SeededRng } from '../../lib/rng.ts';
import { LazyDisks } from '../lazy-disks.ts';
import { type ClockSkew, type Cluster, type ClusterSpec, type DataFiles, endpoint, type Endpoint, type Grudge, type LazyDisk, type LostUnsynced, mainClientPort, type NodeProbe, type NodeProgram, type NodeSite, type NodeStatus, type PacketLink, type PacketShape, type PacketShaping, type PacketSupport, type PortSpec } from '../types.ts';
import { faketimeEnv, requireLibfaketime, writeOffsetFile } from './faketime.ts';
import { LinkProxy, type Shaping } from './link-proxy.ts';
import { giveDirTo } from '../node-user.ts';
import { NodeProcess, readFrom, type NodeProcessState, type ProcessLaunch } from './node-process.ts';
import { nodeSlot } from '../node-slots.ts';

const HOST = '127.0.0.1';
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const START_ATTEMPTS_MAX = 3;
const LOCAL_PACKET_MECHANISM = 'link-proxies (TCP stream chunks delayed, throttled, reordered between connections)';
/** PACKET_DELAY_MS_DEFAULT: the delay reordering needs when none is given (Jepsen's default delay). */
const PACKET_DELAY_MS_DEFAULT = 50;

/** LocalClusterOptions: knobs of the local backend that are not part of ClusterSpec. */
export interface LocalClusterOptions {
  /** How long a node may take to become ready (program.ready). Default 20000. */
  readyTimeoutMs?: number;
  /** SIGTERM grace before SIGKILL at teardown. Default 500. */
  stopGraceMs?: number;
  /** Keep the per-node data directories at teardown (they are removed by default). */
  keepData?: boolean;
}

/** NodeSlot: one node's fixed ports (by port name), paths and process. */
interface NodeSlot {
  id: string;
  index: number;
  ports: Map<string, number>;
  dataDir: string;
  /** With spec.lazyDisk: where the node's files really are (dataDir is the lazyfs mount over it). */
  backingDir: string | null;
  clockFile: string | null;
  process: NodeProcess | null;
}

/** LocalCluster implements Cluster with real processes; see the file comment. */
export class LocalCluster implements Cluster, ClockSkew, PacketShaping, LazyDisk, DataFiles {
  readonly nodes: string[];
  readonly allNodes: string[];
  private readonly slots = new Map<string, NodeSlot>();
  private readonly peerProxies = new Map<string, LinkProxy>();
  private readonly clientProxies = new Map<string, LinkProxy>();
  private readonly disks = new LazyDisks();
  private grudgeNow: Grudge = {};
  private libfaketime: string | null = null;
  private tempDir: string | null = null;
  private readonly createdDirs: string[] = [];
  private unregister: (() => void) | null = null;
  private teardownDone: Promise<void> | null = null;
  private readonly opts: Required<LocalClusterOptions>;
  private readonly mainPort: PortSpec;

  constructor(readonly spec: ClusterSpec, readonly program: NodeProgram, options: LocalClusterOptions = {}) {
    this.nodes = [...program.nodes];
    this.allNodes = [...program.allNodes];
    this.mainPort = mainClientPort(program);
    this.opts = { readyTimeoutMs: 20_000, stopGraceMs: 500, keepData: false, ...options };
  }

  /** grudge is the partition in force ({} when healed). */
  get grudge(): Grudge {
    return structuredClone(this.grudgeNow);
  }

  /** setup starts proxies and every node; on failure it tears down what it started and rethrows. */
  async setup(): Promise<void> {
    if (this.slots.size > 0) throw new Error('LocalCluster: setup called twice');
    this.unregister = registerCleanup({ name: `local-cluster ${this.program.name}`, run: () => this.teardown(), sync: () => this.teardownSync() });
    try {
      if (this.spec.fakeTime === true) this.libfaketime = requireLibfaketime();
      this.tempDir = fs.mkdtempSync(path.join(os.tmpdir(), `${TEMP_DIR_PREFIX}cluster-`));
      writeOwnerFile(this.tempDir);
      // Logs outlive the cluster (they are the run's record), so the log dir is not tracked.
      fs.mkdirSync(this.spec.logDir, { recursive: true });
      this.makeDir(this.spec.dataDir);
      await this.allocateSlots();
      if (this.spec.lazyDisk === true) await this.mountDisks();
      await this.startProxies();
      // allSettled, not all: teardown must not race starts still in flight.
      const started = await Promise.allSettled(this.allNodes.map((id) => this.startFresh(id)));
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      await this.disks.syncAll();
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
      // Keys are `from>to:port`.
      const [from, toAndPort] = key.split('>');
      this.applyCut(proxy, linkCut(grudge, from, toAndPort.split(':')[0]));
    }
    for (const [key, proxy] of this.clientProxies) {
      const [side, node] = key.split('>');
      this.applyCut(proxy, pairCut(grudge, side, node));
    }
  }

  /** packetSupport: the link proxies move whole chunks of a TCP stream; they cannot drop or copy one packet. */
  packetSupport(): PacketSupport {
    return {
      behaviours: ['delay', 'reorder', 'rate'],
      mechanism: LOCAL_PACKET_MECHANISM,
      missing: 'loss and duplicate cannot be done on --cluster local: the link proxies carry TCP streams, and dropping or copying one packet of a stream needs real packets (use --cluster docker)',
    };
  }

  /**
   * shapePackets puts the shape on each listed link's proxy (node→node; with partitionClients
   * also the client proxy on from's side reaching to), both directions of each connection
   * taking the shape of the link the bytes travel. Each direction draws from its own seeded Rng.
   */
  async shapePackets(links: readonly PacketLink[], shape: PacketShape, seed: number): Promise<{ mechanism: string }> {
    const shaped = new Set(links.map(([a, b]) => `${a}>${b}`));
    const support = this.packetSupport();
    for (const b of ['loss', 'duplicate'] as const) {
      if ((shape[b] ?? 0) > 0) throw new Error(support.missing!);
    }
    const effective: PacketShape = shape.reorder !== undefined && shape.delayMs === undefined ? { ...shape, delayMs: PACKET_DELAY_MS_DEFAULT } : shape;
    let stream = 0;
    const shapingOf = (from: string, to: string): Shaping | null =>
      shaped.has(`${from}>${to}`) ? { shape: effective, rng: new SeededRng((seed + 7919 * ++stream) >>> 0) } : null;
    for (const [key, proxy] of [...this.peerProxies, ...this.clientProxies]) {
      const [from, to] = key.split('>');
      proxy.shape(shapingOf(from, to), shapingOf(to, from));
    }
    return { mechanism: LOCAL_PACKET_MECHANISM };
  }

  async unshapePackets(): Promise<void> {
    for (const proxy of [...this.peerProxies.values(), ...this.clientProxies.values()]) proxy.shape(null, null);
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

  /** loseUnsynced drops what a stopped node wrote but did not fsync (its lazyfs crashes); needs spec.lazyDisk. */
  async loseUnsynced(node: string, options: { torn?: boolean | number } = {}): Promise<LostUnsynced> {
    this.slotOf(node);
    // Only a dead process can be "power-failed": a live one would go on from its own memory.
    if (this.disks.has(node) && this.nodeState(node) !== 'stopped') throw new Error(`loseUnsynced: node ${node} is ${this.nodeState(node)}; kill it first`);
    return this.disks.loseUnsynced(node, options);
  }

  /** forgetUnsynced makes a stopped node's lazy disk durable as it is (see LazyDisk); a no-op without spec.lazyDisk. */
  async forgetUnsynced(node: string): Promise<void> {
    this.slotOf(node);
    if (this.disks.has(node) && this.nodeState(node) !== 'stopped') throw new Error(`forgetUnsynced: node ${node} is ${this.nodeState(node)}; kill it first`);
    await this.disks.forgetUnsynced(node);
  }

  /** dataFilesDir: the host directory with the node's files as on its disk (lazyfs's backing directory when there is one). */
  dataFilesDir(node: string): string {
    const slot = this.slotOf(node);
    return slot.backingDir ?? slot.dataDir;
  }

  dataFilePaths(): readonly string[] | undefined {
    return this.program.dataFiles;
  }

  isStopped(node: string): boolean {
    return this.nodeState(node) === 'stopped';
  }

  clientEndpoint(node: string, clientSide?: string): Endpoint {
    this.slotOf(node);
    if (clientSide !== undefined && clientSide !== node && this.spec.partitionClients === true) {
      this.slotOf(clientSide);
      const proxy = this.clientProxies.get(`${clientSide}>${node}`);
      if (proxy === undefined) throw new Error(`clientEndpoint: no client proxy ${clientSide}>${node} (setup not run?)`);
      return endpoint(node, `${HOST}:${proxy.port}`);
    }
    return endpoint(node, this.clientAddress(node, this.mainPort.name));
  }

  clientAddress(node: string, port: string): string {
    return `${HOST}:${this.portOf(this.slotOf(node), port)}`;
  }

  /** status asks the program (directly, never through a cut); null when it has no status or no answer. */
  async status(node: string): Promise<NodeStatus | null> {
    if (this.program.status === undefined) return null;
    return this.program.status(this.probeOf(this.slotOf(node), 0));
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
    for (const slot of this.slots.values()) out.push(...slot.ports.values());
    for (const proxy of [...this.peerProxies.values(), ...this.clientProxies.values()]) out.push(proxy.port);
    return out;
  }

  /** peerProxy exposes the proxy of link from→to of a peer port (default: the first; tests and diagnostics). */
  peerProxy(from: string, to: string, port = this.peerPorts()[0]?.name): LinkProxy | undefined {
    return this.peerProxies.get(`${from}>${to}:${port}`);
  }

  logPath(node: string): string {
    return path.join(this.spec.logDir, `${node}.log`);
  }

  private applyCut(proxy: LinkProxy, cut: boolean): void {
    if (cut && !proxy.isCut) proxy.cut();
    else if (!cut && proxy.isCut) proxy.restore();
  }

  private async allocateSlots(): Promise<void> {
    const perNode = this.program.ports.length;
    const ports = await reservePorts(perNode * this.allNodes.length);
    this.allNodes.forEach((id, index) => {
      const dataDir = path.join(this.spec.dataDir, id);
      this.makeDir(dataDir);
      let clockFile: string | null = null;
      if (this.libfaketime !== null) {
        clockFile = path.join(this.tempDir!, `${id}.faketime`);
        writeOffsetFile(clockFile, 0);
      }
      const named = new Map(this.program.ports.map((p, k) => [p.name, ports[perNode * index + k]]));
      const backingDir = this.spec.lazyDisk === true ? path.join(this.spec.dataDir, `${id}.disk`) : null;
      if (backingDir !== null) this.makeDir(backingDir);
      this.slots.set(id, { id, index, ports: named, dataDir, backingDir, clockFile, process: null });
    });
  }

  /** mountDisks puts every node's data directory on its own lazyfs (over <id>.disk beside it). */
  private async mountDisks(): Promise<void> {
    const refusal = LazyDisks.refusal();
    if (refusal !== null) throw new Error(refusal);
    for (const slot of this.slots.values()) await this.disks.mount(slot.id, slot.backingDir!, slot.dataDir);
  }

  private async startProxies(): Promise<void> {
    const listening: Promise<number>[] = [];
    for (const from of this.allNodes) {
      for (const to of this.allNodes) {
        if (from === to) continue;
        const target = this.slotOf(to);
        for (const port of this.peerPorts()) {
          const key = `${from}>${to}:${port.name}`;
          const proxy = new LinkProxy(key, () => ({ host: HOST, port: this.portOf(target, port.name) }));
          this.peerProxies.set(key, proxy);
          listening.push(proxy.listen());
        }
        if (this.spec.partitionClients === true) {
          const client = new LinkProxy(`client ${from}>${to}`, () => ({ host: HOST, port: this.portOf(target, this.mainPort.name) }));
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
      if (attempt === 1) this.writeFiles(slot);
      const launch = this.launchOf(slot);
      // A node that runs as its own user (not root) must own its data dir.
      if (attempt === 1) giveDirTo(launch.userWhenRoot, slot.dataDir);
      slot.process = new NodeProcess(launch);
      try {
        await slot.process.start(this.opts.readyTimeoutMs);
        return;
      } catch (err) {
        if (attempt >= START_ATTEMPTS_MAX || !/EADDRINUSE/.test((err as Error).message)) throw err;
        const taken = new Set(this.ports());
        const fresh = await reservePorts(slot.ports.size, taken);
        [...slot.ports.keys()].forEach((name, k) => slot.ports.set(name, fresh[k]));
      }
    }
  }

  private peerPorts(): PortSpec[] {
    return this.program.ports.filter((p) => p.peer);
  }

  private portOf(slot: NodeSlot, port: string): number {
    const n = slot.ports.get(port);
    if (n === undefined) throw new Error(`${this.program.name}: node ${slot.id} has no port ${JSON.stringify(port)}`);
    return n;
  }

  /** siteOf: the node's place as its program sees it (ports on 127.0.0.1, peers through the link proxies). */
  private siteOf(slot: NodeSlot): NodeSite {
    const own = (port: string): string => `${HOST}:${this.portOf(slot, port)}`;
    return {
      kind: 'local',
      node: slot.id,
      index: slot.index,
      allNodes: this.allNodes,
      dataDir: slot.dataDir,
      listen: own,
      advertise: own,
      dial: (other, port) => {
        if (other === slot.id) return own(port);
        const proxy = this.peerProxies.get(`${slot.id}>${other}:${port}`);
        if (proxy !== undefined) return `${HOST}:${proxy.port}`;
        return `${HOST}:${this.portOf(this.slotOf(other), port)}`;
      },
    };
  }

  /** probeOf: what program.ready/status look at; the log from byte `logOffset` on. */
  private probeOf(slot: NodeSlot, logOffset: number): NodeProbe {
    return {
      node: slot.id,
      logSinceStart: async () => readFrom(this.logPath(slot.id), logOffset),
      address: (port) => `${HOST}:${this.portOf(slot, port)}`,
    };
  }

  private launchOf(slot: NodeSlot): ProcessLaunch {
    const site = this.siteOf(slot);
    const launch = this.program.launch(site);
    const faked = slot.clockFile !== null && this.libfaketime !== null ? faketimeEnv(this.libfaketime, slot.clockFile) : {};
    return {
      id: slot.id,
      command: launch.command,
      args: launch.args,
      env: { ...(launch.env ?? {}), ...faked },
      cwd: launch.cwd ?? REPO_ROOT,
      logPath: this.logPath(slot.id),
      ...(launch.userWhenRoot !== undefined ? { userWhenRoot: launch.userWhenRoot } : {}),
      ready: (offset) => this.program.ready(this.probeOf(slot, offset)),
    };
  }

  /** writeFiles puts the program's files for a node into its data directory (before its first start). */
  private writeFiles(slot: NodeSlot): void {
    for (const file of this.program.files?.(this.siteOf(slot)) ?? []) {
      const target = path.join(slot.dataDir, file.path);
      if (!target.startsWith(slot.dataDir + path.sep)) throw new Error(`${this.program.name}: file ${file.path} lies outside the data directory`);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, file.data, { mode: file.mode ?? 0o644 });
    }
  }

  private async teardownOnce(): Promise<void> {
    await Promise.all([...this.slots.values()].map((s) => s.process?.stop(this.opts.stopGraceMs)));
    await Promise.all([...this.peerProxies.values(), ...this.clientProxies.values()].map((p) => p.close()));
    // Nodes are stopped, so nothing holds files in the mounts; unmount before removing what is under them.
    await this.disks.unmountAll();
    this.removeDirs();
    this.unregister?.();
    this.unregister = null;
  }

  /** teardownSync is the 'exit' fallback: SIGKILL every node and remove dirs, synchronously. */
  private teardownSync(): void {
    for (const slot of this.slots.values()) slot.process?.killSync();
    this.disks.unmountAllSync();
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
    return nodeSlot(this.slots, this.allNodes, node);
  }

  private processOf(node: string): NodeProcess {
    const proc = this.slotOf(node).process;
    if (proc === null) throw new Error(`node ${node}: cluster not set up`);
    return proc;
  }
}
