// nemesis/faults/partition.ts — the partition fault: a grudge (who drops whose packets) from a topology, a map or components.
import { z } from 'zod';
import { completeGrudge, validateGrudge } from '../../cluster/grudge.ts';
import type { Grudge } from '../../cluster/types.ts';
import type { NemesisOutcome } from '../ops.ts';
import { NEEDS_PRIMARY, topologyGrudge } from '../topology.ts';
import type { PartitionTopology } from '../types.ts';
import type { FaultContext, FaultModule, FaultSession } from './fault.ts';
import { pick } from './pick.ts';
import { DRAWN_TOPOLOGIES, fileNodes, nodeList, noValue, PRIMARY, record, TOPOLOGIES } from './shapes.ts';

const partitionValue = z
  .strictObject({
    topology: z.enum(TOPOLOGIES).optional(),
    grudge: z.record(z.string(), z.array(z.string().min(1))).optional(),
    components: z.array(nodeList).min(2, 'expected at least two components').optional(),
  })
  .refine((v) => v.topology !== undefined || v.grudge !== undefined || v.components !== undefined, 'expected one of topology, grudge or components')
  .refine((v) => !(v.grudge !== undefined && v.components !== undefined), 'expected grudge or components, not both');
type PartitionValue = z.infer<typeof partitionValue>;

function isGrudge(value: unknown): value is Grudge {
  return typeof value === 'object' && value !== null && !Array.isArray(value) &&
    Object.values(value).every((v) => Array.isArray(v) && v.every((n) => typeof n === 'string'));
}

/**
 * grudgeWords: a clean partition as its components ("n1 | n2 n3"); any other grudge (a ring,
 * a bridge, a one-way cut) as who is cut from whom ("n1 cut from n3 n4; n2 cut from n4").
 */
export function grudgeWords(grudge: Grudge): string {
  const nodes = [...new Set([...Object.keys(grudge), ...Object.values(grudge).flat()])].sort();
  const cut = (a: string, b: string): boolean => (grudge[a] ?? []).includes(b) || (grudge[b] ?? []).includes(a);
  // Components: nodes joined when neither drops the other's traffic.
  const component = new Map(nodes.map((n, i) => [n, i]));
  for (const a of nodes) {
    for (const b of nodes) {
      if (a >= b || cut(a, b)) continue;
      const [from, to] = [component.get(a)!, component.get(b)!];
      for (const [n, c] of component) if (c === from) component.set(n, to);
    }
  }
  const groups = [...new Set(component.values())].map((c) => nodes.filter((n) => component.get(n) === c));
  const clean = groups.length > 1 && nodes.every((a) => nodes.every((b) => component.get(a) === component.get(b) ||
    ((grudge[a] ?? []).includes(b) && (grudge[b] ?? []).includes(a))));
  if (clean) return groups.map((g) => g.join(' ')).join(' | ');
  return Object.keys(grudge).sort().filter((n) => grudge[n].length > 0)
    .map((n) => `${n} cut from ${[...grudge[n]].sort().join(' ')}`).join('; ');
}

/** PartitionSession: the grudge in force (null: none) and the topology it came from. */
class PartitionSession implements FaultSession {
  private grudge: Grudge | null = null;
  private topology: PartitionTopology | null = null;

  constructor(private readonly ctx: FaultContext) {}

  async perform(f: string, value: unknown): Promise<NemesisOutcome> {
    if (f === 'start-partition') return this.start(value as PartitionValue);
    await this.ctx.cluster.heal();
    this.grudge = null;
    this.topology = null;
    return { nodes: [] };
  }

  private async start(value: PartitionValue): Promise<NemesisOutcome> {
    let primary: string | null | undefined;
    let grudge: Grudge;
    if (value.grudge !== undefined || value.components !== undefined) {
      const needsPrimary = JSON.stringify(value.grudge ?? value.components).includes(`"${PRIMARY}"`);
      if (needsPrimary) primary = await this.ctx.requirePrimary();
      const sub = (n: string): string => (n === PRIMARY ? primary! : n);
      grudge = value.grudge !== undefined
        ? Object.fromEntries(Object.entries(value.grudge).map(([k, v]) => [sub(k), v.map(sub)]))
        : completeGrudge(value.components!.map((c) => c.map(sub)));
    } else {
      const topology = value.topology!;
      if (NEEDS_PRIMARY.has(topology)) primary = await this.ctx.requirePrimary();
      grudge = topologyGrudge(topology, this.ctx.partitionNodes, this.ctx.rng, primary ?? undefined);
    }
    validateGrudge(grudge, this.ctx.cluster.allNodes);
    await this.ctx.cluster.partition(grudge);
    this.grudge = grudge;
    this.topology = value.topology ?? null;
    const outcome: NemesisOutcome = { nodes: Object.keys(grudge).filter((n) => grudge[n].length > 0).sort(), grudge };
    if (value.topology !== undefined) outcome.topology = value.topology;
    if (primary !== undefined) outcome.primary = primary;
    return outcome;
  }

  /** Always heal, even with no grudge recorded: a failed partition op may have half-applied. */
  healOps(): Array<{ f: string }> {
    return [{ f: 'stop-partition' }];
  }

  inForce(): Record<string, unknown> {
    return { grudge: this.grudge === null ? null : structuredClone(this.grudge), topology: this.topology };
  }

  describe(): string[] {
    return this.grudge === null ? [] : [`partition ${this.topology ?? 'explicit'}`];
  }
}

/** partitionFault: Jepsen's partition nemesis; locally the link proxies black-hole, in Docker iptables drops. */
export const partitionFault: FaultModule<'partition'> = {
  kind: 'partition',
  summary: 'network partitions: a topology (one, primary, primary-minority, majority, random-halves, majorities-ring, bridge), a grudge or components',
  ops: {
    'start-partition': { schema: partitionValue, role: 'open' },
    'stop-partition': { schema: noValue, role: 'close' },
  },
  draw(o, rng) {
    const topology = pick(o.topologies ?? DRAWN_TOPOLOGIES, rng);
    const value: { topology: PartitionTopology; grudge?: Grudge } = { topology };
    if (!NEEDS_PRIMARY.has(topology)) value.grudge = topologyGrudge(topology, o.partitionNodes ?? o.nodes, rng);
    return [{ f: 'start-partition', value }, { f: 'stop-partition' }];
  },
  yaml: {
    partition: {
      fields: {
        topology: z.enum(TOPOLOGIES, { message: `expected one of ${TOPOLOGIES.join(', ')}` }).optional(),
        grudge: z.record(z.string(), fileNodes, { message: 'expected a map node: [nodes whose packets it drops]' }).optional(),
        components: z.array(fileNodes, { message: 'expected a list of node lists' }).min(2, 'expected at least two components').optional(),
      },
      toOp(e, fail) {
        const given = ['topology', 'grudge', 'components'].filter((k) => e[k] !== undefined);
        if (given.length !== 1) fail('do: partition expects exactly one of topology, grudge or components');
        const k = given[0];
        return { f: 'start-partition', value: { [k]: e[k] } };
      },
    },
    heal: { fields: {}, toOp: () => ({ f: 'stop-partition' }) },
  },
  yamlOf(op) {
    if (op.f === 'stop-partition') return { do: 'heal' };
    const v = record(op.value);
    // A drawn partition carries both its topology and the grudge drawn for it: the grudge is what ran.
    if (v.grudge !== undefined) return { do: 'partition', grudge: v.grudge };
    if (v.components !== undefined) return { do: 'partition', components: v.components };
    return { do: 'partition', topology: v.topology };
  },
  nodeNames(value) {
    const v = record(value);
    const out: Array<[string, string[]]> = [];
    if (isGrudge(v.grudge)) for (const [k, vs] of Object.entries(v.grudge)) out.push(['grudge', [k, ...vs]]);
    if (Array.isArray(v.components)) out.push(['components', (v.components as string[][]).flat()]);
    return out;
  },
  session: (ctx) => new PartitionSession(ctx),
  healRank: 0,
  report: {
    label: 'network partition',
    color: '#d9822b',
    words(f, invoke, outcome) {
      if (f === 'stop-partition') return 'partition healed';
      const done = record(outcome);
      const asked = record(invoke);
      const topology = done.topology ?? asked.topology;
      const label = typeof topology === 'string' ? ` (${topology.replace(/-/g, ' ')})` : '';
      const grudge = isGrudge(done.grudge) ? done.grudge : isGrudge(asked.grudge) ? asked.grudge : undefined;
      return `partition: ${grudge === undefined ? 'pending' : grudgeWords(grudge)}${label}`;
    },
  },
};
