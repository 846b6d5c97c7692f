// test/raft/support.ts — builds simulated Raft clusters and checks Raft's safety properties on them.
import type { CoreFactory, NodeId } from '../../rsm/core/types.ts';
import type { Clock } from '../../lib/clock.ts';
import { KvStateMachine } from '../../rsm/kv/state-machine.ts';
import { createRaftCore, RaftCore } from '../../rsm/raft/core.ts';
import { entryKey, RaftSafetyOracle, sameEntry } from '../../rsm/raft/safety.ts';
import type { RaftMessage } from '../../rsm/raft/types.ts';
import { simCluster, type SimClusterOptions, type SimNetwork } from '../support/network.ts';

export type RaftNet = SimNetwork<RaftMessage>;

export interface ClusterOptions extends SimClusterOptions {
  /** clockFor gives a node its own clock instead of the network's shared one. */
  clockFor?: (id: NodeId) => Clock;
}

export { entryKey } from '../../rsm/raft/safety.ts';

/**
 * SafetyChecker watches every node and records the first violation of Raft's Figure 3
 * properties: Election Safety, State Machine Safety and Leader Completeness at each election
 * (RaftSafetyOracle, the simulator's oracle too), plus, per step (`check`), Log Matching and
 * Leader Completeness of every up leader.
 */
export class SafetyChecker {
  readonly oracle = new RaftSafetyOracle();
  private readonly own: string[] = [];

  /** violations: the oracle's, then the per-step checks', in words. */
  get violations(): string[] {
    return [...this.oracle.violations.map((v) => v.message), ...this.own];
  }

  get applied(): RaftSafetyOracle['applied'] {
    return this.oracle.applied;
  }

  watch(node: NodeId, core: RaftCore): void {
    this.oracle.watch(node, core);
  }

  /** check runs the per-step checks over every node's current log (crashed nodes keep theirs). */
  check(net: RaftNet): void {
    const cores = [...net.nodes.values()].map((n) => raftCore(n.core));
    for (let a = 0; a < cores.length; a += 1) {
      for (let b = a + 1; b < cores.length; b += 1) this.checkLogMatching(cores[a], cores[b]);
    }
    for (const node of net.nodes.values()) {
      const core = raftCore(node.core);
      if (node.up && core.role === 'leader') this.checkLeaderCompleteness(core);
    }
  }

  /** Log Matching: logs that agree on the term at an index agree on every entry up to it. */
  private checkLogMatching(a: RaftCore, b: RaftCore): void {
    const lo = Math.max(a.log.firstIndex(), b.log.firstIndex());
    const hi = Math.min(a.log.lastIndex(), b.log.lastIndex());
    let agree = 0;
    for (let i = hi; i >= lo; i -= 1) {
      if (a.log.term(i) === b.log.term(i)) {
        agree = i;
        break;
      }
    }
    for (let i = lo; i <= agree; i += 1) {
      if (!sameEntry(a.log.entry(i), b.log.entry(i))) {
        const [ka, kb] = [entryKey(a.log.entry(i)), entryKey(b.log.entry(i))];
        this.own.push(`Log Matching: ${a.id} and ${b.id} agree on term at ${agree} but differ at ${i}: ${ka} vs ${kb}`);
        return;
      }
    }
  }

  /** Leader Completeness: a leader of a later term holds every entry committed before it. */
  private checkLeaderCompleteness(leader: RaftCore): void {
    for (let i = leader.log.firstIndex(); i <= this.oracle.maxApplied; i += 1) {
      const c = this.oracle.applied.get(i);
      if (c === undefined || c.termBound >= leader.term) continue;
      if (i <= leader.log.lastIndex() && sameEntry(leader.log.entry(i), c.entry)) continue;
      const held = i <= leader.log.lastIndex() ? entryKey(leader.log.entry(i)) : 'nothing';
      this.own.push(`Leader Completeness: leader ${leader.id} of term ${leader.term} holds ${held} at ${i}, committed ${entryKey(c.entry)}`);
      return;
    }
  }
}

/** raftCore narrows a simulated node's core to RaftCore. */
export function raftCore(core: unknown): RaftCore {
  if (!(core instanceof RaftCore)) throw new Error('not a RaftCore');
  return core;
}

/** makeCluster builds n1..nN running Raft, every core observed by one SafetyChecker. */
export function makeCluster(opts: ClusterOptions = {}): { net: RaftNet; ids: NodeId[]; checker: SafetyChecker } {
  const checker = new SafetyChecker();
  const factory: CoreFactory<RaftMessage> = (config, restored) => {
    const clock = opts.clockFor?.(config.id) ?? config.clock;
    const core = raftCore(createRaftCore({ ...config, clock }, restored));
    checker.watch(config.id, core);
    return core;
  };
  return { ...simCluster(opts, factory), checker };
}

export function core(net: RaftNet, id: NodeId): RaftCore {
  return raftCore(net.node(id).core);
}

/** leaders lists the up nodes that believe they lead, with their terms. */
export function leaders(net: RaftNet): Array<{ id: NodeId; term: number }> {
  const out: Array<{ id: NodeId; term: number }> = [];
  for (const node of net.nodes.values()) {
    const c = raftCore(node.core);
    if (node.up && c.role === 'leader') out.push({ id: node.id, term: c.term });
  }
  return out;
}

/** campaign ticks only `id` until it stands for election, then delivers everything queued. */
export function campaign(net: RaftNet, id: NodeId): void {
  const c = core(net, id);
  const term = c.term;
  for (let i = 0; i < 1000 && c.term === term; i += 1) net.tick(id);
  if (c.term === term) throw new Error(`campaign: ${id} never timed out`);
  net.deliverAll();
}

export { replyTo, runUntil, send } from '../support/network.ts';

/**
 * ReadChecker: a read is linearizable only if it returns the key's value at some committed
 * index between the highest index applied anywhere when it was invoked (every write acknowledged
 * before it is at or below that) and the highest applied when it was answered.
 */
export class ReadChecker {
  readonly violations: string[] = [];
  private readonly sm = new KvStateMachine();
  private replayed = 0;
  /** changes: per key, the indexes at which its value changed, and the value from there on. */
  private readonly changes = new Map<string, Array<{ index: number; value: string }>>();
  private readonly open = new Map<number, { key: string; lower: number }>();
  private repliesSeen = 0;

  constructor(private readonly safety: SafetyChecker) {}

  /** invoke notes a read about to be sent. */
  invoke(reqId: number, key: string): void {
    this.catchUp();
    this.open.set(reqId, { key, lower: this.replayed });
  }

  /** check examines replies that arrived since the last call. */
  check(replies: RaftNet['replies']): void {
    this.catchUp();
    for (; this.repliesSeen < replies.length; this.repliesSeen += 1) {
      const reply = replies[this.repliesSeen];
      const read = this.open.get(reply.reqId);
      if (read === undefined) continue;
      this.open.delete(reply.reqId);
      if (reply.outcome !== 'ok' || reply.result.type !== 'ok') continue;
      const got = JSON.stringify(reply.result.value ?? null);
      if (!this.possible(read.key, got, read.lower, this.replayed)) {
        this.violations.push(`Linearizable reads: read ${read.key} (req ${reply.reqId}) at ${reply.node} returned ${got}, not a value between indexes ${read.lower} and ${this.replayed}`);
      }
    }
  }

  private possible(key: string, value: string, lower: number, upper: number): boolean {
    const list = [{ index: 0, value: 'null' }, ...(this.changes.get(key) ?? [])];
    for (let i = 0; i < list.length; i += 1) {
      const from = list[i].index;
      const to = i + 1 < list.length ? list[i + 1].index - 1 : Infinity;
      if (list[i].value === value && from <= upper && to >= lower) return true;
    }
    return false;
  }

  /** catchUp replays committed entries (the applied prefix is contiguous) into a model. */
  private catchUp(): void {
    for (let next = this.safety.applied.get(this.replayed + 1); next !== undefined; next = this.safety.applied.get(this.replayed + 1)) {
      this.replayed += 1;
      const cmd = next.entry.cmd;
      if (cmd === null) continue;
      this.sm.apply(cmd);
      const keys = cmd.cmd.kind === 'txn' ? cmd.cmd.ops.map((op) => op[1]) : [cmd.cmd.key];
      for (const key of keys) {
        const list = this.changes.get(key) ?? [];
        const value = JSON.stringify(this.sm.read(key));
        if ((list.at(-1)?.value ?? 'null') !== value) list.push({ index: this.replayed, value });
        this.changes.set(key, list);
      }
    }
  }
}
