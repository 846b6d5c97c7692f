// cluster/sim/sim-cluster.ts — `--cluster sim`: every node of a protocol in this process, on one seeded world's virtual time.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SeededRng } from '../../lib/rng.ts';
import { sleepOn, VirtualTimers, type Timers } from '../../lib/timers.ts';
import { jsonCopy } from '../../lib/json-copy.ts';
import { type Attempt, type ClientTransport, interpretBody } from '../../rsm/client/client.ts';
import type { CoreFactory, KvCommand } from '../../rsm/core/types.ts';
import type { ProtocolEvent, SafetyViolation } from '../../rsm/core/types.ts';
import { earlySendsOf, eventOf, loadCoreFactory, safetyOracleOf } from '../../rsm/protocols.ts';
import type { RaftSafetyOracle } from '../../rsm/raft/safety.ts';
import { publicBody, statusFor } from '../../rsm/runtime/http-api.ts';
import { isViewServerNode, rsmNodeIds } from '../../db/rsm.ts';
import type { Cluster, Endpoint, Grudge, NodeStatus } from '../types.ts';
import { SimDisk } from './disk.ts';
import { DeterminismViolation, installGuard, takeViolations } from './guard.ts';
import { describeKnobs, drawKnobs, type SimKnobs } from './knobs.ts';
import { SimNetwork } from './network.ts';
import { SimClock, SimNode } from './node.ts';
import type { LogView } from './log-view.ts';
import { ReactiveNemesis, type Reaction } from './reactive.ts';

/** SimSpec: what to simulate: the ClusterSpec fields that matter without processes, and the seed. */
export interface SimSpec {
  /** rsm protocol: naive | primary-backup | async-backup | viewservice | raft | single */
  protocol: string;
  /** Replicas n1..nN; viewservice adds the view server `vs`, or vs1..vsM when replicated. */
  nodeCount: number;
  /** viewservice: the view server's nodes (--viewserver-replicas; default 1, the single `vs`). */
  viewServerReplicas?: number;
  /** Raft read path, as --reads. */
  reads?: string;
  bugs: string[];
  /** Extra protocol options, as --option k=v. */
  options: Record<string, string>;
  seed: number;
  /** reactions: the reactive nemesis's faults (--sim-react), and when it stops reacting (virtual ms). */
  reactions?: { kinds: readonly Reaction[]; untilMs: number };
  /** factories replace a protocol's core (tests: a core that misbehaves). */
  factories?: Partial<Record<string, CoreFactory>>;
  /** logs: false keeps no node logs (a sweep never collects them): no lines, and no role probe each tick. */
  logs?: boolean;
}

/** LOG_LINES_MAX bounds each node's in-memory log. */
const LOG_LINES_MAX = 20_000;

/**
 * SimCluster: a Cluster whose nodes are SimNodes on one SimNetwork, all on one VirtualTimers.
 * Each node's core gets seed + its index (as cluster/local passes --seed), the world's other
 * draws (latency, loss, disks) come from forks of one SeededRng of the run seed, in a fixed
 * order. Fault calls take effect at once in virtual time. Peer messages are not shape-checked
 * as on real nodes (rsm/runtime/peer-messages.ts): the simulated wire carries only what cores
 * sent, and the check was a quarter of the simulator's time.
 */
export class SimCluster implements Cluster {
  readonly nodes: string[];
  readonly allNodes: string[];
  readonly timers = new VirtualTimers();
  readonly knobs: SimKnobs;
  readonly network: SimNetwork;
  private readonly worldRng: SeededRng;
  private readonly sims = new Map<string, SimNode>();
  private readonly clocks = new Map<string, SimClock>();
  private readonly logs = new Map<string, string[]>();
  private removeGuard: (() => void) | null = null;
  /** observer: the reactive nemesis and how it reads events off this protocol's messages; null when off. */
  private readonly observer: { reactive: ReactiveNemesis; eventOf: (msg: unknown) => ProtocolEvent | null } | null;
  /** oracle: the protocol's safety oracle, watching every replica's core; null for a protocol without one. */
  private readonly oracle: RaftSafetyOracle | null;
  /** reactiveSeq: the last seq of the reactive nemesis's own client (propose). */
  private reactiveSeq = 0;

  constructor(private readonly spec: SimSpec) {
    const ids = rsmNodeIds(spec.protocol, spec.nodeCount, spec.viewServerReplicas ?? 1);
    this.allNodes = [...ids.allNodes];
    this.nodes = [...ids.nodes];
    this.knobs = drawKnobs(spec.seed, this.allNodes);
    this.worldRng = new SeededRng(spec.seed).fork();
    this.network = new SimNetwork(this.timers, this.worldRng.fork(), this.knobs);
    this.oracle = safetyOracleOf(spec.protocol, () => this.timers.nowMs());
    this.observer = this.makeObserver();
    const reactive = this.observer?.reactive;
    if (this.oracle !== null && reactive !== undefined) this.oracle.onOldTermCommit = (cue) => reactive.oldTermCommit(cue);
  }

  /** safetyViolations: what the protocol's safety oracle saw so far, in order; null when the protocol has no oracle. */
  safetyViolations(): readonly SafetyViolation[] | null {
    return this.oracle?.violations ?? null;
  }

  /** makeObserver: the reactive nemesis when --sim-react asked for one (refused for a protocol whose events are not read). */
  private makeObserver(): SimCluster['observer'] {
    const r = this.spec.reactions;
    if (r === undefined || r.kinds.length === 0) return null;
    const read = eventOf(this.spec.protocol);
    if (read === null) throw new Error(`--sim-react: the simulator reads no events off ${this.spec.protocol}'s messages (only raft's)`);
    const reactive = new ReactiveNemesis({
      timers: this.timers,
      crash: (node) => this.node(node).crash('reactive nemesis'),
      restart: (node) => this.node(node).start(),
      hold: (node, ms, from) => this.network.hold(node, ms, from),
      isolate: (node, cut) => this.network.isolate(node, cut),
      sever: (a, b, cut) => this.network.sever(a, b, cut),
      log: (node, line) => this.log(node, line),
      nodes: this.nodes,
      logOf: (node) => this.logOf(node),
      propose: (node, count) => this.propose(node, count),
    }, new Set(r.kinds), this.spec.seed, r.untilMs);
    return { reactive, eventOf: read };
  }

  /**
   * propose: the reactive nemesis's own client sends `count` writes of the key `figure8`, which
   * no workload reads, to `node`; their answers are dropped (the history never sees them).
   */
  private propose(node: string, count: number): void {
    for (let i = 0; i < count; i += 1) {
      this.reactiveSeq += 1;
      this.node(node).request({ clientId: 'reactive-nemesis', seq: this.reactiveSeq, cmd: { kind: 'write', key: 'figure8', value: this.reactiveSeq } }, () => undefined);
    }
  }

  /** logOf: a replica's raft log as the oracle last saw its core. */
  private logOf(node: string): LogView | null {
    const core = this.oracle?.cores.get(node);
    if (core === undefined) return null;
    const log = core.log;
    return { lastIndex: log.lastIndex(), lastTerm: log.term(log.lastIndex()) ?? 0, termAt: (index) => log.term(index) };
  }

  /** simulation: what the runner needs to run on this world's time. */
  simulation(): { timers: Timers; drive<T>(task: Promise<T>): Promise<T>; knobs: Record<string, unknown>; safetyViolations(): readonly SafetyViolation[] | null; stagings(): number } {
    return {
      timers: this.timers, drive: (task) => this.drive(task), knobs: describeKnobs(this.spec.seed, this.knobs), safetyViolations: () => this.safetyViolations(),
      stagings: () => this.observer?.reactive.stagings() ?? 0,
    };
  }

  /** drive runs the world until `task` settles; a determinism violation (even one a core caught) fails it. */
  async drive<T>(task: Promise<T>): Promise<T> {
    const value = await this.timers.drive(task);
    const violations = takeViolations();
    if (violations.length > 0) throw new DeterminismViolation(violations[0]);
    return value;
  }

  async setup(): Promise<void> {
    takeViolations();
    this.removeGuard ??= installGuard();
    const load = async (name: string): Promise<CoreFactory> => this.spec.factories?.[name] ?? loadCoreFactory(name);
    const replicaFactory = await load(this.spec.protocol);
    const serverFactory = this.allNodes.some(isViewServerNode) ? await load('viewserver') : null;
    this.allNodes.forEach((id, index) => {
      const isServer = isViewServerNode(id);
      this.sims.set(id, this.makeNode(id, index, isServer ? serverFactory! : replicaFactory, isServer ? 'viewserver' : this.spec.protocol));
    });
    for (const id of this.allNodes) this.sims.get(id)!.start();
  }

  async teardown(): Promise<void> {
    this.removeGuard?.();
    this.removeGuard = null;
  }

  async start(node: string): Promise<void> {
    this.node(node).start();
  }

  async kill(node: string): Promise<void> {
    this.node(node).crash();
  }

  async pause(node: string): Promise<void> {
    this.node(node).pause();
  }

  async resume(node: string): Promise<void> {
    this.node(node).resume();
  }

  async partition(grudge: Grudge): Promise<void> {
    this.network.setGrudge(grudge);
  }

  async heal(): Promise<void> {
    this.network.setGrudge({});
  }

  async setClockOffset(node: string, ms: number): Promise<void> {
    this.clockOf(node).offsetMs = this.knobs.clockOffsetMs[node] + ms;
    this.log(node, `clock offset set to ${ms} ms`);
  }

  clientEndpoint(node: string): Endpoint {
    this.node(node);
    return { node, address: `sim:${node}`, httpUrl: `sim://${node}` };
  }

  clientAddress(node: string, port: string): string {
    this.node(node);
    return `sim:${node}:${port}`;
  }

  async status(node: string): Promise<NodeStatus | null> {
    return this.node(node).status();
  }

  /** collectLogs writes each node's log (virtual ms, one line per event) and the network's counters. */
  async collectLogs(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    for (const [node, lines] of this.logs) await writeFile(path.join(dir, `${node}.log`), lines.length === 0 ? '' : `${lines.join('\n')}\n`);
    await writeFile(path.join(dir, 'sim-network.json'), `${JSON.stringify(this.network.counters, null, 2)}\n`);
  }

  /**
   * clientTransport: how a client reaches the nodes. Without `clientSide` it sits on the
   * control node, which no partition cuts; with one it sits beside that node and the grudge
   * between them cuts its packets both ways (--partition-clients).
   */
  clientTransport(clientSide?: string): ClientTransport {
    return {
      attempt: (id, body) => this.attempt(clientSide, id, body),
      sleepMs: async (ms) => {
        await sleepOn(this.timers, ms);
      },
      close: () => undefined,
    };
  }

  private attempt(side: string | undefined, id: string, body: { clientId: string; seq: number; cmd: KvCommand }): Promise<Attempt> {
    const t = this.timers;
    const node = this.node(id);
    const cut = (): boolean => side !== undefined && side !== id && (this.network.cuts(side, id) || this.network.cuts(id, side));
    // As over HTTP: the node gets its own copy of the request, the client its own of the answer.
    const request = jsonCopy(body);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (a: Attempt): void => {
        if (settled) return;
        settled = true;
        t.clearTimer(timer);
        resolve(a);
        t.wake();
      };
      const timer = t.setTimer(() => finish({ kind: 'done', result: { type: 'info', error: `timeout after ${this.knobs.clientRequestTimeoutMs} ms`, node: id } }), this.knobs.clientRequestTimeoutMs);
      t.at(this.network.clientDelayMs(), () => {
        if (cut()) return;
        // A killed node refuses the connection: certainly not applied.
        if (!node.up) {
          t.at(this.network.clientDelayMs(), () => finish({ kind: 'not-sent', error: 'ECONNREFUSED' }));
          return;
        }
        node.request(request, (outcome) => {
          const answer = interpretBody(id, statusFor(outcome), jsonCopy(publicBody(outcome)) as Record<string, unknown>);
          t.at(this.network.clientDelayMs(), () => {
            if (!cut()) finish(answer);
          });
        });
      });
    });
  }

  private makeNode(id: string, index: number, factory: CoreFactory, protocol: string): SimNode {
    const replicas = this.nodes;
    const options: Record<string, string> = { tickMs: String(this.knobs.tickMs), ...this.spec.options };
    if (this.spec.reads !== undefined) options.reads = this.spec.reads;
    const bugs = new Set(this.spec.bugs);
    this.logs.set(id, []);
    const disk = new SimDisk({
      timers: this.timers,
      rng: this.worldRng.fork(),
      fsyncLatency: this.knobs.fsyncLatency,
      // --bug no-fsync is the same code path as --fsync never, as on real nodes.
      fsync: bugs.has('no-fsync') ? 'never' : 'always',
      writebackMs: this.knobs.writebackMs,
      tornP: this.knobs.tornP,
    });
    const clock = new SimClock(this.timers, this.knobs.clockOffsetMs[id], this.knobs.clockDriftPpm[id]);
    this.clocks.set(id, clock);
    const oracle = this.oracle;
    return new SimNode({
      id,
      // The oracle watches every incarnation of a replica's core (not the view server's).
      factory: oracle === null || protocol !== this.spec.protocol ? factory : (config, records) => {
        const core = factory(config, records);
        oracle.watch(id, core);
        return core;
      },
      config: { id, peers: replicas, ...viewServersOf(this.allNodes), options, bugs },
      seed: this.spec.seed + index,
      timers: this.timers,
      disk,
      clock,
      tickMs: this.knobs.tickMs,
      requestTimeoutMs: this.knobs.nodeRequestTimeoutMs,
      send: (to, msg) => {
        const target = this.sims.get(to);
        if (target === undefined) return;
        this.network.send(id, to, msg, (m) => target.deliver(id, m));
        if (this.observer === null) return;
        const event = this.observer.eventOf(msg);
        if (event !== null) this.observer.reactive.observe(id, to, event);
      },
      ...earlySendsOf(protocol),
      log: (line) => this.log(id, line),
      roleLines: this.spec.logs !== false,
    });
  }

  private log(node: string, line: string): void {
    if (this.spec.logs === false) return;
    const lines = this.logs.get(node);
    if (lines === undefined || lines.length >= LOG_LINES_MAX) return;
    lines.push(`${this.timers.nowMs().toFixed(3)}ms ${node} ${line}`);
  }

  private node(id: string): SimNode {
    const node = this.sims.get(id);
    if (node === undefined) throw new Error(`sim: unknown node ${JSON.stringify(id)}; expected one of ${this.allNodes.join(', ')}`);
    return node;
  }

  private clockOf(id: string): SimClock {
    this.node(id);
    return this.clocks.get(id)!;
  }
}

/** viewServersOf: the view-server fields of a node's CoreConfig, as rsm/node/main.ts fills them from --viewserver. */
function viewServersOf(allNodes: readonly string[]): { viewServer?: string; viewServers?: string[] } {
  const group = allNodes.filter(isViewServerNode);
  if (group.length === 0) return {};
  return group.length > 1 ? { viewServer: group[0], viewServers: group } : { viewServer: group[0] };
}
