// test/support/raft-scenario.ts — the commands of raft scenario scripts (test/scenarios/raft-*.txt).
//
// Nodes n1..nN run RaftCore on the in-memory network (FIFO delivery, time only moves on tick).
// Notation in outputs: `5@2` is the log entry at index 5 of term 2; `x=1` a write of 1 to x;
// `[snapshot 4@1]` a log compacted up to 4@1.
import { createRaftCore, RaftCore } from '../../rsm/raft/core.ts';
import type { Entry, RaftMessage } from '../../rsm/raft/types.ts';
import type { NodeId } from '../../rsm/core/types.ts';
import { intArg, type Handler, type ScenarioCommand } from './datadriven.ts';
import { SimNetwork, type Envelope } from './network.ts';

const TICK_MS = 10;
/** STABILIZE_DELIVERIES_MAX bounds one stabilize: a script that never goes quiet is a bug. */
const STABILIZE_DELIVERIES_MAX = 10_000;

/** RaftScenario: the network, plus what was already reported, so outputs show only changes. */
export class RaftScenario {
  net: SimNetwork<RaftMessage> | null = null;
  ids: NodeId[] = [];
  /** seen: each node's last reported "role term", to print only changes. */
  private readonly seen = new Map<NodeId, string>();
  private repliesSeen = 0;
  private reqIdNext = 1;

  network(cmd: ScenarioCommand): SimNetwork<RaftMessage> {
    if (this.net === null) throw new Error(`${cmd.where}: no nodes yet (add-nodes first)`);
    return this.net;
  }

  core(id: NodeId, cmd: ScenarioCommand): RaftCore {
    this.network(cmd);
    if (!this.ids.includes(id)) throw new Error(`${cmd.where}: no node ${JSON.stringify(id)}; nodes are ${this.ids.join(', ')}`);
    const core = this.network(cmd).node(id).core;
    if (!(core instanceof RaftCore)) throw new Error(`${id} is not a RaftCore`);
    return core;
  }

  nextReqId(): number {
    return this.reqIdNext++;
  }

  /** changes reports role/term changes and client replies since the last call. */
  changes(cmd: ScenarioCommand): string[] {
    const net = this.network(cmd);
    const out: string[] = [];
    for (const id of this.ids) {
      const c = this.core(id, cmd);
      const now = `${c.role} at term ${c.term}`;
      if (this.seen.get(id) !== now) out.push(`${id} became ${now}`);
      this.seen.set(id, now);
    }
    for (; this.repliesSeen < net.replies.length; this.repliesSeen += 1) {
      const r = net.replies[this.repliesSeen];
      const detail = r.outcome === 'ok' ? '' : r.outcome === 'reject' ? `: ${r.error}${r.redirect ? ` (leader ${r.redirect})` : ''}` : `: ${r.error}`;
      out.push(`${r.node} replies to req ${r.reqId}: ${r.outcome}${detail}`);
    }
    return out;
  }

  /** deliverNext delivers the first queued message matching the filter; null when none does. */
  deliverNext(cmd: ScenarioCommand, from?: string, to?: string): string[] | null {
    const net = this.network(cmd);
    const at = net.queue.findIndex((e) => (from === undefined || e.from === from) && (to === undefined || e.to === to));
    if (at < 0) return null;
    const [envelope] = net.queue.splice(at, 1);
    net.queue.unshift(envelope);
    const before = net.deliveredCount;
    net.deliverOne();
    const line = formatEnvelope(envelope);
    return [net.deliveredCount > before ? line : `${line} (dropped)`, ...this.changes(cmd)];
  }
}

/** formatEnvelope prints one message on one line, as scripts expect it. */
export function formatEnvelope({ from, to, msg }: Envelope<RaftMessage>): string {
  const head = `${from}->${to}`;
  switch (msg.type) {
    case 'RequestVote':
      return `${head} RequestVote term=${msg.term} last=${msg.lastIndex}@${msg.lastTerm}`;
    case 'RequestVoteReply':
      return `${head} RequestVoteReply term=${msg.term} ${msg.granted ? 'granted' : 'rejected'}`;
    case 'AppendEntries': {
      const entries = msg.entries.map((e, k) => formatEntry(msg.prevIndex + 1 + k, e)).join(', ');
      return `${head} AppendEntries term=${msg.term} prev=${msg.prevIndex}@${msg.prevTerm} commit=${msg.commit} entries=[${entries}]`;
    }
    case 'AppendEntriesReply': {
      if (from === to) return `${head} self-ack durable=${msg.matchIndex}`;
      if (msg.success) return `${head} AppendEntriesReply term=${msg.term} ok match=${msg.matchIndex}`;
      const hint = msg.conflictTerm === null ? `${msg.conflictIndex}` : `${msg.conflictIndex}@${msg.conflictTerm}`;
      return `${head} AppendEntriesReply term=${msg.term} reject prev=${msg.prevIndex} hint=${hint}`;
    }
    case 'InstallSnapshot':
      return `${head} InstallSnapshot term=${msg.term} snapshot=${msg.index}@${msg.snapTerm}`;
    case 'InstallSnapshotReply':
      return `${head} InstallSnapshotReply term=${msg.term} match=${msg.matchIndex}`;
  }
}

/** formatEntry: `index@term` and the command (`noop` for a leader's no-op). */
export function formatEntry(index: number, e: Entry): string {
  if (e.cmd === null) return `${index}@${e.term} noop`;
  const c = e.cmd.cmd;
  const what = c.kind === 'write' ? `${c.key}=${JSON.stringify(c.value)}` : c.kind === 'read' ? `read ${c.key}` : c.kind;
  return `${index}@${e.term} ${what}`;
}

function nodesOf(env: RaftScenario, cmd: ScenarioCommand): NodeId[] {
  for (const id of cmd.words) env.core(id, cmd);
  return cmd.words.length > 0 ? cmd.words : env.ids;
}

function oneNode(env: RaftScenario, cmd: ScenarioCommand): NodeId {
  if (cmd.words.length !== 1) throw new Error(`${cmd.where}: ${cmd.name} takes one node, got ${cmd.words.length}`);
  env.core(cmd.words[0], cmd);
  return cmd.words[0];
}

/**
 * RAFT_HANDLERS: one handler per command.
 * - add-nodes N [seed=S] [option=value…]: n1..nN with raft options (electionTicks, …);
 * - campaign NODE: tick only NODE until its election timer fires (messages stay queued);
 * - tick [NODE…] [count=C]: tick nodes C times (default once each), delivering nothing;
 * - deliver [from=A] [to=B] [count=C]: deliver the first C queued messages matching, printing each;
 * - stabilize: deliver until no message is queued;
 * - isolate NODE, cut A B, heal: network faults (messages on a cut link are dropped);
 * - crash NODE, restart NODE: a restart keeps only what the node persisted;
 * - propose NODE KEY=VALUE: a client write handed to NODE;
 * - status [NODE…], log [NODE…]: one line per node.
 */
export const RAFT_HANDLERS: Record<string, Handler<RaftScenario>> = {
  'add-nodes': (env, cmd) => {
    if (env.net !== null) throw new Error(`${cmd.where}: nodes were added already`);
    const count = Number(cmd.words[0]);
    if (!Number.isSafeInteger(count) || count < 1 || cmd.words.length !== 1) throw new Error(`${cmd.where}: add-nodes takes a node count`);
    const options: Record<string, string> = { electionTicks: '10..20', heartbeatTicks: '3' };
    for (const [k, v] of cmd.args) if (k !== 'seed') options[k] = v;
    env.net = new SimNetwork<RaftMessage>({ seed: intArg(cmd, 'seed', 1) });
    env.ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
    for (const id of env.ids) env.net.addNode(id, createRaftCore, { peers: env.ids, options, bugs: new Set() });
    return env.changes(cmd);
  },
  campaign: (env, cmd) => {
    const id = oneNode(env, cmd);
    const net = env.network(cmd);
    const core = env.core(id, cmd);
    const term = core.term;
    let ticks = 0;
    for (; ticks < 1000 && core.term === term; ticks += 1) {
      net.clock.advance(TICK_MS);
      net.tick(id);
    }
    if (core.term === term) throw new Error(`${cmd.where}: ${id} never timed out`);
    return [`${id} timed out after ${ticks} ticks`, ...env.changes(cmd)];
  },
  tick: (env, cmd) => {
    const net = env.network(cmd);
    const ids = nodesOf(env, cmd);
    const out: string[] = [];
    for (let t = intArg(cmd, 'count', 1); t > 0; t -= 1) {
      net.clock.advance(TICK_MS);
      for (const id of ids) net.tick(id);
      out.push(...env.changes(cmd));
    }
    return out;
  },
  deliver: (env, cmd) => {
    const out: string[] = [];
    for (let n = intArg(cmd, 'count', 1); n > 0; n -= 1) {
      const lines = env.deliverNext(cmd, cmd.args.get('from'), cmd.args.get('to'));
      if (lines === null) break;
      out.push(...lines);
    }
    return out.length === 0 ? ['no message to deliver'] : out;
  },
  stabilize: (env, cmd) => {
    const out: string[] = [];
    for (let n = 0; n < STABILIZE_DELIVERIES_MAX; n += 1) {
      const lines = env.deliverNext(cmd);
      if (lines === null) return out;
      out.push(...lines);
    }
    throw new Error(`${cmd.where}: still not quiet after ${STABILIZE_DELIVERIES_MAX} deliveries`);
  },
  isolate: (env, cmd) => {
    env.network(cmd).isolate(oneNode(env, cmd));
    return [];
  },
  cut: (env, cmd) => {
    if (cmd.words.length !== 2) throw new Error(`${cmd.where}: cut takes two nodes`);
    for (const id of cmd.words) env.core(id, cmd);
    env.network(cmd).cut(cmd.words[0], cmd.words[1]);
    return [];
  },
  heal: (env, cmd) => {
    env.network(cmd).heal();
    return [];
  },
  crash: (env, cmd) => {
    env.network(cmd).crash(oneNode(env, cmd));
    return [];
  },
  restart: (env, cmd) => {
    env.network(cmd).restart(oneNode(env, cmd));
    return env.changes(cmd);
  },
  propose: (env, cmd) => {
    const id = oneNode(env, cmd);
    const writes = [...cmd.args];
    if (writes.length !== 1) throw new Error(`${cmd.where}: propose takes one KEY=VALUE`);
    const [key, raw] = writes[0];
    const value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    const reqId = env.nextReqId();
    env.network(cmd).request(id, { reqId, command: { clientId: 'c', seq: reqId, cmd: { kind: 'write', key, value } } });
    return env.changes(cmd);
  },
  status: (env, cmd) => nodesOf(env, cmd).map((id) => {
    const c = env.core(id, cmd);
    const up = env.network(cmd).node(id).up ? '' : ' (down)';
    return `${id} ${c.role} term=${c.term} vote=${c.votedFor ?? '-'} lead=${c.leaderId ?? '-'} commit=${c.commitIndex} applied=${c.lastApplied} last=${c.log.lastIndex()}${up}`;
  }),
  log: (env, cmd) => nodesOf(env, cmd).map((id) => {
    const log = env.core(id, cmd).log;
    const parts = log.snapshotIndex > 0 ? [`[snapshot ${log.snapshotIndex}@${log.snapshotTerm}]`] : [];
    for (let i = log.firstIndex(); i <= log.lastIndex(); i += 1) parts.push(formatEntry(i, log.entry(i)));
    return `${id}: ${parts.length === 0 ? '(empty)' : parts.join(', ')}`;
  }),
};
