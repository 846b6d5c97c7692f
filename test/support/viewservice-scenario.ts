// test/support/viewservice-scenario.ts — the commands of view service scenario scripts (test/scenarios/viewservice-*.txt).
//
// The view server `vs` and replica servers run on the in-memory network (VsCluster, small
// timing tunables); a tick advances time, then delivers every queued message one at a time.
import type { NodeId, NodeStatus } from '../../rsm/core/types.ts';
import { VsCluster } from './viewservice-cluster.ts';
import { intArg, type Handler, type ScenarioCommand } from './datadriven.ts';

/** RUN_UNTIL_TICKS_MAX: run-until gives up after this many ticks unless max= says otherwise. */
const RUN_UNTIL_TICKS_MAX = 500;

/** ViewServiceScenario: the cluster, plus what was already reported, so outputs show only changes. */
export class ViewServiceScenario {
  cluster: VsCluster | null = null;
  servers: NodeId[] = [];
  ticks = 0;
  private readonly seen = new Map<NodeId, string>();
  private repliesSeen = 0;

  of(cmd: ScenarioCommand): VsCluster {
    if (this.cluster === null) throw new Error(`${cmd.where}: no servers yet (add-servers first)`);
    return this.cluster;
  }

  server(id: NodeId, cmd: ScenarioCommand): NodeId {
    if (id !== 'vs' && !this.servers.includes(id)) throw new Error(`${cmd.where}: no server ${JSON.stringify(id)}; servers are vs, ${this.servers.join(', ')}`);
    return id;
  }

  /** tick runs one tick and reports, stamped with the tick number, what changed. */
  tick(cmd: ScenarioCommand): string[] {
    this.of(cmd).tick();
    this.ticks += 1;
    return this.changes(cmd).map((line) => `tick ${this.ticks}: ${line}`);
  }

  /** changes: the view server's view, each server's role and view, and new client replies. */
  changes(cmd: ScenarioCommand): string[] {
    const c = this.of(cmd);
    const out: string[] = [];
    for (const id of ['vs', ...this.servers]) {
      const now = describe(c.status(id));
      if (this.seen.get(id) !== now) out.push(`${id} ${now}`);
      this.seen.set(id, now);
    }
    for (; this.repliesSeen < c.net.replies.length; this.repliesSeen += 1) {
      const r = c.net.replies[this.repliesSeen];
      const op = c.op(r.reqId);
      const what = op.command.cmd.kind === 'read' ? 'read' : op.command.cmd.kind === 'txn' ? 'append' : op.command.cmd.kind;
      const detail = r.outcome === 'ok'
        ? (r.result.type === 'ok' && r.result.value !== undefined ? ` ${JSON.stringify(r.result.value)}` : '')
        : r.outcome === 'reject' ? `: ${r.error}${r.redirect ? ` (primary ${r.redirect})` : ''}` : `: ${r.error}`;
      out.push(`${r.node} answers ${what} req ${r.reqId}: ${r.outcome}${detail}`);
    }
    return out;
  }
}

function describe(s: NodeStatus): string {
  if (s.role === 'viewserver') return `view ${s.view} primary=${s.primary ?? '-'} backup=${s.backup ?? '-'}`;
  return `${s.role} in view ${s.view}`;
}

/** matches: every key=value of the command holds in the server's status (max= aside). */
function matches(status: NodeStatus, cmd: ScenarioCommand): boolean {
  for (const [key, want] of cmd.args) {
    if (key === 'max') continue;
    if (String(status[key] ?? null) !== want) return false;
  }
  return true;
}

function submit(env: ViewServiceScenario, cmd: ScenarioCommand, kind: 'append' | 'read' | 'write'): string[] {
  const c = env.of(cmd);
  const [id, key, value] = cmd.words;
  env.server(id, cmd);
  if (key === undefined || (kind !== 'read') !== (value !== undefined) || cmd.words.length > 3) {
    throw new Error(`${cmd.where}: expected ${kind} SERVER KEY${kind === 'read' ? '' : ' VALUE'}`);
  }
  const reqId = kind === 'append' ? c.append(id, key, value) : kind === 'write' ? c.write(id, key, value) : c.read(id, key);
  return [`req ${reqId} sent to ${id}`, ...env.changes(cmd)];
}

/**
 * VIEWSERVICE_HANDLERS: one handler per command.
 * - add-servers S… [seed=N]: the view server vs and replica servers S…;
 * - tick [count=C]: C ticks, printing changes of views, roles and replies as they happen;
 * - run-until SERVER KEY=VALUE… [max=N]: tick until SERVER's status has every KEY=VALUE;
 * - cut A B, heal: a network partition between two nodes, and its end;
 * - append S KEY VALUE, write S KEY VALUE, read S KEY: a client op sent to server S;
 * - status: one line per server.
 */
export const VIEWSERVICE_HANDLERS: Record<string, Handler<ViewServiceScenario>> = {
  'add-servers': (env, cmd) => {
    if (env.cluster !== null) throw new Error(`${cmd.where}: servers were added already`);
    if (cmd.words.length === 0) throw new Error(`${cmd.where}: add-servers takes server names`);
    env.servers = cmd.words;
    env.cluster = new VsCluster({ seed: intArg(cmd, 'seed', 1), replicas: cmd.words });
    return env.changes(cmd);
  },
  tick: (env, cmd) => {
    const out: string[] = [];
    for (let t = intArg(cmd, 'count', 1); t > 0; t -= 1) out.push(...env.tick(cmd));
    return out;
  },
  'run-until': (env, cmd) => {
    const c = env.of(cmd);
    const id = env.server(cmd.words[0], cmd);
    const max = intArg(cmd, 'max', RUN_UNTIL_TICKS_MAX);
    const out: string[] = [];
    for (let t = 0; !matches(c.status(id), cmd); t += 1) {
      if (t >= max) throw new Error(`${cmd.where}: not reached within ${max} ticks`);
      out.push(...env.tick(cmd));
    }
    return out;
  },
  cut: (env, cmd) => {
    if (cmd.words.length !== 2) throw new Error(`${cmd.where}: cut takes two nodes`);
    env.of(cmd).net.cut(env.server(cmd.words[0], cmd), env.server(cmd.words[1], cmd));
    return [];
  },
  heal: (env, cmd) => {
    env.of(cmd).net.heal();
    return [];
  },
  append: (env, cmd) => submit(env, cmd, 'append'),
  write: (env, cmd) => submit(env, cmd, 'write'),
  read: (env, cmd) => submit(env, cmd, 'read'),
  status: (env, cmd) => {
    const c = env.of(cmd);
    return ['vs', ...env.servers].map((id) => {
      const s = c.status(id);
      if (id === 'vs') return `vs ${describe(s)} acked=${String(s.acked)}`;
      return `${id} ${describe(s)} primary=${s.primary ?? '-'} backup=${s.backup ?? '-'} synced=${String(s.synced)} applied=${s.appliedIndex}`;
    });
  },
};
