// test/support/network.ts — an in-memory network of protocol cores with controlled time and faults.
//
// Tests drive sans-I/O cores (rsm/core/types.ts) through this harness: messages are queued,
// delivered one at a time (in a seeded random order when asked), and can be dropped, cut,
// isolated and healed. Crashes keep only what the core persisted, as a real disk would.
import { FakeClock } from '../../lib/clock.ts';
import { SeededRng } from '../../lib/rng.ts';
import type {
  ClientReply, ClientRequest, CoreConfig, CoreFactory, Effects, KvCommand, NodeId, PersistOp, ProtocolCore,
} from '../../rsm/core/types.ts';

/** Envelope: a message in flight. */
export interface Envelope<M> {
  from: NodeId;
  to: NodeId;
  msg: M;
}

/** SimNode: one node of the network, up or crashed, with its durable records. */
export interface SimNode<M> {
  id: NodeId;
  core: ProtocolCore<M>;
  up: boolean;
  /** records survive crashes: they are what the core asked to persist. */
  records: unknown[];
  factory: CoreFactory<M>;
  config: CoreConfig;
}

/** Hook sees every message about to be delivered; returning false drops it. */
export type Hook<M> = (envelope: Envelope<M>) => boolean;

export interface NetworkOptions {
  seed: number;
  /** Deliver queued messages in a random order instead of FIFO. */
  reorder?: boolean;
}

/** applyPersist applies persist operations to a record list, as the durable log would. */
export function applyPersist(records: unknown[], ops: PersistOp[]): unknown[] {
  let result = records;
  for (const op of ops) {
    if (op.kind === 'append') result.push(structuredClone(op.record));
    else result = op.records.map((r) => structuredClone(r));
  }
  return result;
}

export class SimNetwork<M> {
  readonly clock = new FakeClock(1_000_000);
  readonly rng: SeededRng;
  readonly nodes = new Map<NodeId, SimNode<M>>();
  /** queue holds messages in flight, oldest first. */
  queue: Envelope<M>[] = [];
  /** replies collects every client reply, tagged with the node that sent it. */
  readonly replies: Array<ClientReply & { node: NodeId }> = [];
  private readonly cuts = new Set<string>();
  private readonly dropRates = new Map<string, number>();
  private readonly hooks: Hook<M>[] = [];
  deliveredCount = 0;

  constructor(private readonly options: NetworkOptions) {
    this.rng = new SeededRng(options.seed);
  }

  /** addNode creates a core; config fields not given default to a node-local clock and rng. */
  addNode(id: NodeId, factory: CoreFactory<M>, config: Omit<CoreConfig, 'id' | 'clock' | 'rng'>): SimNode<M> {
    if (this.nodes.has(id)) throw new Error(`SimNetwork.addNode: ${id} exists`);
    const full: CoreConfig = { ...config, id, clock: this.clock, rng: this.rng.fork() };
    const node: SimNode<M> = { id, core: factory(full, []), up: true, records: [], factory, config: full };
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): SimNode<M> {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`SimNetwork: no node ${id}`);
    return node;
  }

  /** tick ticks one node (or every up node) once and queues the effects. */
  tick(id?: NodeId): void {
    const ids = id === undefined ? [...this.nodes.keys()] : [id];
    for (const nodeId of ids) {
      const node = this.node(nodeId);
      if (node.up) this.absorb(node, node.core.tick());
    }
  }

  /** request hands a client request to a node; with the node down, nothing happens. */
  request(id: NodeId, req: ClientRequest): void {
    const node = this.node(id);
    if (node.up) this.absorb(node, node.core.request(req));
  }

  /** call hands an up node's core any other request (a membership change) and queues its effects. */
  call(id: NodeId, f: (core: SimNode<M>['core']) => Effects<M>): void {
    const node = this.node(id);
    if (node.up) this.absorb(node, f(node.core));
  }

  /** deliverOne delivers the next message (random with reorder); false when the queue is empty. */
  deliverOne(): boolean {
    if (this.queue.length === 0) return false;
    const at = this.options.reorder ? this.rng.int(this.queue.length) : 0;
    const [envelope] = this.queue.splice(at, 1);
    if (!this.canDeliver(envelope)) return true;
    const target = this.node(envelope.to);
    this.deliveredCount += 1;
    this.absorb(target, target.core.step(envelope.from, envelope.msg));
    return true;
  }

  /** deliverAll delivers until the queue is empty or maxSteps deliveries were made. */
  deliverAll(maxSteps = 100_000): number {
    let steps = 0;
    while (steps < maxSteps && this.deliverOne()) steps += 1;
    return steps;
  }

  /** run alternates ticks of every node and full deliveries, advancing the clock by msPerTick. */
  run(ticks: number, msPerTick = 10): void {
    for (let i = 0; i < ticks; i += 1) {
      this.clock.advance(msPerTick);
      this.tick();
      this.deliverAll();
    }
  }

  /** cut drops every message between a and b, both directions, until heal. */
  cut(a: NodeId, b: NodeId): void {
    this.cuts.add(`${a}>${b}`);
    this.cuts.add(`${b}>${a}`);
  }

  /** cutOneWay drops messages from a to b only. */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.cuts.add(`${from}>${to}`);
  }

  /** isolate cuts a node from every other node. */
  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cut(id, other);
  }

  /** partition splits nodes into groups that cannot talk to each other. */
  partition(groups: NodeId[][]): void {
    for (const g of groups) for (const h of groups) {
      if (g === h) continue;
      for (const a of g) for (const b of h) this.cutOneWay(a, b);
    }
  }

  /** drop loses messages from `from` to `to` with probability p. */
  drop(from: NodeId, to: NodeId, p: number): void {
    this.dropRates.set(`${from}>${to}`, p);
  }

  heal(): void {
    this.cuts.clear();
    this.dropRates.clear();
  }

  hook(fn: Hook<M>): void {
    this.hooks.push(fn);
  }

  /** crash stops a node: its volatile state and the messages to it are gone, records stay. */
  crash(id: NodeId): void {
    const node = this.node(id);
    node.up = false;
    this.queue = this.queue.filter((e) => e.to !== id);
  }

  /** restart rebuilds a crashed node's core from its persisted records. */
  restart(id: NodeId): void {
    const node = this.node(id);
    if (node.up) throw new Error(`SimNetwork.restart: ${id} is up`);
    node.core = node.factory(node.config, structuredClone(node.records));
    node.up = true;
  }

  private canDeliver(envelope: Envelope<M>): boolean {
    const link = `${envelope.from}>${envelope.to}`;
    if (!this.node(envelope.to).up) return false;
    if (this.cuts.has(link)) return false;
    const p = this.dropRates.get(link);
    if (p !== undefined && this.rng.next() < p) return false;
    return this.hooks.every((h) => h(envelope));
  }

  private absorb(node: SimNode<M>, effects: Effects<M>): void {
    // Persist before send and reply, as every runtime must.
    node.records = applyPersist(node.records, effects.persist);
    for (const { to, msg } of effects.send) {
      if (!this.nodes.has(to)) throw new Error(`${node.id} sent to unknown node ${to}`);
      this.queue.push({ from: node.id, to, msg: structuredClone(msg) });
    }
    for (const reply of effects.reply) this.replies.push({ ...reply, node: node.id });
  }
}

/** runUntil runs whole ticks until cond holds; throws after maxTicks. */
export function runUntil<M>(net: SimNetwork<M>, cond: () => boolean, maxTicks: number, what: string): void {
  for (let i = 0; i < maxTicks; i += 1) {
    if (cond()) return;
    net.run(1);
  }
  if (!cond()) throw new Error(`runUntil: ${what} did not happen within ${maxTicks} ticks`);
}

let nextReqId = 1;

/** send hands a command to a node and returns its reqId. */
export function send<M>(net: SimNetwork<M>, id: NodeId, cmd: KvCommand, clientId = 'c1', seq?: number): number {
  const reqId = nextReqId;
  nextReqId += 1;
  net.request(id, { reqId, command: { clientId, seq: seq ?? reqId, cmd } });
  return reqId;
}

/** replyTo finds the reply to reqId, if any. */
export function replyTo<M>(net: SimNetwork<M>, reqId: number): SimNetwork<M>['replies'][number] | undefined {
  return net.replies.find((r) => r.reqId === reqId);
}

/** SimClusterOptions: a cluster of n1..nN on one SimNetwork (3 nodes, seed 1, in order by default). */
export interface SimClusterOptions {
  nodes?: number;
  seed?: number;
  reorder?: boolean;
  options?: Record<string, string>;
  bugs?: string[];
}

/** simCluster builds n1..nN, each a core from `factory` (which may wrap or observe it), all peers of each other. */
export function simCluster<M>(opts: SimClusterOptions, factory: CoreFactory<M>): { net: SimNetwork<M>; ids: NodeId[] } {
  const ids = Array.from({ length: opts.nodes ?? 3 }, (_, i) => `n${i + 1}`);
  const net = new SimNetwork<M>({ seed: opts.seed ?? 1, reorder: opts.reorder ?? false });
  for (const id of ids) net.addNode(id, factory, { peers: ids, options: opts.options ?? {}, bugs: new Set(opts.bugs ?? []) });
  return { net, ids };
}
