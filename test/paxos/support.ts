// test/paxos/support.ts — builds in-memory Multi-Paxos clusters and checks Paxos's safety properties on them.
import type { CoreFactory, NodeId } from '../../rsm/core/types.ts';
import { ballotText } from '../../rsm/paxos/ballot.ts';
import { createPaxosCore, PaxosCore } from '../../rsm/paxos/core.ts';
import type { Ballot, PaxosMessage, Value } from '../../rsm/paxos/types.ts';
import { simCluster, type SimClusterOptions, type SimNetwork } from '../support/network.ts';

export type PaxosNet = SimNetwork<PaxosMessage>;

export type ClusterOptions = SimClusterOptions;

/** valueKey names a value by its full command; null is the no-op. */
export function valueKey(v: Value): string {
  return v === null ? 'noop' : `${v.clientId}/${v.seq}:${JSON.stringify(v.cmd)}`;
}

/**
 * SafetyChecker records the first violations of Paxos's safety requirements (§2.1): "Only a
 * single value is chosen" per slot — a value is chosen once a majority accepted one proposal
 * (same ballot) with it, at any time in the history, so acceptances are kept forever — and
 * "a process never learns that a value has been chosen unless it actually has been": every
 * learner learns the chosen value at each slot, so learned prefixes agree.
 */
export class SafetyChecker {
  readonly violations: string[] = [];
  /** acceptances: slot → ballot → value key and the acceptors that accepted it. */
  private readonly acceptances = new Map<number, Map<string, { value: string; nodes: Set<NodeId> }>>();
  /** chosen: slot → the value chosen there (first one; a second is a violation). */
  readonly chosen = new Map<number, string>();
  /** learned: slot → the first value learned there, and by whom. */
  readonly learned = new Map<number, { value: string; node: NodeId }>();
  readonly leaders: Array<{ node: NodeId; ballot: string }> = [];

  constructor(private readonly quorum: number) {}

  onAccept(node: NodeId, slot: number, ballot: Ballot, value: Value): void {
    const key = valueKey(value);
    const byBallot = this.acceptances.get(slot) ?? new Map<string, { value: string; nodes: Set<NodeId> }>();
    this.acceptances.set(slot, byBallot);
    const b = ballotText(ballot);
    const entry = byBallot.get(b) ?? { value: key, nodes: new Set<NodeId>() };
    byBallot.set(b, entry);
    if (entry.value !== key) this.violations.push(`one value per ballot: slot ${slot} ballot ${b} proposed as ${entry.value} and ${key}`);
    entry.nodes.add(node);
    if (entry.nodes.size < this.quorum) return;
    const prior = this.chosen.get(slot);
    if (prior === undefined) this.chosen.set(slot, key);
    else if (prior !== key) this.violations.push(`only a single value is chosen: slot ${slot} chose ${prior}, then ${key} at ballot ${b}`);
  }

  onLearn(node: NodeId, slot: number, value: Value): void {
    const key = valueKey(value);
    const chosen = this.chosen.get(slot);
    if (chosen === undefined) this.violations.push(`learned only if chosen: ${node} learned ${key} at slot ${slot}, nothing chosen there`);
    const prior = this.learned.get(slot);
    if (prior === undefined) this.learned.set(slot, { value: key, node });
    else if (prior.value !== key) this.violations.push(`learned prefixes agree: slot ${slot} learned as ${prior.value} on ${prior.node}, as ${key} on ${node}`);
  }

  onLeader(node: NodeId, ballot: Ballot): void {
    this.leaders.push({ node, ballot: ballotText(ballot) });
  }
}

/** paxosCore narrows a simulated node's core to PaxosCore. */
export function paxosCore(core: unknown): PaxosCore {
  if (!(core instanceof PaxosCore)) throw new Error('not a PaxosCore');
  return core;
}

/** makeCluster builds n1..nN running Paxos, every core observed by one SafetyChecker. */
export function makeCluster(opts: ClusterOptions = {}): { net: PaxosNet; ids: NodeId[]; checker: SafetyChecker } {
  const checker = new SafetyChecker(Math.floor((opts.nodes ?? 3) / 2) + 1);
  const factory: CoreFactory<PaxosMessage> = (config, restored) => {
    const core = paxosCore(createPaxosCore(config, restored));
    core.observe({
      onAccept: (slot, ballot, value) => checker.onAccept(config.id, slot, ballot, value),
      onLearn: (slot, value) => checker.onLearn(config.id, slot, value),
      onLeader: (ballot) => checker.onLeader(config.id, ballot),
    });
    return core;
  };
  return { ...simCluster(opts, factory), checker };
}

export function core(net: PaxosNet, id: NodeId): PaxosCore {
  return paxosCore(net.node(id).core);
}

/** leaders lists the up nodes that believe they lead. */
export function leaders(net: PaxosNet): NodeId[] {
  return [...net.nodes.values()].filter((n) => n.up && paxosCore(n.core).role === 'leader').map((n) => n.id);
}

/** elect ticks only `id` until it runs phase 1, then delivers everything queued. */
export function elect(net: PaxosNet, id: NodeId): void {
  const c = core(net, id);
  for (let i = 0; i < 1000 && c.role === 'follower'; i += 1) net.tick(id);
  if (c.role === 'follower') throw new Error(`elect: ${id} never timed out`);
  net.deliverAll();
}

export { replyTo, runUntil, send } from '../support/network.ts';
