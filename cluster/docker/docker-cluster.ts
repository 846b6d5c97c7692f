// cluster/docker/docker-cluster.ts — DockerCluster: one container per node, faults through the Docker API.
//
// Each node is two containers. A small "net" container owns the node's network namespace: it
// sits on the run's internal bridge network (fixed address, the only way nodes reach each
// other) and on a second, non-internal "api" bridge whose inter-container traffic is disabled
// (enable_icc=false), where the node's HTTP port is published for the control node. The node
// container joins that namespace (NetworkMode container:<net>) and runs
// `node --import tsx rsm/node/main.ts`. Because the namespace outlives the node process,
// iptables rules (partitions) survive kill/start and can be changed while the node is paused,
// and the published port never changes. Only the net container has CAP_NET_ADMIN.
//
// Faults: partition = iptables DROP rules in INPUT (Jepsen's grudge: a node drops packets from
// the sources it holds a grudge against); with spec.partitionClients each node also publishes
// one port per client side (8001+k, redirected to 8000 by a nat rule) and a partition drops the
// ports of the sides the grudge separates from it (mangle PREROUTING, before the redirect); kill = SIGKILL, start = start the same container (its
// data dir lives in the container's filesystem); pause = docker pause (cgroup freezer); clock =
// the libfaketime offset file, copied in through the archive API.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Docker from 'dockerode';
import type { NodeStatus } from '../types.ts';
import { registerCleanup } from '../cleanup.ts';
import { pairCut, validateGrudge } from '../grudge.ts';
import { allNodeIds, nodeIds } from '../node-ids.ts';
import { currentOwner, formatOwner } from '../owner.ts';
import { faketimeEnv, formatOffset } from '../local/faketime.ts';
import type { Cluster, ClusterSpec, Endpoint, Grudge } from '../types.ts';
import { containerLogs, dockerClient, dockerReachable, publishTarget, type PublishTarget } from './engine.ts';
import { NodeFirewall, probeIptables } from './firewall.ts';
import { ensureImage, IMAGE_PATHS } from './image.ts';
import { followLogs, type LogFollower } from './log-follower.ts';
import { OWNER_LABEL, removeDeadRuns, removeRun, ROLE_LABEL, RUN_LABEL } from './leftovers.ts';
import { hostAddress, pickSubnet } from './subnet.ts';
import { tarBuffer } from './tar.ts';

export { RUN_LABEL } from './leftovers.ts';
const HTTP_PORT = 8000;
const PEER_PORT = 9000;
const CLOCK_FILE = 'faketime';
const NETWORK_CREATE_TRIES_MAX = 8;
const READY_POLL_MS = 100;
const LOG_TAIL_CHARS = 2000;
const READY_RE = /\bready id=\S+ .*http=\S+ peer=\S+/g;

/** DockerClusterOptions: knobs of the docker backend that are not part of ClusterSpec. */
export interface DockerClusterOptions {
  /** Run this image instead of building the default one (it must follow IMAGE_PATHS). Default: $SPLITBRAIN_DOCKER_IMAGE, else built. */
  image?: string;
  /** The engine client. Default: from DOCKER_HOST like the docker CLI. */
  docker?: Docker;
  /** Run id used in names and the RUN_LABEL label. Default: random. */
  runId?: string;
  /** How long a node may take to print its ready line. Default 30000. */
  readyTimeoutMs?: number;
  /** Timeout of status(). Default 1000. */
  statusTimeoutMs?: number;
}

type NodeState = 'stopped' | 'running' | 'paused';

/** NodeSlot: one node's containers, addresses and state. */
interface NodeSlot {
  id: string;
  index: number;
  ip: string;
  net: Docker.Container;
  node: Docker.Container;
  hostPort: number;
  state: NodeState;
  /** The node's iptables rules (set up once the image's iptables front end is known). */
  firewall: NodeFirewall | null;
  /** With spec.partitionClients: the host port clients on each side dial. */
  sidePorts: Map<string, number>;
  /** Appends the node's output to spec.logDir/<node>.log while it runs. */
  follower: LogFollower | null;
}

/** DockerCluster implements Cluster on a Docker engine; see the file comment. */
export class DockerCluster implements Cluster {
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

  constructor(readonly spec: ClusterSpec, private readonly options: DockerClusterOptions = {}) {
    this.nodes = nodeIds(spec.nodeCount);
    this.allNodes = allNodeIds(spec.protocol, spec.nodeCount);
    if (this.allNodes.length > 200) throw new Error('docker cluster: at most 200 nodes');
    this.runId = options.runId ?? `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    if (!/^[a-z0-9][a-z0-9-]*$/.test(this.runId)) throw new Error(`docker cluster: bad run id ${JSON.stringify(this.runId)}`);
    this.docker = options.docker ?? dockerClient();
    this.publish = publishTarget(process.env.DOCKER_HOST);
    this.opts = { readyTimeoutMs: 30_000, statusTimeoutMs: 1000, ...stripUndefined(options) };
  }

  /** image is the image the nodes run (after setup). */
  get image(): string | null {
    return this.imageName;
  }

  /** setup builds or finds the image, creates networks and containers, starts every node. */
  async setup(): Promise<void> {
    if (this.setupStarted) throw new Error('DockerCluster: setup called twice');
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
        const built = await ensureImage(this.docker);
        this.imageName = built.image;
        this.imageBuilt = built.built;
      }
      const { internal, api } = await this.createNetworks();
      for (const [index, id] of this.allNodes.entries()) await this.createNode(id, index, internal, api);
      await Promise.all([...this.slots.values()].map((s) => s.net.start()));
      for (const slot of this.slots.values()) slot.hostPort = await this.publishedPort(slot, HTTP_PORT);
      const iptables = await probeIptables(this.docker, this.slotOf(this.allNodes[0]).net);
      for (const slot of this.slots.values()) slot.firewall = new NodeFirewall(this.docker, slot.net, iptables);
      if (this.spec.partitionClients === true) await Promise.all([...this.slots.values()].map((s) => this.setupSidePorts(s)));
      const started = await Promise.allSettled([...this.slots.values()].map((s) => this.startSlot(s)));
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
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
      return { node, httpUrl: `http://${this.publish.urlHost}:${port}` };
    }
    return { node, httpUrl: `http://${this.publish.urlHost}:${slot.hostPort}` };
  }

  async status(node: string): Promise<NodeStatus | null> {
    const { httpUrl } = this.clientEndpoint(node);
    try {
      const res = await fetch(`${httpUrl}/status`, { signal: AbortSignal.timeout(this.opts.statusTimeoutMs) });
      if (!res.ok) return null;
      return (await res.json()) as NodeStatus;
    } catch {
      return null;
    }
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

  /** nodeAddress is the node's address on the internal network. */
  nodeAddress(node: string): string {
    return this.slotOf(node).ip;
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
    const ports = [HTTP_PORT, ...(this.spec.partitionClients === true ? this.allNodes.map((_, k) => sidePort(k)) : [])];
    const net = await this.docker.createContainer({
      name: `splitbrain-${this.runId}-${id}-net`,
      Image: image,
      Cmd: [IMAGE_PATHS.node, '-e', 'setInterval(() => {}, 1 << 30)'],
      Labels: { ...labels, [ROLE_LABEL]: 'net' },
      ExposedPorts: Object.fromEntries(ports.map((p) => [`${p}/tcp`, {}])),
      HostConfig: {
        NetworkMode: api,
        CapAdd: ['NET_ADMIN'],
        PortBindings: Object.fromEntries(ports.map((p) => [`${p}/tcp`, binding])),
      },
    });
    await this.docker.getNetwork(internal).connect({ Container: net.id, EndpointConfig: { IPAMConfig: { IPv4Address: ip } } });
    const fake = this.spec.fakeTime === true;
    const env = { ESBUILD_BINARY_PATH: IMAGE_PATHS.esbuild, ...(fake ? faketimeEnv(IMAGE_PATHS.libfaketime, `${IMAGE_PATHS.clockDir}/${CLOCK_FILE}`) : {}) };
    const node = await this.docker.createContainer({
      name: `splitbrain-${this.runId}-${id}`,
      Image: image,
      Cmd: [IMAGE_PATHS.node, '--import', 'tsx', 'rsm/node/main.ts', ...this.nodeArgs(id, index, ip)],
      WorkingDir: IMAGE_PATHS.app,
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: { ...labels, [ROLE_LABEL]: 'node' },
      HostConfig: { NetworkMode: `container:${net.id}` },
    });
    if (fake) await this.writeClockFile(node, 0);
    this.slots.set(id, { id, index, ip, net, node, hostPort: 0, state: 'stopped', firewall: null, sidePorts: new Map(), follower: null });
  }

  /** nodeArgs are rsm/node/main.ts's flags for one node (as cluster/local passes them). */
  private nodeArgs(id: string, index: number, ip: string): string[] {
    const spec = this.spec;
    const isViewServer = id === 'vs';
    const ipOf = (other: string): string => hostAddress(this.subnet!, 10 + this.allNodes.indexOf(other));
    const peers = this.allNodes.filter((n) => n !== id && n !== 'vs').map((n) => `${n}=${ipOf(n)}:${PEER_PORT}`).join(',');
    const args = [
      '--id', id,
      '--protocol', isViewServer ? 'viewserver' : spec.protocol,
      '--listen', `0.0.0.0:${HTTP_PORT}`,
      '--peer-listen', `${ip}:${PEER_PORT}`,
      '--data-dir', `${IMAGE_PATHS.data}/${id}`,
    ];
    if (peers !== '') args.push('--peers', peers);
    if (!isViewServer && this.allNodes.includes('vs')) args.push('--viewserver', `vs=${ipOf('vs')}:${PEER_PORT}`);
    if (spec.tickMs !== undefined) args.push('--tick-ms', String(spec.tickMs));
    if (spec.fsync !== undefined) args.push('--fsync', spec.fsync);
    if (spec.reads !== undefined && !isViewServer) args.push('--reads', spec.reads);
    for (const bug of spec.bugs) args.push('--bug', bug);
    for (const [k, v] of Object.entries(spec.options)) args.push('--option', `${k}=${v}`);
    if (spec.seed !== undefined) args.push('--seed', String(spec.seed + index));
    return args;
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
      await this.firewallOf(slot).redirect(sidePort(k), HTTP_PORT);
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

  /** startSlot starts the node container and waits for a new ready line in its log. */
  private async startSlot(slot: NodeSlot): Promise<void> {
    const before = countReady(await containerLogs(slot.node));
    await this.stopFollower(slot);
    slot.follower = await followLogs(this.docker, slot.node, path.join(this.spec.logDir, `${slot.id}.log`));
    await slot.node.start();
    slot.state = 'running';
    const deadline = Date.now() + this.opts.readyTimeoutMs;
    for (let polls = 0; ; polls++) {
      const logs = await containerLogs(slot.node);
      if (countReady(logs) > before) return;
      const info = await slot.node.inspect();
      if (!info.State.Running) {
        slot.state = 'stopped';
        throw new Error(`node ${slot.id} exited (code ${info.State.ExitCode}) before ready; log:\n${tail(logs)}`);
      }
      if (Date.now() > deadline) {
        await this.kill(slot.id).catch(() => undefined);
        throw new Error(`node ${slot.id} not ready after ${this.opts.readyTimeoutMs} ms (${polls} polls); log:\n${tail(logs)}`);
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
      await Promise.all([...this.slots.values()].map((slot) => this.stopFollower(slot).catch(() => undefined)));
      for (const slot of this.slots.values()) slot.state = 'stopped';
      this.unregister?.();
      this.unregister = null;
    }
  }

  /** teardownSync is the 'exit' fallback: the docker CLI removes whatever carries this run's label. */
  private teardownSync(): void {
    const filter = `label=${RUN_LABEL}=${this.runId}`;
    const run = (args: string[]): string => {
      const res = spawnSync('docker', args, { encoding: 'utf8', timeout: 15_000 });
      return res.status === 0 ? res.stdout : '';
    };
    const ids = run(['ps', '-aq', '--filter', filter]).split('\n').filter((s) => s !== '');
    if (ids.length > 0) run(['rm', '-f', '-v', ...ids]);
    const nets = run(['network', 'ls', '-q', '--filter', filter]).split('\n').filter((s) => s !== '');
    if (nets.length > 0) run(['network', 'rm', ...nets]);
  }

  private slotOf(node: string): NodeSlot {
    const slot = this.slots.get(node);
    if (slot === undefined) {
      if (!this.allNodes.includes(node)) throw new Error(`unknown node ${JSON.stringify(node)}; expected one of ${this.allNodes.join(', ')}`);
      throw new Error(`node ${node}: cluster not set up`);
    }
    return slot;
  }
}

/** sidePort is the container port clients on the side of node number k dial (partitionClients). */
function sidePort(k: number): number {
  return HTTP_PORT + 1 + k;
}

function countReady(logs: string): number {
  return logs.match(READY_RE)?.length ?? 0;
}

function tail(text: string): string {
  return text.length > LOG_TAIL_CHARS ? `...${text.slice(-LOG_TAIL_CHARS)}` : text;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
