// test/support/recording-cluster.ts — an in-memory Cluster with every capability: records calls, keeps node states.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PACKET_BEHAVIOURS, type ClockSkew, type Cluster, type DataFiles, type Endpoint, type Grudge, type LazyDisk, type LostUnsynced, type MemberChange, type MembershipChanges, type NodeStatus, type PacketLink, type PacketShape, type PacketShaping, type PacketSupport } from '../../cluster/types.ts';

/** filesRoot: one temp dir per test process for the nodes' fake data files, removed at exit. */
let filesRoot: string | null = null;
function nodeFilesDir(cluster: number, node: string): string {
  if (filesRoot === null) {
    filesRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'recording-cluster-'));
    const root = filesRoot;
    process.once('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  }
  const dir = path.join(filesRoot, `c${cluster}`, node);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'log.bin'), Buffer.alloc(256, 7));
  }
  return dir;
}
let clusterCount = 0;

/** RecordingCluster: n1..n3 plus vs; status() names `primary` as the primary; state() snapshots every fault. */
export class RecordingCluster implements Cluster, ClockSkew, PacketShaping, LazyDisk, DataFiles, MembershipChanges {
  readonly nodes = ['n1', 'n2', 'n3'];
  readonly allNodes = ['n1', 'n2', 'n3', 'vs'];
  readonly calls: string[] = [];
  grudge: Grudge = {};
  readonly down = new Set<string>();
  readonly stopped = new Set<string>();
  readonly offsets = new Map<string, number>();
  primary: string | null = 'n2';
  packetLinks: PacketLink[] = [];
  voters = ['n1', 'n2', 'n3'];
  private readonly id = ++clusterCount;

  async setup(): Promise<void> {}
  async teardown(): Promise<void> {}
  async start(n: string): Promise<void> { this.calls.push(`start ${n}`); this.down.delete(n); }
  async kill(n: string): Promise<void> { this.calls.push(`kill ${n}`); this.down.add(n); this.stopped.delete(n); }
  async pause(n: string): Promise<void> { this.calls.push(`pause ${n}`); this.stopped.add(n); }
  async resume(n: string): Promise<void> { this.calls.push(`resume ${n}`); this.stopped.delete(n); }
  async partition(g: Grudge): Promise<void> { this.calls.push(`partition ${JSON.stringify(g)}`); this.grudge = g; }
  async heal(): Promise<void> { this.calls.push('heal'); this.grudge = {}; }
  async setClockOffset(n: string, ms: number): Promise<void> { this.calls.push(`clock ${n} ${ms}`); this.offsets.set(n, ms); }
  packetSupport(): PacketSupport { return { behaviours: PACKET_BEHAVIOURS, mechanism: 'recorded' }; }
  async shapePackets(links: readonly PacketLink[], shape: PacketShape): Promise<{ mechanism: string }> {
    this.calls.push(`packet ${JSON.stringify(links)} ${JSON.stringify(shape)}`);
    this.packetLinks = [...links];
    return { mechanism: 'recorded' };
  }
  async unshapePackets(): Promise<void> { this.calls.push('unshape'); this.packetLinks = []; }
  async loseUnsynced(n: string): Promise<LostUnsynced> {
    if (!this.down.has(n)) throw new Error(`loseUnsynced: node ${n} is running; kill it first`);
    this.calls.push(`lose-unsynced ${n}`);
    return { node: n, undone: 1, unsyncedBytes: 8, tornBytes: 0 };
  }
  async forgetUnsynced(n: string): Promise<void> {
    if (!this.down.has(n)) throw new Error(`forgetUnsynced: node ${n} is running; kill it first`);
    this.calls.push(`forget-unsynced ${n}`);
  }
  dataFilesDir(n: string): string { return nodeFilesDir(this.id, n); }
  dataFilePaths(): undefined { return undefined; }
  isStopped(n: string): boolean { return this.down.has(n); }
  clientEndpoint(node: string): Endpoint { return { node, address: '127.0.0.1:1', httpUrl: 'http://127.0.0.1:1' }; }
  clientAddress(): string { return '127.0.0.1:1'; }
  async status(n: string): Promise<NodeStatus | null> {
    if (this.down.has(n) || this.stopped.has(n)) return null;
    return { id: n, protocol: 'fake', role: n === this.primary ? 'primary' : 'backup', primary: this.primary, appliedIndex: 0 };
  }
  async changeMembership(c: MemberChange): Promise<{ voters: string[] }> {
    this.calls.push(`member ${c.op} ${c.node}`);
    this.voters = c.op === 'remove' ? this.voters.filter((v) => v !== c.node) : [...new Set([...this.voters, c.node])].sort();
    return { voters: [...this.voters] };
  }
  async collectLogs(): Promise<void> {}

  /** state: every fault the cluster is under, as plain data (equal to a fresh cluster's when all healed). */
  state(): Record<string, unknown> {
    return {
      grudge: Object.entries(this.grudge).filter(([, v]) => v.length > 0),
      down: [...this.down].sort(),
      stopped: [...this.stopped].sort(),
      offsets: [...this.offsets].filter(([, ms]) => ms !== 0),
      packetLinks: this.packetLinks,
      voters: this.voters,
    };
  }
}
