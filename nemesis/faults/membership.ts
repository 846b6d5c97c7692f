// nemesis/faults/membership.ts — the membership fault: remove servers from a raft group, add them back (Raft thesis §4.1).
import type { NemesisOutcome } from '../ops.ts';
import { pickTargets } from '../targets.ts';
import type { FaultContext, FaultModule, FaultSession } from './fault.ts';
import {
  fileNodes, fileSelector, nodesOf, nodesValue, optionalNodesOp, pickSelector, record, selectedValue, selectorYaml, strings,
} from './shapes.ts';

/**
 * MembershipSession: the servers this nemesis removed and has not added back. Changes go one
 * server at a time (each waits for the leader's answer), as single-server changes require.
 */
class MembershipSession implements FaultSession {
  private readonly removed = new Set<string>();

  constructor(private readonly ctx: FaultContext) {}

  async perform(f: string, value: unknown): Promise<NemesisOutcome> {
    if (f === 'remove-member') {
      const sel = await this.ctx.select(value as { nodes?: string[] });
      let voters: string[] = [];
      const nodes: string[] = [];
      for (const node of sel.nodes) {
        this.keepsLiveMajority(node);
        voters = (await this.ctx.changeMembership({ op: 'remove', node })).voters;
        this.removed.add(node);
        nodes.push(node);
      }
      return sel.primary === undefined ? { nodes, voters } : { nodes, voters, primary: sel.primary };
    }
    const nodes = (value as { nodes?: string[] } | undefined)?.nodes ?? [...this.removed].sort();
    let voters: string[] = [];
    for (const node of nodes) {
      this.ctx.checkNode(node);
      voters = (await this.ctx.changeMembership({ op: 'add', node })).voters;
      this.removed.delete(node);
    }
    return { nodes, voters };
  }

  /**
   * keepsLiveMajority: the nemesis's side of the leader's rule (Raft thesis §4.2.4). Removing a
   * server while others are killed may leave a configuration whose majority is down: the leader
   * refuses it, and waiting would only hold up the later ops (a restart) that could unblock it,
   * since nemesis ops are serial. So such a removal fails at once, naming the killed servers.
   */
  private keepsLiveMajority(node: string): void {
    const next = this.ctx.cluster.nodes.filter((n) => n !== node && !this.removed.has(n));
    const down = next.filter((n) => this.ctx.isDown(n));
    if (next.length - down.length >= Math.floor(next.length / 2) + 1) return;
    throw new Error(`remove-member ${node} refused: voters ${next.join(',')} would have ${down.join(',')} killed, no live majority (Raft thesis §4.2.4)`);
  }

  healOps(): Array<{ f: string }> {
    return this.removed.size > 0 ? [{ f: 'add-member' }] : [];
  }

  inForce(): Record<string, unknown> {
    return { removed: [...this.removed].sort() };
  }

  describe(): string[] {
    return this.removed.size > 0 ? [`removed ${[...this.removed].sort().join(',')} from the group`] : [];
  }
}

/** membershipFault: Raft single-server membership changes as a nemesis (remove one server, add it back). */
export const membershipFault: FaultModule<'membership'> = {
  kind: 'membership',
  // Where the leader's admin endpoint is wired up: local and docker (the simulator has none).
  changesServers: { needs: 'reconfigure', clusters: ['local', 'docker'] },
  summary: 'remove servers from the raft group one at a time (Raft thesis §4.1), add them back later (they catch up as learners first)',
  ops: {
    'remove-member': { schema: selectedValue, role: 'open' },
    'add-member': { schema: nodesValue, role: 'close' },
  },
  draw(o, rng) {
    const nodes = pickTargets('one', o.nodes, rng);
    return [{ f: 'remove-member', value: { nodes } }, { f: 'add-member', value: { nodes } }];
  },
  yaml: {
    'remove-member': { fields: fileSelector, toOp: (e, fail) => ({ f: 'remove-member', value: pickSelector('remove-member', e, fail) }) },
    'add-member': { fields: { nodes: fileNodes.optional() }, toOp: (e) => optionalNodesOp('add-member', e) },
  },
  yamlOf(op) {
    if (op.f === 'remove-member') return { do: 'remove-member', ...selectorYaml(op.value) };
    const nodes = record(op.value).nodes;
    return nodes === undefined ? { do: 'add-member' } : { do: 'add-member', nodes };
  },
  session: (ctx) => new MembershipSession(ctx),
  // Added back once processes run again (kill heals at 2): a new server must catch up.
  healRank: 2.5,
  report: {
    label: 'membership change',
    color: '#2f8f83',
    words(f, invoke, outcome) {
      const voters = strings(record(outcome).voters);
      const after = voters.length > 0 ? ` (voters ${voters.join(' ')})` : '';
      return `${f === 'remove-member' ? 'removed' : 'added back'} ${nodesOf(invoke, outcome)}${after}`;
    },
  },
};
