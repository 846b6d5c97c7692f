// cluster/ssh/ssh-cluster.ts — SshCluster: one node per machine, reached over SSH, as Jepsen's control does.
//
// Node k runs on host k of the hosts file, over one ssh2 connection each. The program's
// remoteFiles (rsm: its bundled node program) and config files are uploaded into the run's
// directory on the host (remote-run.ts); third-party DBs' executables must be installed there
// (preflight.ts checks that before a run, and installs the Debian packages first when the hosts
// file asks). Faults are the
// docker cluster's, run on the hosts: partition = DROP rules in the run's INPUT chain (Jepsen's
// grudge), packet faults = tc htb (+ netem where the kernel has it, else the NFQUEUE shaper,
// native/nfq-shaper, uploaded into the run's dir: the host needs libnetfilter-queue1) on the
// device facing the peers, kill = SIGKILL to the node's process group, pause = SIGSTOP/SIGCONT, clock = the
// libfaketime offset file. A lost connection makes every later call fail naming the host, and
// machineryFault() tells the runner, which reports the run as crashed (never a verdict).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { registerCleanup } from '../cleanup.ts';
import { validateGrudge } from '../grudge.ts';
import { faketimeEnv, formatOffset, LIBFAKETIME_PATHS } from '../local/faketime.ts';
import { currentOwner, formatOwner } from '../owner.ts';
import { nativeBinary, nfqShaperBinary } from '../native-build.ts';
import { PacketShaper, packetSupportBeforeProbe, probePacketKernel, type NfqShaper, type PacketProbe, type ShapedNode } from '../packet-shaper.ts';
import { type ClockSkew, type Cluster, type ClusterSpec, endpoint, type Endpoint, type Grudge, mainClientPort, type MachineryHealth, type NodeFile, type NodeProbe, type NodeProgram, type NodeSite, type NodeStatus, type PacketLink, type PacketShape, type PacketShaping, type PacketSupport, type PortSpec } from '../types.ts';
import { tarBuffer, type TarEntry } from '../docker/tar.ts';
import { HostConnection, type HostKeyPolicy, shq } from './connection.ts';
import { parseHostsFile, type HostsFile, type SshHost } from './hosts-file.ts';
import { hostPort, NODE_LISTEN_ADDRESS } from './host-ports.ts';
import { findIptables, findLibfaketime, sshSpecRefusal } from './preflight.ts';
import { IPTABLES_CANDIDATES, RemoteRun, removeDeadRuns } from './remote-run.ts';
import { nodeSlot } from '../node-slots.ts';

const READY_POLL_MS = 100;
const KILL_WAIT_POLLS = 100;
const LOG_TAIL_CHARS = 2000;

/** SshClusterOptions: what --cluster ssh needs besides the ClusterSpec. */
export interface SshClusterOptions {
  /** The hosts.yaml path (parsed at setup), or the parsed file. */
  hosts: string | HostsFile;
  /** Accept any host key (warned about on stderr). */
  insecureIgnoreHostKeys?: boolean;
  runId?: string;
  readyTimeoutMs?: number;
  /** Where warnings go (default stderr). */
  warn?: (line: string) => void;
}

type NodeState = 'stopped' | 'running' | 'paused';

/** HostSlot: one node's host, connection, run directory and state. */
interface HostSlot {
  id: string;
  index: number;
  host: SshHost;
  conn: HostConnection;
  run: RemoteRun;
  state: NodeState;
  pid: number | null;
  /** Source addresses the run's INPUT chain drops now. */
  dropping: Set<string>;
}

/** SshCluster implements Cluster on machines reached over SSH; see the file comment. */
export class SshCluster implements Cluster, ClockSkew, PacketShaping, MachineryHealth {
  readonly nodes: string[];
  readonly allNodes: string[];
  readonly runId: string;
  private readonly slots = new Map<string, HostSlot>();
  private readonly mainPort: PortSpec;
  private readonly readyTimeoutMs: number;
  private readonly warn: (line: string) => void;
  private hostsFile: HostsFile | null = null;
  private packets: PacketShaper | null = null;
  /** The NFQUEUE shaper's bytes, uploaded to every host; null when it cannot be built here. */
  private readonly shaper: Buffer | null;
  private libfaketime: string | null = null;
  private unregister: (() => void) | null = null;
  private setupStarted = false;
  private teardownDone: Promise<void> | null = null;

  constructor(readonly spec: ClusterSpec, readonly program: NodeProgram, private readonly options: SshClusterOptions) {
    this.nodes = [...program.nodes];
    this.allNodes = [...program.allNodes];
    this.mainPort = mainClientPort(program);
    this.runId = options.runId ?? `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    this.warn = options.warn ?? ((line) => process.stderr.write(`${line}\n`));
    const shaper = nfqShaperBinary();
    this.shaper = shaper === null ? null : fs.readFileSync(shaper);
  }

  /** shaperOn: the uploaded NFQUEUE shaper on a slot's host, its pid file in the run's dir. */
  private shaperOn(slot: HostSlot): NfqShaper | undefined {
    return this.shaper === null ? undefined : { path: slot.run.shaperPath, stateDir: slot.run.dir };
  }

  /** machineryFault: the first lost host connection, naming the host; null while all answer. */
  machineryFault(): Error | null {
    for (const slot of this.slots.values()) if (slot.conn.lost !== null) return slot.conn.lost;
    return null;
  }

  async setup(): Promise<void> {
    if (this.setupStarted) throw new Error('SshCluster: setup called twice');
    this.setupStarted = true;
    // preflightHosts refuses these before a run; a cluster made without it still must not start.
    const unsupported = sshSpecRefusal(this.spec);
    if (unsupported !== null) throw new Error(unsupported);
    const file = typeof this.options.hosts === 'string' ? parseHostsFile(this.options.hosts) : this.options.hosts;
    this.hostsFile = file;
    if (file.hosts.length < this.allNodes.length) {
      throw new Error(`--cluster ssh: ${this.allNodes.length} nodes (${this.allNodes.join(', ')}) need ${this.allNodes.length} hosts; the hosts file names ${file.hosts.length}`);
    }
    let policy: HostKeyPolicy = { knownHosts: file.knownHosts };
    if (this.options.insecureIgnoreHostKeys === true) {
      this.warn('WARNING: --insecure-ignore-host-keys: host keys are NOT checked; anyone in the middle can impersonate the hosts and read what is sent');
      policy = { ignore: true };
    }
    // SIGINT/SIGTERM: the async teardown; at exit, closing the connections makes every host's watchdog clean up.
    this.unregister = registerCleanup({ name: `ssh-cluster ${this.runId}`, run: () => this.teardown(), sync: () => this.closeAll() });
    try {
      fs.mkdirSync(this.spec.logDir, { recursive: true });
      const conns = await Promise.allSettled(this.allNodes.map((id, i) => HostConnection.connect(file.hosts[i], id, policy)));
      const failed = conns.find((c): c is PromiseRejectedResult => c.status === 'rejected');
      if (failed !== undefined) {
        for (const c of conns) if (c.status === 'fulfilled') c.value.close();
        throw failed.reason;
      }
      const connected = conns.map((c) => (c as PromiseFulfilledResult<HostConnection>).value);
      await Promise.all(this.allNodes.map((id, index) => this.prepareHost(id, index, file.hosts[index], connected[index])));
      this.packets = new PacketShaper(await this.probePackets(), (n) => this.slotOf(n).host.address);
      const started = await Promise.allSettled([...this.slots.values()].map((s) => this.startSlot(s)));
      const bad = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (bad !== undefined) throw bad.reason;
    } catch (err) {
      await this.teardown();
      throw err;
    }
  }

  /**
   * probePackets probes every host (they may differ): all netem, or all the NFQUEUE shaper, or
   * loss and rate only, naming the first host that lacks what the others have.
   */
  private async probePackets(): Promise<PacketProbe> {
    // In node order (hosts are prepared in parallel, so the map holds them as they finished).
    const slots = [...this.slots.values()].sort((a, b) => a.index - b.index);
    const probes = await Promise.all(slots.map((s) => probePacketKernel(this.shapedNode(s), 'tc', this.shaperOn(s))));
    const odd = probes.findIndex((p) => p.kernel !== probes[0].kernel);
    if (odd < 0) return probes[0].shaperMissing === undefined ? probes[0] : { ...probes[0], shaperMissing: `${slots[0].conn.where}: ${probes[0].shaperMissing}` };
    const [a, b] = [probes[0], probes[odd]].map((p, k) => `${[slots[0], slots[odd]][k].conn.where} ${p.kernel}${p.shaperMissing !== undefined ? ` (${p.shaperMissing})` : ''}`);
    return { kernel: 'fallback', shaperMissing: `the hosts differ: ${a}, ${b}` };
  }

  /** prepareHost: leftovers of dead runs go, the run's dir, chains and watchdog come, the program's files are uploaded. */
  private async prepareHost(id: string, index: number, host: SshHost, conn: HostConnection): Promise<void> {
    await removeDeadRuns(conn, this.warn);
    const iptables = await findIptables(conn);
    if (iptables === null) throw new Error(`ssh ${conn.where}: no working iptables (tried ${IPTABLES_CANDIDATES.join(', ')}; partitions need root or sudo: true)`);
    const peer = this.hostsFile!.hosts.find((h, i) => i !== index && i < this.allNodes.length)?.address ?? host.address;
    const route = await conn.run(`ip route get ${shq(peer)}`);
    const dev = /\bdev\s+(\S+)/.exec(route)?.[1];
    if (dev === undefined) throw new Error(`ssh ${conn.where}: no route to ${peer} (ip route get printed ${JSON.stringify(route.trim())})`);
    const run = new RemoteRun(this.runId, id, iptables, dev);
    const slot: HostSlot = { id, index, host, conn, run, state: 'stopped', pid: null, dropping: new Set() };
    this.slots.set(id, slot);
    await conn.run(run.prepareScript(formatOwner(currentOwner())), run.cleanupText());
    await conn.hold(`[ -f ${shq(run.cleanupScript)} ] && sh ${shq(run.cleanupScript)}`);
    if (this.spec.fakeTime === true) {
      const found = await findLibfaketime(conn);
      if (found === null) throw new Error(`ssh ${conn.where}: clock faults need libfaketime on the host: \`apt-get install faketime\` there (looked in ${LIBFAKETIME_PATHS.join(', ')})`);
      this.libfaketime = found;
      await this.writeClockFile(slot, 0);
    }
    await this.upload(conn, run.programDir, this.program.remoteFiles?.() ?? []);
    if (this.shaper !== null) await this.upload(conn, path.posix.dirname(run.shaperPath), [{ path: path.posix.basename(run.shaperPath), data: this.shaper, mode: 0o755 }]);
    await this.upload(conn, run.dataDir, this.program.files?.(this.siteOf(slot)) ?? []);
  }

  /** upload writes files under `dir` on the host: one tar through one exec's stdin. */
  private async upload(conn: HostConnection, dir: string, files: readonly NodeFile[]): Promise<void> {
    if (files.length === 0) return;
    const entries: TarEntry[] = files.map((f) => {
      const rel = path.posix.normalize(f.path);
      if (rel.startsWith('..') || path.posix.isAbsolute(rel)) throw new Error(`${this.program.name}: file ${f.path} lies outside its directory`);
      return { kind: 'file', path: rel, data: Buffer.from(f.data), mode: f.mode ?? 0o644 };
    });
    await conn.run(`mkdir -p ${shq(dir)} && tar -x -m -C ${shq(dir)}`, tarBuffer(entries));
  }

  teardown(): Promise<void> {
    this.teardownDone ??= this.teardownOnce();
    return this.teardownDone;
  }

  /** teardownOnce fetches the logs into spec.logDir, then runs every host's cleanup.sh; a lost host is named on stderr. */
  private async teardownOnce(): Promise<void> {
    try {
      if (this.slots.size > 0) await this.collectLogs(this.spec.logDir).catch(() => undefined);
      await Promise.all(
        [...this.slots.values()].map(async (slot) => {
          try {
            await slot.conn.run(`sh ${shq(slot.run.cleanupScript)}`);
          } catch (err) {
            this.warn(`ssh cluster: could not clean up ${slot.conn.where} (node ${slot.id}): ${(err as Error).message}`);
          }
          slot.state = 'stopped';
        }),
      );
    } finally {
      this.closeAll();
      this.unregister?.();
      this.unregister = null;
    }
  }

  private closeAll(): void {
    for (const slot of this.slots.values()) slot.conn.close();
  }

  async start(node: string): Promise<void> {
    if (this.teardownDone !== null) throw new Error(`start ${node}: the cluster has been torn down`);
    const slot = this.slotOf(node);
    if (slot.state !== 'stopped') return;
    await this.startSlot(slot);
  }

  async kill(node: string): Promise<void> {
    const slot = this.slotOf(node);
    if (slot.state === 'stopped' || slot.pid === null) return;
    const p = slot.pid;
    // A stopped process gets SIGKILL anyway; the loop waits until the group is gone.
    await slot.conn.run(`kill -KILL -${p} 2>/dev/null; i=0; while kill -0 -${p} 2>/dev/null && [ $i -lt ${KILL_WAIT_POLLS} ]; do sleep 0.05; i=$((i+1)); done; ! kill -0 -${p} 2>/dev/null`);
    slot.state = 'stopped';
    slot.pid = null;
  }

  async pause(node: string): Promise<void> {
    const slot = this.slotOf(node);
    if (slot.state !== 'running') return;
    await slot.conn.run(`kill -STOP -${slot.pid}`);
    slot.state = 'paused';
  }

  async resume(node: string): Promise<void> {
    const slot = this.slotOf(node);
    if (slot.state !== 'paused') return;
    await slot.conn.run(`kill -CONT -${slot.pid}`);
    slot.state = 'running';
  }

  /** partition: each host's run chain drops exactly the addresses of the nodes it holds a grudge against (new rules before stale ones go). */
  async partition(grudge: Grudge): Promise<void> {
    validateGrudge(grudge, this.allNodes);
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        const want = new Set((grudge[slot.id] ?? []).map((other) => this.slotOf(other).host.address));
        const adds = [...want].filter((a) => !slot.dropping.has(a)).map((a) => slot.run.ipt(`-A ${slot.run.inChain} -s ${shq(a)} -j DROP`));
        const dels = [...slot.dropping].filter((a) => !want.has(a)).map((a) => slot.run.ipt(`-D ${slot.run.inChain} -s ${shq(a)} -j DROP`));
        if (adds.length + dels.length === 0) return;
        await slot.conn.run([...adds, ...dels].join(' && '));
        slot.dropping = want;
      }),
    );
  }

  async heal(): Promise<void> {
    await this.partition({});
  }

  /** grudge: the partition in force, from the rules this cluster installed. */
  get grudge(): Grudge {
    const byAddress = new Map([...this.slots.values()].map((s) => [s.host.address, s.id]));
    const out: Grudge = {};
    for (const slot of this.slots.values()) if (slot.dropping.size > 0) out[slot.id] = [...slot.dropping].map((a) => byAddress.get(a)!).sort();
    return out;
  }

  packetSupport(): PacketSupport {
    return this.packets?.support ?? packetSupportBeforeProbe(this.shaper !== null, nativeBinary('nfq-shaper', 'nfq-shaper'));
  }

  async shapePackets(links: readonly PacketLink[], shape: PacketShape, seed: number): Promise<{ mechanism: string }> {
    if (this.packets === null) throw new Error('ssh cluster: packet faults before setup');
    return { mechanism: await this.packets.apply(this.shapedNodes(), links, shape, seed) };
  }

  async unshapePackets(): Promise<void> {
    await this.packets?.clear(this.shapedNodes());
  }

  private shapedNodes(): Map<string, ShapedNode> {
    return new Map([...this.slots.values()].map((s) => [s.id, this.shapedNode(s)]));
  }

  private shapedNode(slot: HostSlot): ShapedNode {
    const line = (argv: string[]): string => argv.map(shq).join(' ');
    return {
      id: slot.id,
      tc: 'tc',
      iptables: slot.run.iptables,
      dev: slot.run.dev,
      outputChain: slot.run.outChain,
      nfqShaper: this.shaperOn(slot),
      run: (argv) => slot.conn.run(line(argv)),
      tryRun: async (argv) => {
        const res = await slot.conn.exec(line(argv));
        return { exitCode: res.code, output: res.stdout + res.stderr };
      },
    };
  }

  /** setClockOffset rewrites the node's libfaketime offset file (works while paused or stopped); needs spec.fakeTime. */
  async setClockOffset(node: string, ms: number): Promise<void> {
    const slot = this.slotOf(node);
    if (this.spec.fakeTime !== true) throw new Error('setClockOffset: the cluster was not started with fakeTime (the clock nemesis needs it)');
    await this.writeClockFile(slot, ms);
  }

  private async writeClockFile(slot: HostSlot, ms: number): Promise<void> {
    const file = slot.run.clockFile;
    await slot.conn.run(`printf '%s\\n' ${shq(formatOffset(ms))} > ${shq(`${file}.tmp`)} && mv ${shq(`${file}.tmp`)} ${shq(file)}`);
  }

  clientEndpoint(node: string, clientSide?: string): Endpoint {
    if (clientSide !== undefined) this.slotOf(clientSide);
    return endpoint(node, this.clientAddress(node, this.mainPort.name));
  }

  clientAddress(node: string, port: string): string {
    return `${this.slotOf(node).host.address}:${hostPort(this.portOf(port))}`;
  }

  async status(node: string): Promise<NodeStatus | null> {
    if (this.program.status === undefined) return null;
    return this.program.status(this.probeOf(this.slotOf(node), 0));
  }

  /** collectLogs fetches each node's log (every run of it) from its host to dir/<node>.log. */
  async collectLogs(dir: string): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        const text = await slot.conn.run(`cat ${shq(slot.run.logFile)} 2>/dev/null || true`).catch((err: Error) => `(log unavailable: ${err.message})\n`);
        fs.writeFileSync(path.join(dir, `${slot.id}.log`), text);
      }),
    );
  }

  /** nodeState tells whether a node runs, is paused or stopped (killed). */
  nodeState(node: string): NodeState {
    return this.slotOf(node).state;
  }

  /** hostOf: the connection of `node`'s host (tests and diagnostics). */
  hostOf(node: string): HostConnection {
    return this.slotOf(node).conn;
  }

  private portOf(port: string): PortSpec {
    const spec = this.program.ports.find((p) => p.name === port);
    if (spec === undefined) throw new Error(`${this.program.name}: no port ${JSON.stringify(port)}`);
    return spec;
  }

  /** siteOf: every port listens on all interfaces at its fixed port (host-ports.ts: one node per host); peers dial each other's host address. */
  private siteOf(slot: HostSlot): NodeSite {
    return {
      kind: 'ssh',
      node: slot.id,
      index: slot.index,
      allNodes: this.allNodes,
      dataDir: slot.run.dataDir,
      programDir: slot.run.programDir,
      listen: (port) => `${NODE_LISTEN_ADDRESS}:${hostPort(this.portOf(port))}`,
      advertise: (port) => `${slot.host.address}:${hostPort(this.portOf(port))}`,
      dial: (other, port) => `${this.slotOf(other).host.address}:${hostPort(this.portOf(port))}`,
    };
  }

  /** probeOf: what program.ready/status look at; the node's log from byte `logOffset` on. */
  private probeOf(slot: HostSlot, logOffset: number): NodeProbe {
    return {
      node: slot.id,
      logSinceStart: () => slot.conn.run(`tail -c +${logOffset + 1} ${shq(slot.run.logFile)} 2>/dev/null || true`),
      address: (port) => this.clientAddress(slot.id, port),
    };
  }

  /** startSlot starts the node in its own process group and waits until the program calls it ready. */
  private async startSlot(slot: HostSlot): Promise<void> {
    const site = this.siteOf(slot);
    const launch = this.program.launch(site);
    const env = { ...(launch.env ?? {}), ...(this.libfaketime !== null ? faketimeEnv(this.libfaketime, slot.run.clockFile) : {}) };
    const before = Number((await slot.conn.run(`wc -c < ${shq(slot.run.logFile)} 2>/dev/null || echo 0`)).trim()) || 0;
    const pid = Number((await slot.conn.run(slot.run.startScript(launch.command, launch.args, env, launch.cwd ?? slot.run.dataDir, launch.userWhenRoot))).trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`ssh ${slot.conn.where}: node ${slot.id}: no pid from the start script`);
    slot.pid = pid;
    slot.state = 'running';
    const deadline = Date.now() + this.readyTimeoutMs;
    const logs = async (): Promise<string> => tail(await this.probeOf(slot, before).logSinceStart());
    for (let polls = 0; ; polls++) {
      if (await this.program.ready(this.probeOf(slot, before))) return;
      if ((await slot.conn.exec(`kill -0 ${pid} 2>/dev/null`)).code !== 0) {
        slot.state = 'stopped';
        slot.pid = null;
        throw new Error(`node ${slot.id} on ${slot.conn.where} exited before ready; log:\n${await logs()}`);
      }
      if (Date.now() > deadline) {
        const text = await logs();
        await this.kill(slot.id).catch(() => undefined);
        throw new Error(`node ${slot.id} on ${slot.conn.where} not ready after ${this.readyTimeoutMs} ms (${polls} polls); log:\n${text}`);
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  }

  private slotOf(node: string): HostSlot {
    return nodeSlot(this.slots, this.allNodes, node);
  }
}

function tail(text: string): string {
  return text.length > LOG_TAIL_CHARS ? `...${text.slice(-LOG_TAIL_CHARS)}` : text;
}
