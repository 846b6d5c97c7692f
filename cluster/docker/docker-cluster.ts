// cluster/docker/docker-cluster.ts — DockerCluster: one container per node, faults through the Docker API.
//
// Each node is two containers. A small "net" container owns the node's network namespace: it
// sits on the run's internal bridge network (fixed address, the only way nodes reach each
// other) and on a second, non-internal "api" bridge whose inter-container traffic is disabled
// (enable_icc=false), where the node's client ports are published for the control node. The node
// container joins that namespace (NetworkMode container:<net>) and runs the NodeProgram's
// command for that node. Because the namespace outlives the node process,
// iptables rules (partitions) survive kill/start and can be changed while the node is paused,
// and the published port never changes. Only the net container has CAP_NET_ADMIN.
//
// Faults: partition = iptables DROP rules in INPUT (Jepsen's grudge: a node drops packets from
// the sources it holds a grudge against); with spec.partitionClients each node also publishes
// one port per client side (SIDE_PORT_BASE+k, redirected to the main client port by a nat rule) and a partition drops the
// ports of the sides the grudge separates from it (mangle PREROUTING, before the redirect); kill = SIGKILL, start = start the same container (its
// data dir lives in the container's filesystem); pause = docker pause (cgroup freezer); clock =
// the libfaketime offset file, copied in through the archive API; lose-unsynced (spec.lazyDisk) =
// each node's data directory is a lazyfs mount on the control node (cluster/lazy-disks.ts),
// bind-mounted into its container: the filesystem process outlives the container's SIGKILL and
// is told to crash from here while the node is down; corrupt-file (spec.dataFiles) = the data
// directory is a plain host directory bound in the same way. Both need the engine on this machine.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import { registerCleanup } from '../cleanup.ts';
import { LazyDisks } from '../lazy-disks.ts';
import { pairCut, validateGrudge } from '../grudge.ts';
import { currentOwner, formatOwner } from '../owner.ts';
import { faketimeEnv, formatOffset } from '../local/faketime.ts';
import { giveDirTo } from '../node-user.ts';
import { type ClockSkew, type Cluster, type ClusterSpec, type DataFiles, type LazyDisk, type LostUnsynced, endpoint, type Endpoint, type Grudge, mainClientPort, type NodeProbe, type NodeProgram, type NodeSite, type NodeStatus, type PacketLink, type PacketShape, type PacketShaping, type PacketSupport, type PortSpec } from '../types.ts';
import { containerLogs, dockerClient, engineOnThisMachine, execAll, execIn, execOk, dockerReachable, publishTarget, type PublishTarget } from './engine.ts';
import { NodeFirewall, probeIptables } from './firewall.ts';
import { PacketShaper, packetSupportBeforeProbe, probePacketKernel, type PacketExec, type ShapedNode } from '../packet-shaper.ts';
import { nfqShaperBinary } from '../native-build.ts';
import { ensureImage, IMAGE_PATHS } from './image.ts';
import { followLogs, type LogFollower } from './log-follower.ts';
import { OWNER_LABEL, removeDeadRuns, removeRun, removeRunSync, ROLE_LABEL, RUN_LABEL } from './leftovers.ts';
import { hostAddress, pickSubnet } from './subnet.ts';
import { tarBuffer, type TarEntry } from './tar.ts';
import { nodeSlot } from '../node-slots.ts';

export { RUN_LABEL } from './leftovers.ts';
/** SIDE_PORT_BASE: container ports SIDE_PORT_BASE+k carry clients on the side of node k (partitionClients). */
const SIDE_PORT_BASE = 30_000;
const CLOCK_FILE = 'faketime';
const NETWORK_CREATE_TRIES_MAX = 8;
const READY_POLL_MS = 100;
const LOG_TAIL_CHARS = 2000;

/** DockerClusterOptions: knobs of the docker backend that are not part of ClusterSpec. */
export interface DockerClusterOptions {
  /** Run this image instead of building the default one (it must follow IMAGE_PATHS). Default: $SPLITBRAIN_DOCKER_IMAGE, else built. */
  image?: string;
  /** The engine client. Default: from DOCKER_HOST like the docker CLI. */
  docker?: Docker;
  /** Run id used in names and the RUN_LABEL label. Default: random. */
  runId?: string;
  /** How long a node may take to become ready (program.ready). Default 30000. */
  readyTimeoutMs?: number;
}

type NodeState = 'stopped' | 'running' | 'paused';

/** NodeSlot: one node's containers, addresses and state. */
interface NodeSlot {
  id: string;
  index: number;
  ip: string;
  net: Docker.Container;
  node: Docker.Container;
  /** Host port of each published client port, by port name. */
  hostPorts: Map<string, number>;
  state: NodeState;
  /** The node's iptables rules (set up once the image's iptables front end is known). */
  firewall: NodeFirewall | null;
  /** With spec.partitionClients: the host port clients on each side dial. */
  sidePorts: Map<string, number>;
  /** Appends the node's output to spec.logDir/<node>.log while it runs. */
  follower: LogFollower | null;
}

/** DockerCluster implements Cluster on a Docker engine; see the file comment. */
export class DockerCluster implements Cluster, ClockSkew, PacketShaping, LazyDisk, DataFiles {
  private readonly disks = new LazyDisks();
  private packets: PacketShaper | null = null;
  private iptablesBin: string | null = null;
  readonly nodes: string[];
  readonly allNodes: string[];
  readonly runId: string;
  private readonly docker: Docker;
  private readonly publish: PublishTarget;
  private readonly slots = new Map<string, NodeSlot>();
  private readonly opts: Required<Omit<DockerClusterOptions, 'image' | 'docker' | 'runId'>>;
  private imageName: string | null = null;
  private subnet: string | null = null;
  private unregister: (() => void) | null = null;
  private setupStarted = false;
  private teardownDone: Promise<void> | null = null;
  /** engineReached: setup got past the engine check, so there may be something to remove. */
  private engineReached = false;
  /** imageBuilt tells, after setup, whether the default image had to be imported (false: cache hit or --image). */
  imageBuilt = false;

  private readonly mainPort: PortSpec;

  constructor(readonly spec: ClusterSpec, readonly program: NodeProgram, private readonly options: DockerClusterOptions = {}) {
    this.nodes = [...program.nodes];
    this.allNodes = [...program.allNodes];
    this.mainPort = mainClientPort(program);
    if (this.allNodes.length > 200) throw new Error('docker cluster: at most 200 nodes');
    this.runId = options.runId ?? `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    if (!/^[a-z0-9][a-z0-9-]*$/.test(this.runId)) throw new Error(`docker cluster: bad run id ${JSON.stringify(this.runId)}`);
    this.docker = options.docker ?? dockerClient();
    this.publish = publishTarget(process.env.DOCKER_HOST);
    this.opts = { readyTimeoutMs: 30_000, ...stripUndefined(options) };
  }

  /** image is the image the nodes run (after setup). */
  get image(): string | null {
    return this.imageName;
  }

  /** setup builds or finds the image, creates networks and containers, starts every node. */
  async setup(): Promise<void> {
    if (this.setupStarted) throw new Error('DockerCluster: setup called twice');
    const refusal = this.hostDirsRefusal();
    if (refusal !== null) throw new Error(refusal);
    this.setupStarted = true;
    this.unregister = registerCleanup({ name: `docker-cluster ${this.runId}`, run: () => this.teardown(), sync: () => this.teardownSync() });
    try {
      if (!(await dockerReachable(this.docker))) {
        const where = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
        throw new Error(`--cluster docker: no Docker engine answers at ${where}; start one with \`sudo bash scripts/docker-setup.sh\` (Debian) or set DOCKER_HOST`);
      }
      this.engineReached = true;
      // What runs whose control node died left behind (never a live run's resources).
      for (const run of (await removeDeadRuns(this.docker)).removed) {
        process.stderr.write(`docker cluster: removed run ${run.runId} left by a dead control node (${run.containers.length} containers, ${run.networks.length} networks)\n`);
      }
      fs.mkdirSync(this.spec.logDir, { recursive: true });
      const preset = this.options.image ?? process.env.SPLITBRAIN_DOCKER_IMAGE;
      if (preset !== undefined && preset !== '') {
        this.imageName = preset;
      } else {
        if (this.program.image === undefined) throw new Error(`--cluster docker: ${this.program.name} does not say what its nodes need in a container (no image content); pass --image`);
        const built = await ensureImage(this.docker, this.program.image());
        this.imageName = built.image;
        this.imageBuilt = built.built;
      }
      const { internal, api } = await this.createNetworks();
      for (const id of this.allNodes) {
        if (this.spec.lazyDisk === true) await this.disks.mount(id, this.hostDiskDir(id), this.hostDataDir(id));
        else if (this.hostDirs) fs.mkdirSync(this.hostDataDir(id), { recursive: true });
      }
      for (const [index, id] of this.allNodes.entries()) await this.createNode(id, index, internal, api);
      // What the cluster installed before the first start (config files) survives any crash.
      await this.disks.syncAll();
      await Promise.all([...this.slots.values()].map((s) => s.net.start()));
      for (const slot of this.slots.values()) {
        for (const port of this.program.ports.filter((p) => p.client)) slot.hostPorts.set(port.name, await this.publishedPort(slot, port.dockerPort));
      }
      const iptables = await probeIptables(this.docker, this.slotOf(this.allNodes[0]).net);
      for (const slot of this.slots.values()) slot.firewall = new NodeFirewall(this.docker, slot.net, iptables);
      this.iptablesBin = iptables;
      // What the kernel offers for packet faults is probed once, in a node's own namespace.
      const clientPortOf = this.spec.partitionClients === true ? (side: string) => sidePort(this.allNodes.indexOf(side)) : undefined;
      this.packets = new PacketShaper(await probePacketKernel(this.execIn(this.slotOf(this.allNodes[0]).net), IMAGE_PATHS.tc, { path: IMAGE_PATHS.nfqShaper }), (n) => this.slotOf(n).ip, clientPortOf);
      if (this.spec.partitionClients === true) await Promise.all([...this.slots.values()].map((s) => this.setupSidePorts(s)));
      const started = await Promise.allSettled([...this.slots.values()].map((s) => this.startSlot(s)));
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      // The nodes' first start is durable too (see LazyDisks.syncAll).
      await this.disks.syncAll();
    } catch (err) {
      await this.teardown();
      throw err;
    }
  }

  /** teardown saves node logs to spec.logDir, then removes exactly this run's containers and networks; idempotent. */
  teardown(): Promise<void> {
    this.teardownDone ??= this.teardownOnce();
    return this.teardownDone;
  }

  async start(node: string): Promise<void> {
    if (this.teardownDone !== null) throw new Error(`start ${node}: the cluster has been torn down`);
    const slot = this.slotOf(node);
    if (slot.state !== 'stopped') return;
    await this.startSlot(slot);
  }

  async kill(node: string): Promise<void> {
    const slot = this.slotOf(node);
    if (slot.state === 'stopped') return;
    await slot.node.kill({ signal: 'SIGKILL' });
    // A frozen process gets the signal once thawed.
    if (slot.state === 'paused') await slot.node.unpause().catch(() => undefined);
    await slot.node.wait({ condition: 'not-running' });
    slot.state = 'stopped';
  }

  async pause(node: string): Promise<void> {
    const slot = this.slotOf(node);
    if (slot.state !== 'running') return;
    await slot.node.pause();
    slot.state = 'paused';
  }

  async resume(node: string): Promise<void> {
    const slot = this.slotOf(node);
    if (slot.state !== 'paused') return;
    await slot.node.unpause();
    slot.state = 'running';
  }

  /** partition replaces the grudge: each node's INPUT chain drops exactly the sources it holds a grudge against. */
  async partition(grudge: Grudge): Promise<void> {
    validateGrudge(grudge, this.allNodes);
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        const want = new Set((grudge[slot.id] ?? []).map((other) => this.slotOf(other).ip));
        await this.firewallOf(slot).setDrops(want);
        if (this.spec.partitionClients === true) {
          const cutSides = this.allNodes.filter((side) => side !== slot.id && pairCut(grudge, side, slot.id));
          await this.firewallOf(slot).setCutPorts(new Set(cutSides.map((side) => sidePort(this.allNodes.indexOf(side)))));
        }
      }),
    );
  }

  async heal(): Promise<void> {
    await this.partition({});
  }

  /** packetSupport: before setup, what the image's tools can do; after, what the probed kernel does. */
  packetSupport(): PacketSupport {
    return this.packets?.support ?? packetSupportBeforeProbe(nfqShaperBinary() !== null, IMAGE_PATHS.nfqShaper);
  }

  /** shapePackets: the seed drives the NFQUEUE shaper's draws; the kernel draws loss (iptables statistic) and netem's. */
  async shapePackets(links: readonly PacketLink[], shape: PacketShape, seed: number): Promise<{ mechanism: string }> {
    if (this.packets === null) throw new Error('docker cluster: packet faults before setup');
    return { mechanism: await this.packets.apply(this.shapedNodes(), links, shape, seed) };
  }

  async unshapePackets(): Promise<void> {
    await this.packets?.clear(this.shapedNodes());
  }

  private shapedNodes(): Map<string, ShapedNode> {
    return new Map([...this.slots.values()].map((s) => [s.id, { id: s.id, ...this.execIn(s.net), tc: IMAGE_PATHS.tc, iptables: this.iptablesBin!, dev: 'eth0', nfqShaper: { path: IMAGE_PATHS.nfqShaper } }]));
  }

  /** execIn: commands run in a node's network container (its rules and qdiscs). */
  private execIn(net: Docker.Container): PacketExec {
    return {
      run: (argv) => execOk(this.docker, net, argv),
      tryRun: (argv) => execIn(this.docker, net, argv).catch((err: Error) => ({ exitCode: -1, output: err.message })),
      runAll: (argvs) => execAll(this.docker, net, IMAGE_PATHS.node, argvs),
    };
  }

  /** grudge is the partition in force, read back from the rules this cluster installed. */
  get grudge(): Grudge {
    const byIp = new Map([...this.slots.values()].map((s) => [s.ip, s.id]));
    const out: Grudge = {};
    for (const slot of this.slots.values()) {
      const dropping = slot.firewall?.dropping ?? new Set<string>();
      if (dropping.size > 0) out[slot.id] = [...dropping].map((ip) => byIp.get(ip)!).sort();
    }
    return out;
  }

  /** loseUnsynced drops what a stopped node wrote but did not fsync (its host lazyfs crashes); needs spec.lazyDisk. */
  async loseUnsynced(node: string, options: { torn?: boolean | number } = {}): Promise<LostUnsynced> {
    const slot = this.slotOf(node);
    // Only a dead process can be "power-failed": a live one would go on from its own memory.
    if (this.disks.has(node) && slot.state !== 'stopped') throw new Error(`loseUnsynced: node ${node} is ${slot.state}; kill it first`);
    return this.disks.loseUnsynced(node, options);
  }

  /** forgetUnsynced makes a stopped node's host lazyfs durable as it is (see LazyDisk); a no-op without spec.lazyDisk. */
  async forgetUnsynced(node: string): Promise<void> {
    const slot = this.slotOf(node);
    if (this.disks.has(node) && slot.state !== 'stopped') throw new Error(`forgetUnsynced: node ${node} is ${slot.state}; kill it first`);
    await this.disks.forgetUnsynced(node);
  }

  /** dataFilesDir: the host directory holding the node's files as its disk has them (lazyfs's backing directory under spec.lazyDisk). */
  dataFilesDir(node: string): string {
    this.slotOf(node);
    if (!this.hostDirs) throw new Error('dataFilesDir: the cluster was not started with dataFiles (the nodes\' files are inside their containers)');
    return this.spec.lazyDisk === true ? this.hostDiskDir(node) : this.hostDataDir(node);
  }

  dataFilePaths(): readonly string[] | undefined {
    return this.program.dataFiles;
  }

  isStopped(node: string): boolean {
    return this.slotOf(node).state === 'stopped';
  }

  /** setClockOffset rewrites the node's libfaketime offset file (works while paused or stopped); needs spec.fakeTime. */
  async setClockOffset(node: string, ms: number): Promise<void> {
    const slot = this.slotOf(node);
    if (this.spec.fakeTime !== true) {
      throw new Error('setClockOffset: the cluster was not started with fakeTime (the clock nemesis needs it)');
    }
    await this.writeClockFile(slot.node, ms);
  }

  clientEndpoint(node: string, clientSide?: string): Endpoint {
    const slot = this.slotOf(node);
    if (clientSide !== undefined) this.slotOf(clientSide);
    if (clientSide !== undefined && clientSide !== node && this.spec.partitionClients === true) {
      const port = slot.sidePorts.get(clientSide);
      if (port === undefined) throw new Error(`clientEndpoint: no client port ${clientSide}>${node} (setup not run?)`);
      return endpoint(node, `${this.publish.urlHost}:${port}`);
    }
    return endpoint(node, this.clientAddress(node, this.mainPort.name));
  }

  clientAddress(node: string, port: string): string {
    const hostPort = this.slotOf(node).hostPorts.get(port);
    if (hostPort === undefined) throw new Error(`${this.program.name}: node ${node} publishes no client port ${JSON.stringify(port)} (setup not run?)`);
    return `${this.publish.urlHost}:${hostPort}`;
  }

  /** status asks the program through the node's published ports; null when it has no status or no answer. */
  async status(node: string): Promise<NodeStatus | null> {
    if (this.program.status === undefined) return null;
    return this.program.status(this.probeOf(this.slotOf(node), 0));
  }

  /**
   * collectLogs writes each node's container log (every run of it) to dir/<node>.log. Into
   * spec.logDir it first stops the followers, so the engine's full log replaces what they wrote.
   */
  async collectLogs(dir: string): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        if (path.resolve(dir) === path.resolve(this.spec.logDir)) await this.stopFollower(slot);
        const text = await containerLogs(slot.node).catch((err: Error) => `(logs unavailable: ${err.message})\n`);
        fs.writeFileSync(path.join(dir, `${slot.id}.log`), text);
      }),
    );
  }

  /** nodeState tells whether a node runs, is paused or stopped (killed). */
  nodeState(node: string): NodeState {
    return this.slotOf(node).state;
  }

  /** nodeContainer is the container running `node` (tests and diagnostics). */
  nodeContainer(node: string): Docker.Container {
    return this.slotOf(node).node;
  }

  /** netContainer holds `node`'s network namespace, with NET_ADMIN for its rules and qdiscs (tests and diagnostics). */
  netContainer(node: string): Docker.Container {
    return this.slotOf(node).net;
  }

  /** nodeAddress is the node's address on the internal network. */
  nodeAddress(node: string): string {
    return this.slotOf(node).ip;
  }

  /** hostDirs: the nodes' data directories are on the control node, bound into the containers (spec.lazyDisk or spec.dataFiles). */
  private get hostDirs(): boolean {
    return this.spec.lazyDisk === true || this.spec.dataFiles === true;
  }

  /** hostDirsRefusal: why the data directories cannot be on the host here; null when they can (or need not). */
  private hostDirsRefusal(): string | null {
    if (!this.hostDirs) return null;
    const what = this.spec.lazyDisk === true ? 'lazyDisk (the lose-unsynced nemesis)' : 'dataFiles (the corrupt-file nemesis)';
    const lazyRefusal = this.spec.lazyDisk === true ? LazyDisks.refusal() : null;
    if (lazyRefusal !== null) return lazyRefusal;
    if (!engineOnThisMachine(process.env.DOCKER_HOST)) return `${what}: --cluster docker binds the nodes' data directories from the control node into the containers, so the engine must run on this machine (DOCKER_HOST is ${process.env.DOCKER_HOST})`;
    // The containers write their files as root; only root here can damage, and remove, them.
    if (typeof process.getuid === 'function' && process.getuid() !== 0) return `${what}: --cluster docker needs the control node to run as root (the nodes' files in the bound directories are root's)`;
    return null;
  }

  /** hostDataDir: with host dirs, the node's data directory on the control node (a lazyfs mount under spec.lazyDisk), bound into the container. */
  private hostDataDir(node: string): string {
    return path.join(this.spec.dataDir, node);
  }

  /** hostDiskDir: the lazyfs backing directory beside it, the node's files as its disk holds them. */
  private hostDiskDir(node: string): string {
    return path.join(this.spec.dataDir, `${node}.disk`);
  }

  /** removeHostDirs: the host data directories of spec.lazyDisk, once nothing mounts them. */
  private removeHostDirs(): void {
    if (!this.hostDirs) return;
    for (const id of this.allNodes) for (const dir of [this.hostDataDir(id), this.hostDiskDir(id)]) fs.rmSync(dir, { recursive: true, force: true });
  }

  /** labels: what every container and network of this run carries (run id, owner: see leftovers.ts). */
  private labels(): Record<string, string> {
    return { [RUN_LABEL]: this.runId, [OWNER_LABEL]: formatOwner(currentOwner()) };
  }

  private async createNetworks(): Promise<{ internal: string; api: string }> {
    const labels = this.labels();
    const internal = `splitbrain-${this.runId}-internal`;
    const api = `splitbrain-${this.runId}-api`;
    let start = randomBytes(1)[0];
    for (let attempt = 1; ; attempt++) {
      const taken = (await this.docker.listNetworks()).flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? ''));
      const subnet = pickSubnet(taken, start);
      try {
        await this.docker.createNetwork({
          Name: internal,
          Driver: 'bridge',
          Internal: true,
          CheckDuplicate: true,
          IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
          Labels: labels,
        });
        this.subnet = subnet;
        break;
      } catch (err) {
        // Another run may have taken the same subnet between listing and creating.
        if (attempt >= NETWORK_CREATE_TRIES_MAX || !/overlap|in use|conflict/i.test((err as Error).message)) throw err;
        start = (start + 1) % 256;
      }
    }
    await this.docker.createNetwork({
      Name: api,
      Driver: 'bridge',
      CheckDuplicate: true,
      // Containers on the api network must not reach each other there: node traffic stays internal.
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      Labels: labels,
    });
    return { internal, api };
  }

  private async createNode(id: string, index: number, internal: string, api: string): Promise<void> {
    const image = this.imageName!;
    const ip = hostAddress(this.subnet!, 10 + index);
    const labels = { ...this.labels(), 'splitbrain.node': id };
    const binding = [{ HostIp: this.publish.bindIp, HostPort: '' }];
    const clientPorts = this.program.ports.filter((p) => p.client).map((p) => p.dockerPort);
    const ports = [...clientPorts, ...(this.spec.partitionClients === true ? this.allNodes.map((_, k) => sidePort(k)) : [])];
    const net = await this.docker.createContainer({
      name: `splitbrain-${this.runId}-${id}-net`,
      Image: image,
      Cmd: [IMAGE_PATHS.node, '-e', 'setInterval(() => {}, 1 << 30)'],
      Labels: { ...labels, [ROLE_LABEL]: 'net' },
      ExposedPorts: Object.fromEntries(ports.map((p) => [`${p}/tcp`, {}])),
      HostConfig: {
        NetworkMode: api,
        CapAdd: ['NET_ADMIN'],
        // docker-init as PID 1 reaps what exec'd commands leave (the NFQUEUE shaper runs detached here).
        Init: true,
        PortBindings: Object.fromEntries(ports.map((p) => [`${p}/tcp`, binding])),
      },
    });
    await this.docker.getNetwork(internal).connect({ Container: net.id, EndpointConfig: { IPAMConfig: { IPv4Address: ip } } });
    const fake = this.spec.fakeTime === true;
    const site = this.siteOf(id, index, ip);
    const launch = this.program.launch(site);
    const env = { ...(launch.env ?? {}), ...(fake ? faketimeEnv(IMAGE_PATHS.libfaketime, `${IMAGE_PATHS.clockDir}/${CLOCK_FILE}`) : {}) };
    const node = await this.docker.createContainer({
      name: `splitbrain-${this.runId}-${id}`,
      Image: image,
      Cmd: [launch.command, ...launch.args],
      WorkingDir: launch.cwd ?? '/',
      // The image's /etc/passwd names the user (ImageContent.users) and its data dir is theirs.
      ...(launch.userWhenRoot !== undefined ? { User: launch.userWhenRoot } : {}),
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: { ...labels, [ROLE_LABEL]: 'node' },
      HostConfig: {
        NetworkMode: `container:${net.id}`,
        ...(this.hostDirs ? { Binds: [`${this.hostDataDir(id)}:${site.dataDir}`] } : {}),
      },
    });
    if (fake) await this.writeClockFile(node, 0);
    await this.writeNodeFiles(node, site);
    // A bound host directory is root's; a node that runs as its own user (postgres) gets it, as locally.
    if (this.hostDirs) giveDirTo(launch.userWhenRoot, this.hostDataDir(id));
    this.slots.set(id, { id, index, ip, net, node, hostPorts: new Map(), state: 'stopped', firewall: null, sidePorts: new Map(), follower: null });
  }

  /**
   * siteOf: a node's place in the container network. Client ports listen on every interface
   * (the api network publishes them), peer-only ports on the internal address; peers dial each
   * other's internal address directly (the partition is each node's iptables).
   */
  private siteOf(id: string, index: number, ip: string): NodeSite {
    const ipOf = (other: string): string => hostAddress(this.subnet!, 10 + this.allNodes.indexOf(other));
    const portOf = (port: string): PortSpec => {
      const spec = this.program.ports.find((p) => p.name === port);
      if (spec === undefined) throw new Error(`${this.program.name}: no port ${JSON.stringify(port)}`);
      return spec;
    };
    return {
      kind: 'docker',
      node: id,
      index,
      allNodes: this.allNodes,
      dataDir: `${IMAGE_PATHS.data}/${id}`,
      listen: (port) => `${portOf(port).client ? '0.0.0.0' : ip}:${portOf(port).dockerPort}`,
      advertise: (port) => `${ip}:${portOf(port).dockerPort}`,
      dial: (other, port) => `${ipOf(other)}:${portOf(port).dockerPort}`,
    };
  }

  /** probeOf: what program.ready/status look at; the container log from character `logOffset` on. */
  private probeOf(slot: NodeSlot, logOffset: number): NodeProbe {
    return {
      node: slot.id,
      logSinceStart: async () => (await containerLogs(slot.node)).slice(logOffset),
      address: (port) => this.clientAddress(slot.id, port),
    };
  }

  /** writeNodeFiles puts the program's files for a node into its data directory, before its first start. */
  private async writeNodeFiles(container: Docker.Container, site: NodeSite): Promise<void> {
    const files = this.program.files?.(site) ?? [];
    if (files.length === 0) return;
    const dirs = new Set<string>([site.node]);
    const entries: TarEntry[] = [];
    for (const f of files) {
      const rel = path.posix.normalize(f.path);
      if (rel.startsWith('..') || path.posix.isAbsolute(rel)) throw new Error(`${this.program.name}: file ${f.path} lies outside the data directory`);
      for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) dirs.add(`${site.node}/${d}`);
      entries.push({ kind: 'file', path: `${site.node}/${rel}`, data: Buffer.from(f.data), mode: f.mode ?? 0o644 });
    }
    const dirEntries: TarEntry[] = [...dirs].sort().map((d) => ({ kind: 'dir', path: d, mode: 0o755 }));
    await container.putArchive(tarBuffer([...dirEntries, ...entries]), { path: IMAGE_PATHS.data });
  }

  private async publishedPort(slot: NodeSlot, containerPort: number): Promise<number> {
    const info = await slot.net.inspect();
    const binding = info.NetworkSettings.Ports?.[`${containerPort}/tcp`]?.[0];
    const port = Number(binding?.HostPort);
    if (!(Number.isInteger(port) && port > 0)) throw new Error(`docker cluster: ${slot.id}: no published port for ${containerPort}/tcp`);
    return port;
  }

  /** setupSidePorts redirects each client side's port to the node's HTTP port and records its host port. */
  private async setupSidePorts(slot: NodeSlot): Promise<void> {
    for (const [k, side] of this.allNodes.entries()) {
      if (side === slot.id) continue;
      await this.firewallOf(slot).redirect(sidePort(k), this.mainPort.dockerPort);
      slot.sidePorts.set(side, await this.publishedPort(slot, sidePort(k)));
    }
  }

  private firewallOf(slot: NodeSlot): NodeFirewall {
    if (slot.firewall === null) throw new Error(`docker cluster: ${slot.id}: firewall used before setup`);
    return slot.firewall;
  }

  private async writeClockFile(container: Docker.Container, ms: number): Promise<void> {
    const archive = tarBuffer([{ kind: 'file', path: CLOCK_FILE, data: Buffer.from(`${formatOffset(ms)}\n`), mode: 0o644 }]);
    await container.putArchive(archive, { path: IMAGE_PATHS.clockDir });
  }

  /** startSlot starts the node container and waits until the program calls it ready. */
  private async startSlot(slot: NodeSlot): Promise<void> {
    const before = (await containerLogs(slot.node)).length;
    await this.stopFollower(slot);
    slot.follower = await followLogs(this.docker, slot.node, path.join(this.spec.logDir, `${slot.id}.log`));
    await slot.node.start();
    slot.state = 'running';
    const deadline = Date.now() + this.opts.readyTimeoutMs;
    for (let polls = 0; ; polls++) {
      if (await this.program.ready(this.probeOf(slot, before))) return;
      const info = await slot.node.inspect();
      const logs = async (): Promise<string> => tail((await containerLogs(slot.node)).slice(before));
      if (!info.State.Running) {
        slot.state = 'stopped';
        throw new Error(`node ${slot.id} exited (code ${info.State.ExitCode}) before ready; log:\n${await logs()}`);
      }
      if (Date.now() > deadline) {
        const text = await logs();
        await this.kill(slot.id).catch(() => undefined);
        throw new Error(`node ${slot.id} not ready after ${this.opts.readyTimeoutMs} ms (${polls} polls); log:\n${text}`);
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  }

  private async stopFollower(slot: NodeSlot): Promise<void> {
    const follower = slot.follower;
    slot.follower = null;
    await follower?.stop();
  }

  private async teardownOnce(): Promise<void> {
    try {
      if (!this.engineReached) return;
      if (this.slots.size > 0) await this.collectLogs(this.spec.logDir).catch(() => undefined);
      await removeRun(this.docker, this.runId);
    } finally {
      // The containers binding them are gone (or never were): unmount, then remove what was under them.
      await this.disks.unmountAll();
      this.removeHostDirs();
      await Promise.all([...this.slots.values()].map((slot) => this.stopFollower(slot).catch(() => undefined)));
      for (const slot of this.slots.values()) slot.state = 'stopped';
      this.unregister?.();
      this.unregister = null;
    }
  }

  /** teardownSync is the 'exit' fallback: the docker CLI removes whatever carries this run's label. */
  private teardownSync(): void {
    removeRunSync(this.runId);
    this.disks.unmountAllSync();
    this.removeHostDirs();
  }

  private slotOf(node: string): NodeSlot {
    return nodeSlot(this.slots, this.allNodes, node);
  }
}

/** sidePort is the container port clients on the side of node number k dial (partitionClients). */
function sidePort(k: number): number {
  return SIDE_PORT_BASE + k;
}

function tail(text: string): string {
  return text.length > LOG_TAIL_CHARS ? `...${text.slice(-LOG_TAIL_CHARS)}` : text;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
