// test/support/viewservice-cluster.ts — a view service cluster on the in-memory network, with client bookkeeping.
//
// Wraps test/support/network.ts (SimNetwork) to add what the view service tests need: a view
// server plus replicas built with small tunables, one-message-at-a-time delivery with a
// monitor called after every delivered message, and a record of every client op (invoke
// step, reply, reply step, replying server's view) for history checks.
import { SimNetwork } from './network.ts';
import type { ClientCommand, ClientReply, NodeId, NodeStatus } from '../../rsm/core/types.ts';
import type { ViewServiceMessage } from '../../rsm/viewservice/messages.ts';
import { createViewServiceReplicaCore } from '../../rsm/viewservice/replica.ts';
import { createViewServerCore } from '../../rsm/viewservice/server.ts';

/** OpRecord: one client op as the test client saw it. */
export interface OpRecord {
  reqId: number;
  node: NodeId;
  command: ClientCommand;
  invokeStep: number;
  reply?: ClientReply & { node: NodeId };
  replyStep?: number;
  /** replyView: the view number of the replying server when it replied. */
  replyView?: number;
}

export interface VsClusterOptions {
  seed: number;
  replicas: NodeId[];
  /** start: the replicas created at once (default all); others join later with addReplica. */
  start?: NodeId[];
  reorder?: boolean;
  options?: Record<string, string>;
  /** viewServers: the view-server nodes (default the single `vs`; more make a replicated view server). */
  viewServers?: NodeId[];
  /** bugs: --bug names every node is built with (e.g. promote-unsynced). */
  bugs?: string[];
}

/** TEST_TUNABLES: small timing options so tests run few ticks. */
export const TEST_TUNABLES = { pingIntervalTicks: '5', deadPings: '3', forwardTimeoutTicks: '4' };

export class VsCluster {
  readonly net: SimNetwork<ViewServiceMessage>;
  readonly ops = new Map<number, OpRecord>();
  /** stepCount orders invocations and replies: it grows with every tick, delivery and request. */
  stepCount = 0;
  /** monitors run after every tick, delivery and request, e.g. to check a safety property. */
  readonly monitors: Array<(cluster: VsCluster, newReplies: OpRecord[]) => void> = [];
  private readonly peers: NodeId[];
  readonly viewServers: NodeId[];
  private readonly options: Record<string, string>;
  private readonly bugs: ReadonlySet<string>;
  private seenReplies = 0;
  private reqIdNext = 1;

  constructor(opts: VsClusterOptions) {
    this.net = new SimNetwork<ViewServiceMessage>({ seed: opts.seed, reorder: opts.reorder ?? false });
    this.peers = opts.replicas;
    this.options = { ...TEST_TUNABLES, ...opts.options };
    this.bugs = new Set(opts.bugs);
    this.viewServers = opts.viewServers ?? ['vs'];
    const group = this.viewServers.length > 1 ? this.viewServers : undefined;
    for (const id of this.viewServers) {
      this.net.addNode(id, createViewServerCore, { peers: this.peers, viewServers: group, options: this.options, bugs: this.bugs });
    }
    for (const id of opts.start ?? opts.replicas) this.addReplica(id);
  }

  addReplica(id: NodeId): void {
    this.net.addNode(id, createViewServiceReplicaCore, {
      peers: this.peers, viewServer: this.viewServers[0], viewServers: this.viewServers.length > 1 ? this.viewServers : undefined,
      options: this.options, bugs: this.bugs,
    });
  }

  /** replace: the replace nemesis's open op — the server dies for good, its disk emptied. */
  replace(id: NodeId): void {
    this.net.crash(id);
    this.net.node(id).records = [];
  }

  /** addFresh: the replace nemesis's close op — a fresh server (empty disk) starts in the dead one's place. */
  addFresh(id: NodeId): void {
    this.net.restart(id);
  }

  status(id: NodeId): NodeStatus {
    return this.net.node(id).core.status();
  }

  /** tick advances time one tick on every up node, then delivers the queue one message at a time. */
  tick(): void {
    this.net.clock.advance(10);
    this.net.tick();
    this.afterAction();
    for (let n = 0; n < 100_000 && this.net.deliverOne(); n += 1) this.afterAction();
  }

  runTicks(ticks: number): void {
    for (let t = 0; t < ticks; t += 1) this.tick();
  }

  /** runUntil ticks until pred holds and returns the ticks taken; throws after maxTicks. */
  runUntil(pred: () => boolean, maxTicks = 500, what = 'condition'): number {
    for (let t = 0; t <= maxTicks; t += 1) {
      if (pred()) return t;
      this.tick();
    }
    throw new Error(`${what} not reached within ${maxTicks} ticks`);
  }

  submit(node: NodeId, command: ClientCommand): number {
    const reqId = this.reqIdNext++;
    this.ops.set(reqId, { reqId, node, command, invokeStep: this.stepCount });
    this.net.request(node, { reqId, command });
    this.afterAction();
    return reqId;
  }

  write(node: NodeId, key: string, value: unknown): number {
    return this.submit(node, { clientId: `w${this.reqIdNext}`, seq: 1, cmd: { kind: 'write', key, value } });
  }

  append(node: NodeId, key: string, value: unknown): number {
    return this.submit(node, { clientId: `a${this.reqIdNext}`, seq: 1, cmd: { kind: 'txn', ops: [['append', key, value]] } });
  }

  read(node: NodeId, key: string): number {
    return this.submit(node, { clientId: `r${this.reqIdNext}`, seq: 1, cmd: { kind: 'read', key } });
  }

  /** complete ticks until the op has a reply and returns its reqId. */
  complete(reqId: number, maxTicks = 100): number {
    this.runUntil(() => this.op(reqId).reply !== undefined, maxTicks, `reply to op ${reqId}`);
    return reqId;
  }

  op(reqId: number): OpRecord {
    const op = this.ops.get(reqId);
    if (op === undefined) throw new Error(`no op ${reqId}`);
    return op;
  }

  /** okValue returns the value an ok reply carried; throws if the op did not complete ok. */
  okValue(reqId: number): unknown {
    const reply = this.op(reqId).reply;
    if (reply?.outcome !== 'ok' || reply.result.type !== 'ok') throw new Error(`op ${reqId} not ok: ${JSON.stringify(reply)}`);
    return reply.result.value;
  }

  /** viewServerLeader: the view-server node that serves pings (holds the committed table), if any is up. */
  viewServerLeader(): NodeId | null {
    return this.viewServers.find((id) => this.net.node(id).up && this.status(id).serving === true) ?? null;
  }

  /** primary asks the view server (its serving node) who the primary of its current view is. */
  primary(): NodeId | null {
    const vs = this.viewServerLeader();
    return vs === null ? null : ((this.status(vs).primary as NodeId | null | undefined) ?? null);
  }

  private afterAction(): void {
    this.stepCount += 1;
    const fresh: OpRecord[] = [];
    for (; this.seenReplies < this.net.replies.length; this.seenReplies += 1) {
      const reply = this.net.replies[this.seenReplies];
      const op = this.op(reply.reqId);
      if (op.reply !== undefined) throw new Error(`op ${reply.reqId} replied twice`);
      op.reply = reply;
      op.replyStep = this.stepCount;
      op.replyView = this.status(reply.node).view;
      fresh.push(op);
    }
    for (const monitor of this.monitors) monitor(this, fresh);
  }
}
