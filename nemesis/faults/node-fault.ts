// nemesis/faults/node-fault.ts — nodeFault: builds the module of a fault done to chosen nodes and undone per node (kill, pause).
import type { Cluster } from '../../cluster/types.ts';
import type { NemesisOutcome } from '../ops.ts';
import { pickTargets } from '../targets.ts';
import type { FaultContext, FaultModule, FaultSession } from './fault.ts';
import { pick } from './pick.ts';
import {
  fileNodes, fileSelector, nodesOf, nodesValue, optionalNodesOp, pickSelector, record, selectedValue, selectorYaml, strings, TARGETS, withPrimary,
} from './shapes.ts';

/** NodeFaultSpec: what differs between node faults: names, the cluster calls, and how they meet kills. */
export interface NodeFaultSpec<K extends string> {
  kind: K;
  summary: string;
  /** The op that does it (also its do: name) and the op that undoes it. */
  openF: string;
  closeF: string;
  /** Past-tense words for the report: "killed", "restarted". */
  openWord: string;
  closeWord: string;
  /** The field of Nemesis.faults() listing the nodes under it ("killed"). */
  field: string;
  label: string;
  color: string;
  healRank: number;
  act(cluster: Cluster, node: string): Promise<void>;
  undo(cluster: Cluster, node: string): Promise<void>;
  /** The fault stops the node's process (kill): others hear it through onDown. */
  stopsProcess: boolean;
}

/** NodeFaultSession: the nodes under the fault and not yet restored. */
class NodeFaultSession<K extends string> implements FaultSession {
  private readonly faulted = new Set<string>();

  constructor(private readonly spec: NodeFaultSpec<K>, private readonly ctx: FaultContext) {}

  async perform(f: string, value: unknown): Promise<NemesisOutcome> {
    const { spec, ctx } = this;
    if (f === spec.openF) {
      const sel = await ctx.select(value as { nodes?: string[] });
      // A killed node cannot be paused: skip it rather than record a fault that did not happen.
      const nodes = spec.stopsProcess ? sel.nodes : sel.nodes.filter((n) => !ctx.isDown(n));
      for (const n of nodes) {
        await spec.act(ctx.cluster, n);
        this.faulted.add(n);
        if (spec.stopsProcess) ctx.markDown(n);
      }
      return withPrimary({ nodes }, sel.primary);
    }
    const nodes = (value as { nodes?: string[] } | undefined)?.nodes ?? [...this.faulted];
    nodes.forEach((n) => ctx.checkNode(n));
    // All at once, as Jepsen's on-nodes does: one start of several nodes takes one node's start
    // time, not their sum (a node's start is seconds under load), so a schedule's times hold.
    const undone = await Promise.allSettled(nodes.map((n) => spec.undo(ctx.cluster, n)));
    const done = nodes.filter((_, i) => undone[i].status === 'fulfilled');
    for (const n of done) {
      this.faulted.delete(n);
      if (spec.stopsProcess) ctx.markUp(n);
    }
    const failed = undone.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return { nodes: done };
  }

  /** A killed process is no longer paused (or whatever this fault did to it): its restart runs it afresh. */
  onDown(node: string): void {
    if (!this.spec.stopsProcess) this.faulted.delete(node);
  }

  healOps(): Array<{ f: string }> {
    return this.faulted.size > 0 ? [{ f: this.spec.closeF }] : [];
  }

  inForce(): Record<string, unknown> {
    return { [this.spec.field]: [...this.faulted].sort() };
  }

  describe(): string[] {
    return this.faulted.size > 0 ? [`${this.spec.openWord} ${[...this.faulted].sort().join(',')}`] : [];
  }
}

/** nodeFault: the FaultModule of a node fault (targets one, minority, majority, primary, all). */
export function nodeFault<K extends string>(spec: NodeFaultSpec<K>): FaultModule<K> {
  const { openF, closeF } = spec;
  return {
    kind: spec.kind,
    summary: spec.summary,
    ops: {
      [openF]: { schema: selectedValue, role: 'open' },
      [closeF]: { schema: nodesValue, role: 'close' },
    },
    draw(o, rng) {
      const target = pick(o.targets ?? TARGETS, rng);
      if (target === 'primary') return [{ f: openF, value: { target } }, { f: closeF }];
      const nodes = pickTargets(target, o.nodes, rng);
      return [{ f: openF, value: { nodes } }, { f: closeF, value: { nodes } }];
    },
    yaml: {
      [openF]: { fields: fileSelector, toOp: (e, fail) => ({ f: openF, value: pickSelector(openF, e, fail) }) },
      [closeF]: { fields: { nodes: fileNodes.optional() }, toOp: (e) => optionalNodesOp(closeF, e) },
    },
    yamlOf(op) {
      if (op.f === openF) return { do: openF, ...selectorYaml(op.value) };
      const nodes = record(op.value).nodes;
      return nodes === undefined ? { do: closeF } : { do: closeF, nodes };
    },
    session: (ctx) => new NodeFaultSession(spec, ctx),
    healRank: spec.healRank,
    report: {
      label: spec.label,
      color: spec.color,
      words(f, invoke, outcome) {
        if (f === closeF) return `${spec.closeWord} ${nodesOf(invoke, outcome)}`;
        const done = record(outcome);
        const primary = typeof done.primary === 'string' && strings(done.nodes).includes(done.primary) ? ` (primary ${done.primary})` : '';
        return `${spec.openWord} ${nodesOf(invoke, outcome)}${primary}`;
      },
    },
  };
}
