// nemesis/nemesis.ts — Nemesis: performs NemesisOps on a Cluster and tracks the faults in force.
import { completeGrudge, validateGrudge } from '../cluster/grudge.ts';
import type { Cluster, Grudge } from '../cluster/types.ts';
import type { Rng } from '../lib/rng.ts';
import { PRIMARY, parseNemesisOp, type NemesisCommand, type NemesisOutcome } from './ops.ts';
import { findPrimary } from './primary.ts';
import { pickTargets } from './targets.ts';
import { topologyGrudge } from './topology.ts';
import type { NemesisOp, NodeTarget, PartitionTopology } from './types.ts';

/** NemesisOptions: the seeded source of remaining random choices, and which nodes faults hit. */
export interface NemesisOptions {
  rng: Rng;
  /** Nodes partition topologies split. Default: cluster.allNodes (the view server included). */
  partitionNodes?: string[];
  /** Nodes kill, pause and clock targets pick from. Default: cluster.nodes (replicas). */
  targetNodes?: string[];
  /** Finds the primary; default asks /status (tests may replace it). */
  findPrimary?: (cluster: Cluster) => Promise<string | null>;
}

/** FaultsInForce: what the nemesis has done and not yet undone. */
export interface FaultsInForce {
  grudge: Grudge | null;
  topology: PartitionTopology | null;
  killed: string[];
  paused: string[];
  clockOffsetsMs: Record<string, number>;
}

/** Nemesis: perform() one op at a time (ops are not concurrent); healAll() undoes everything. */
export class Nemesis {
  private grudge: Grudge | null = null;
  private topology: PartitionTopology | null = null;
  private readonly killed = new Set<string>();
  private readonly paused = new Set<string>();
  private readonly offsetsMs = new Map<string, number>();
  private readonly partitionNodes: string[];
  private readonly targetNodes: string[];
  private readonly primaryOf: (cluster: Cluster) => Promise<string | null>;

  constructor(private readonly cluster: Cluster, private readonly options: NemesisOptions) {
    this.partitionNodes = options.partitionNodes ?? [...cluster.allNodes];
    this.targetNodes = options.targetNodes ?? [...cluster.nodes];
    this.primaryOf = options.findPrimary ?? findPrimary;
  }

  /** faults lists the faults in force (a copy). */
  faults(): FaultsInForce {
    const clockOffsetsMs: Record<string, number> = {};
    for (const [n, ms] of this.offsetsMs) if (ms !== 0) clockOffsetsMs[n] = ms;
    return {
      grudge: this.grudge === null ? null : structuredClone(this.grudge),
      topology: this.topology,
      killed: [...this.killed].sort(),
      paused: [...this.paused].sort(),
      clockOffsetsMs,
    };
  }

  /** describeFaults renders the faults in force as short phrases for a progress line. */
  describeFaults(): string[] {
    const f = this.faults();
    const out: string[] = [];
    if (f.grudge !== null) out.push(`partition ${f.topology ?? 'explicit'}`);
    if (f.killed.length > 0) out.push(`killed ${f.killed.join(',')}`);
    if (f.paused.length > 0) out.push(`paused ${f.paused.join(',')}`);
    for (const [n, ms] of Object.entries(f.clockOffsetsMs)) out.push(`clock ${n} ${ms > 0 ? '+' : ''}${ms}ms`);
    return out;
  }

  /** perform validates and carries out one op, returning what it did; throws if the cluster refuses. */
  async perform(op: NemesisOp): Promise<NemesisOutcome> {
    const cmd = parseNemesisOp(op);
    switch (cmd.f) {
      case 'start-partition':
        return this.startPartition(cmd.value);
      case 'stop-partition':
        return this.stopPartition();
      case 'kill':
        return this.killNodes(await this.select(cmd.value));
      case 'start':
        return this.startNodes(cmd.value?.nodes ?? [...this.killed]);
      case 'pause':
        return this.pauseNodes(await this.select(cmd.value));
      case 'resume':
        return this.resumeNodes(cmd.value?.nodes ?? [...this.paused]);
      case 'bump-clock':
        return this.bumpClock(await this.select(cmd.value), cmd.value.deltaMs);
      case 'strobe-clock':
        return this.strobeClock(await this.select(cmd.value), cmd.value);
      case 'reset-clock':
        return this.resetClock(cmd.value?.nodes ?? [...this.offsetsMs.keys()]);
      default: {
        const never: never = cmd;
        throw new Error(`unknown nemesis op ${JSON.stringify(never)}`);
      }
    }
  }

  /** healAll heals the partition, resumes paused and restarts killed nodes, resets clocks; returns the ops it performed. */
  async healAll(): Promise<Array<{ op: NemesisOp; outcome: NemesisOutcome }>> {
    const done: Array<{ op: NemesisOp; outcome: NemesisOutcome }> = [];
    const run = async (op: NemesisOp): Promise<void> => {
      done.push({ op, outcome: await this.perform(op) });
    };
    // Always heal, even with no grudge recorded: a failed partition op may have half-applied.
    await run({ f: 'stop-partition' });
    if (this.paused.size > 0) await run({ f: 'resume' });
    if (this.killed.size > 0) await run({ f: 'start' });
    if ([...this.offsetsMs.values()].some((ms) => ms !== 0)) await run({ f: 'reset-clock' });
    return done;
  }

  private async startPartition(value: Extract<NemesisCommand, { f: 'start-partition' }>['value']): Promise<NemesisOutcome> {
    let primary: string | null | undefined;
    let grudge: Grudge;
    if (value.grudge !== undefined || value.components !== undefined) {
      const needsPrimary = JSON.stringify(value.grudge ?? value.components).includes(`"${PRIMARY}"`);
      if (needsPrimary) primary = await this.requirePrimary();
      const sub = (n: string): string => (n === PRIMARY ? primary! : n);
      grudge = value.grudge !== undefined
        ? Object.fromEntries(Object.entries(value.grudge).map(([k, v]) => [sub(k), v.map(sub)]))
        : completeGrudge(value.components!.map((c) => c.map(sub)));
    } else {
      const topology = value.topology!;
      if (topology === 'primary') primary = await this.requirePrimary();
      grudge = topologyGrudge(topology, this.partitionNodes, this.options.rng, primary ?? undefined);
    }
    validateGrudge(grudge, this.cluster.allNodes);
    await this.cluster.partition(grudge);
    this.grudge = grudge;
    this.topology = value.topology ?? null;
    const outcome: NemesisOutcome = { nodes: Object.keys(grudge).filter((n) => grudge[n].length > 0).sort(), grudge };
    if (value.topology !== undefined) outcome.topology = value.topology;
    if (primary !== undefined) outcome.primary = primary;
    return outcome;
  }

  private async stopPartition(): Promise<NemesisOutcome> {
    await this.cluster.heal();
    this.grudge = null;
    this.topology = null;
    return { nodes: [] };
  }

  private async killNodes(sel: Selected): Promise<NemesisOutcome> {
    for (const n of sel.nodes) {
      await this.cluster.kill(n);
      this.killed.add(n);
      this.paused.delete(n);
    }
    return withPrimary({ nodes: sel.nodes }, sel.primary);
  }

  private async startNodes(nodes: string[]): Promise<NemesisOutcome> {
    const started: string[] = [];
    for (const n of nodes) {
      this.checkNode(n);
      await this.cluster.start(n);
      this.killed.delete(n);
      started.push(n);
    }
    return { nodes: started };
  }

  private async pauseNodes(sel: Selected): Promise<NemesisOutcome> {
    // A killed node cannot be paused: skip it rather than record a fault that did not happen.
    const nodes = sel.nodes.filter((n) => !this.killed.has(n));
    for (const n of nodes) {
      await this.cluster.pause(n);
      this.paused.add(n);
    }
    return withPrimary({ nodes }, sel.primary);
  }

  private async resumeNodes(nodes: string[]): Promise<NemesisOutcome> {
    for (const n of nodes) {
      this.checkNode(n);
      await this.cluster.resume(n);
      this.paused.delete(n);
    }
    return { nodes };
  }

  private async bumpClock(sel: Selected, deltaMs: number): Promise<NemesisOutcome> {
    const offsetsMs: Record<string, number> = {};
    for (const n of sel.nodes) {
      const next = (this.offsetsMs.get(n) ?? 0) + deltaMs;
      await this.cluster.setClockOffset(n, next);
      this.offsetsMs.set(n, next);
      offsetsMs[n] = next;
    }
    return withPrimary({ nodes: sel.nodes, offsetsMs }, sel.primary);
  }

  /** strobeClock flips each node between its offset and offset+delta every periodMs, ending where it began. */
  private async strobeClock(sel: Selected, v: { deltaMs: number; periodMs: number; durationMs: number }): Promise<NemesisOutcome> {
    const flips = Math.floor(v.durationMs / v.periodMs);
    const base = new Map(sel.nodes.map((n) => [n, this.offsetsMs.get(n) ?? 0]));
    for (let i = 0; i < flips; i++) {
      const shifted = i % 2 === 0;
      for (const n of sel.nodes) await this.cluster.setClockOffset(n, base.get(n)! + (shifted ? v.deltaMs : 0));
      await new Promise((resolve) => setTimeout(resolve, v.periodMs));
    }
    const offsetsMs: Record<string, number> = {};
    for (const n of sel.nodes) {
      await this.cluster.setClockOffset(n, base.get(n)!);
      offsetsMs[n] = base.get(n)!;
    }
    return withPrimary({ nodes: sel.nodes, offsetsMs }, sel.primary);
  }

  private async resetClock(nodes: string[]): Promise<NemesisOutcome> {
    const offsetsMs: Record<string, number> = {};
    for (const n of nodes) {
      this.checkNode(n);
      await this.cluster.setClockOffset(n, 0);
      this.offsetsMs.delete(n);
      offsetsMs[n] = 0;
    }
    return { nodes, offsetsMs };
  }

  /** select resolves explicit nodes (with `primary` substituted) or draws a target. */
  private async select(v: { nodes?: string[]; target?: NodeTarget }): Promise<Selected> {
    let primary: string | null | undefined;
    if (v.target === 'primary' || (v.nodes ?? []).includes(PRIMARY)) primary = await this.requirePrimary();
    if (v.nodes !== undefined) {
      const nodes = [...new Set(v.nodes.map((n) => (n === PRIMARY ? primary! : n)))];
      nodes.forEach((n) => this.checkNode(n));
      return { nodes, primary };
    }
    return { nodes: pickTargets(v.target!, this.targetNodes, this.options.rng, primary ?? undefined), primary };
  }

  private async requirePrimary(): Promise<string> {
    const primary = await this.primaryOf(this.cluster);
    if (primary === null) throw new Error('no primary known: no node answered /status naming a primary or leader');
    return primary;
  }

  private checkNode(node: string): void {
    if (!this.cluster.allNodes.includes(node)) throw new Error(`unknown node ${JSON.stringify(node)}; expected one of ${this.cluster.allNodes.join(', ')}`);
  }
}

/** Selected: the nodes an op acts on and the primary looked up to choose them, if any. */
interface Selected {
  nodes: string[];
  primary?: string | null;
}

function withPrimary(outcome: NemesisOutcome, primary: string | null | undefined): NemesisOutcome {
  if (primary !== undefined) outcome.primary = primary;
  return outcome;
}
