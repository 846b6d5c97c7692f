// nemesis/nemesis.ts — Nemesis: performs NemesisOps on a Cluster through each kind's session, and heals them all.
import { canChangeMembership, type Cluster } from '../cluster/types.ts';
import type { Rng } from '../lib/rng.ts';
import type { FaultContext, FaultModule, FaultSession, Selected } from './faults/fault.ts';
import { FAULTS, faultOfF } from './faults/registry.ts';
import { PRIMARY } from './faults/shapes.ts';
import { parseNemesisOp, type NemesisOutcome } from './ops.ts';
import { findPrimary } from './primary.ts';
import { changeMembershipOverHttp } from './membership-http.ts';
import { pickTargets } from './targets.ts';
import type { NemesisOp, NodeTarget } from './types.ts';

/** NemesisOptions: the seeded source of remaining random choices, and which nodes faults hit. */
export interface NemesisOptions {
  rng: Rng;
  /** Nodes partition topologies split. Default: cluster.allNodes (the view server included). */
  partitionNodes?: string[];
  /** Nodes kill, pause and clock targets pick from. Default: cluster.nodes (replicas). */
  targetNodes?: string[];
  /** Finds the primary; default asks /status (tests may replace it). */
  findPrimary?: (cluster: Cluster) => Promise<string | null>;
  /** sleepMs waits inside a fault (strobe flips); default real time (a simulator passes its virtual time). */
  sleepMs?: (ms: number) => Promise<unknown>;
}

/** FaultsInForce: what the nemesis has done and not yet undone: each kind's fields (grudge, killed, ...). */
export type FaultsInForce = Record<string, unknown>;

/** Nemesis: perform() one op at a time (ops are not concurrent); healAll() undoes everything. */
export class Nemesis {
  private readonly sessions = new Map<FaultModule, FaultSession>();
  private readonly down = new Set<string>();
  private readonly context: FaultContext;

  constructor(private readonly cluster: Cluster, options: NemesisOptions) {
    const primaryOf = options.findPrimary ?? findPrimary;
    const requirePrimary = async (): Promise<string> => {
      const primary = await primaryOf(cluster);
      if (primary === null) throw new Error('no primary known: no node answered /status naming a primary or leader');
      return primary;
    };
    const targetNodes = options.targetNodes ?? [...cluster.nodes];
    const checkNode = (node: string): void => {
      if (!cluster.allNodes.includes(node)) throw new Error(`unknown node ${JSON.stringify(node)}; expected one of ${cluster.allNodes.join(', ')}`);
    };
    this.context = {
      cluster,
      rng: options.rng,
      partitionNodes: options.partitionNodes ?? [...cluster.allNodes],
      targetNodes,
      requirePrimary,
      checkNode,
      // select resolves explicit nodes (with `primary` substituted) or draws a target.
      select: async (v: { nodes?: string[]; target?: NodeTarget }): Promise<Selected> => {
        let primary: string | null | undefined;
        if (v.target === 'primary' || (v.nodes ?? []).includes(PRIMARY)) primary = await requirePrimary();
        if (v.nodes !== undefined) {
          const nodes = [...new Set(v.nodes.map((n) => (n === PRIMARY ? primary! : n)))];
          nodes.forEach(checkNode);
          return { nodes, primary };
        }
        return { nodes: pickTargets(v.target!, targetNodes, options.rng, primary ?? undefined), primary };
      },
      sleepMs: options.sleepMs ?? realSleep,
      changeMembership: (change) => (canChangeMembership(cluster)
        ? cluster.changeMembership(change)
        : changeMembershipOverHttp(cluster, change, requirePrimary, options.sleepMs ?? realSleep)),
      isDown: (node) => this.down.has(node),
      markDown: (node) => {
        this.down.add(node);
        for (const s of this.sessions.values()) s.onDown?.(node);
      },
      markUp: (node) => {
        this.down.delete(node);
      },
    };
    for (const m of FAULTS as readonly FaultModule[]) this.sessions.set(m, m.session(this.context));
  }

  /** faults lists the faults in force (a copy): every kind's fields merged. */
  faults(): FaultsInForce {
    return Object.assign({}, ...[...this.sessions.values()].map((s) => s.inForce())) as FaultsInForce;
  }

  /** describeFaults renders the faults in force as short phrases for a progress line. */
  describeFaults(): string[] {
    return [...this.sessions.values()].flatMap((s) => s.describe());
  }

  /** perform validates and carries out one op, returning what it did; throws if the cluster refuses. */
  async perform(op: NemesisOp): Promise<NemesisOutcome> {
    const cmd = parseNemesisOp(op);
    const kind = faultOfF(cmd.f)!;
    return this.sessions.get(kind)!.perform(cmd.f, cmd.value);
  }

  /** healOps lists the ops that undo every fault in force, kind by kind in heal order (the network first). */
  healOps(): NemesisOp[] {
    return [...this.sessions.entries()]
      .sort(([a], [b]) => a.healRank - b.healRank)
      .flatMap(([, s]) => s.healOps());
  }

  /** healAll performs healOps (each kind's undo in heal order); returns the ops it performed. */
  async healAll(): Promise<Array<{ op: NemesisOp; outcome: NemesisOutcome }>> {
    const done: Array<{ op: NemesisOp; outcome: NemesisOutcome }> = [];
    for (const op of this.healOps()) done.push({ op, outcome: await this.perform(op) });
    return done;
  }
}

function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
