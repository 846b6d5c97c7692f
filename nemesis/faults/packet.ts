// nemesis/faults/packet.ts — the packet fault: delay with jitter, loss, duplication, reordering, rate limit, per node or per link.
//
// Jepsen's net/shape! behaviours with its defaults (jepsen/src/jepsen/net.clj): delay 50 ms
// ± 10 ms, loss, duplicate and reorder 20 %, rate 1 mbit. Per node means what the node sends
// to every other node (its egress, as tc on its interface); per link names [from, to] pairs.
// How the packets are touched is the cluster's PacketShaping capability (link proxies locally;
// tc netem, or iptables statistic + tbf + the NFQUEUE shaper, in Docker containers).
import { z } from 'zod';
import { canShapePackets, PACKET_BEHAVIOURS, type Cluster, type PacketBehaviour, type PacketLink, type PacketShape, type PacketShaping } from '../../cluster/types.ts';
import type { NemesisOutcome } from '../ops.ts';
import { pickTargets } from '../targets.ts';
import type { FaultContext, FaultModule, FaultSession } from './fault.ts';
import { pick } from './pick.ts';
import { fileNodes, fileTarget, nodeList, parseDurationMs, PRIMARY, record, strings, TARGETS, withPrimary } from './shapes.ts';

/** PACKET_DEFAULTS: Jepsen's defaults for each behaviour. */
export const PACKET_DEFAULTS = { delayMs: 50, jitterMs: 10, loss: 0.2, duplicate: 0.2, reorder: 0.2, rateKbit: 1000 } as const;

const probability = z.number().min(0, 'expected a probability from 0 to 1').max(1, 'expected a probability from 0 to 1');
const shapeFields = {
  delayMs: z.number().min(0).max(60_000, 'expected at most 60000 ms').optional(),
  jitterMs: z.number().min(0).max(60_000, 'expected at most 60000 ms').optional(),
  loss: probability.optional(),
  duplicate: probability.optional(),
  reorder: probability.optional(),
  rateKbit: z.number().min(1, 'expected at least 1 kbit/s').optional(),
};
const SHAPE_KEYS = Object.keys(shapeFields) as Array<keyof PacketShape>;

const startValue = z
  .strictObject({
    nodes: nodeList.optional(),
    target: z.enum(TARGETS).optional(),
    links: z.array(z.tuple([z.string().min(1), z.string().min(1)])).min(1, 'expected at least one link').optional(),
    ...shapeFields,
    seed: z.number().int().min(0).optional(),
  })
  .refine((v) => [v.nodes, v.target, v.links].filter((x) => x !== undefined).length === 1, 'expected exactly one of nodes, target or links ([[from, to], ...])')
  .refine((v) => SHAPE_KEYS.some((k) => k !== 'jitterMs' && v[k] !== undefined), 'expected at least one of delayMs, loss, duplicate, reorder, rateKbit')
  .refine((v) => v.jitterMs === undefined || v.delayMs !== undefined, { message: 'jitter needs a delay', path: ['jitterMs'] });
type StartValue = z.infer<typeof startValue>;

/** behavioursOf: the behaviours a shape asks for. */
export function behavioursOf(shape: PacketShape): PacketBehaviour[] {
  const out: PacketBehaviour[] = [];
  if (shape.delayMs !== undefined) out.push('delay');
  if ((shape.loss ?? 0) > 0) out.push('loss');
  if ((shape.duplicate ?? 0) > 0) out.push('duplicate');
  if ((shape.reorder ?? 0) > 0) out.push('reorder');
  if (shape.rateKbit !== undefined) out.push('rate');
  return out;
}

/** shapeWords: "delay 50±10 ms, loss 20%". */
export function shapeWords(shape: Record<string, unknown>): string {
  const pct = (p: unknown): string => `${Math.round(Number(p) * 1000) / 10}%`;
  const parts: string[] = [];
  if (typeof shape.delayMs === 'number') parts.push(`delay ${shape.delayMs}${typeof shape.jitterMs === 'number' ? `±${shape.jitterMs}` : ''} ms`);
  for (const k of ['loss', 'duplicate', 'reorder'] as const) if (typeof shape[k] === 'number') parts.push(`${k} ${pct(shape[k])}`);
  if (typeof shape.rateKbit === 'number') parts.push(`rate ${shape.rateKbit} kbit/s`);
  return parts.join(', ');
}

function shapeOf(v: Record<string, unknown>): PacketShape {
  const shape: PacketShape = {};
  for (const k of SHAPE_KEYS) if (typeof v[k] === 'number') shape[k] = v[k];
  return shape;
}

/** unsupported: the behaviours of a shape a cluster cannot do, with its reason; null when it can do them all. */
export function unsupported(shape: PacketShape, cluster: Cluster): string | null {
  if (!canShapePackets(cluster)) return 'this cluster has no packet faults (PacketShaping)';
  const support = cluster.packetSupport();
  const missing = behavioursOf(shape).filter((b) => !support.behaviours.includes(b));
  return missing.length === 0 ? null : `packet ${missing.join(', ')}: ${support.missing ?? 'not supported by this cluster'}`;
}

/** PacketSession: the links shaped and how, or null. */
class PacketSession implements FaultSession {
  private current: { links: PacketLink[]; shape: PacketShape; mechanism: string } | null = null;
  /** Set once a start was attempted: a failed start may have half-applied, so heal then. */
  private touched = false;

  constructor(private readonly ctx: FaultContext) {}

  private shaper(): Cluster & PacketShaping {
    const c = this.ctx.cluster;
    if (!canShapePackets(c)) throw new Error('this cluster cannot shape packets (no PacketShaping capability)');
    return c;
  }

  async perform(f: string, value: unknown): Promise<NemesisOutcome> {
    if (f === 'stop-packet') {
      if (this.touched) await this.shaper().unshapePackets();
      this.touched = false;
      this.current = null;
      return { nodes: [] };
    }
    const v = value as StartValue;
    const shape = shapeOf(v);
    const refusal = unsupported(shape, this.ctx.cluster);
    if (refusal !== null) throw new Error(refusal);
    let primary: string | null | undefined;
    let links: PacketLink[];
    if (v.links !== undefined) {
      if (v.links.flat().includes(PRIMARY)) primary = await this.ctx.requirePrimary();
      links = v.links.map(([a, b]) => [a === PRIMARY ? primary! : a, b === PRIMARY ? primary! : b]);
      links.flat().forEach((n) => this.ctx.checkNode(n));
    } else {
      const sel = await this.ctx.select(v);
      primary = sel.primary;
      links = sel.nodes.flatMap((n) => this.ctx.cluster.allNodes.filter((m) => m !== n).map((m): PacketLink => [n, m]));
    }
    this.touched = true;
    const { mechanism } = await this.shaper().shapePackets(links, shape, v.seed ?? this.ctx.rng.int(2 ** 31 - 1));
    this.current = { links, shape, mechanism };
    const nodes = [...new Set(links.map(([a]) => a))].sort();
    return withPrimary({ nodes, links, shape, mechanism }, primary);
  }

  healOps(): Array<{ f: string }> {
    return this.touched ? [{ f: 'stop-packet' }] : [];
  }

  inForce(): Record<string, unknown> {
    return { packet: this.current === null ? null : structuredClone(this.current) };
  }

  describe(): string[] {
    if (this.current === null) return [];
    const senders = [...new Set(this.current.links.map(([a]) => a))].sort().join(',');
    return [`packet ${shapeWords({ ...this.current.shape })} from ${senders}`];
  }
}

/** PERCENT: a probability as 0.2 or "20%". */
const filePercent = z.union([probability, z.string().regex(/^\d+(\.\d+)?%$/, 'expected a probability like 0.2 or 20%')], { message: 'expected a probability like 0.2 or 20%' });
const fileRate = z.union([z.number().min(1), z.string().regex(/^\d+(\.\d+)?\s*(kbit|mbit)$/, 'expected a rate like 1mbit or 500kbit')], { message: 'expected a rate like 1mbit or 500kbit' });
const fileMsDuration = z.custom<string | number>((v) => parseDurationMs(v) !== null, { message: 'expected a duration like 50ms' });

function percentOf(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'number' ? v : Number(String(v).slice(0, -1)) / 100;
}

function kbitOf(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  const m = /^(\d+(?:\.\d+)?)\s*(kbit|mbit)$/.exec(String(v))!;
  return Number(m[1]) * (m[2] === 'mbit' ? 1000 : 1);
}

/** msOfFile: the file writes delays as durations; a bare number there is ms (not seconds). */
function msOfFile(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'number' ? v : parseDurationMs(v)!;
}

/** packetFault: Jepsen's packet nemesis. */
export const packetFault: FaultModule<'packet'> = {
  kind: 'packet',
  summary: 'packet faults per node or per link: delay (50ms ± 10ms), loss, duplicate, reorder (20%), rate (1mbit)',
  ops: {
    'start-packet': { schema: startValue, role: 'open' },
    'stop-packet': { schema: z.undefined(), role: 'close' },
  },
  draw(o, rng) {
    const nodes = pickTargets(pick(['one', 'minority', 'majority', 'all'] as const, rng), o.nodes, rng);
    const offered = (o.packetBehaviours ?? PACKET_BEHAVIOURS).filter((b) => PACKET_BEHAVIOURS.includes(b));
    // As Jepsen: one behaviour at a time, or all of them together.
    const chosen = rng.next() < 0.5 ? [pick(offered, rng)] : offered;
    const value: Record<string, unknown> = { nodes };
    for (const b of chosen) {
      if (b === 'delay') Object.assign(value, { delayMs: PACKET_DEFAULTS.delayMs, jitterMs: PACKET_DEFAULTS.jitterMs });
      else if (b === 'rate') value.rateKbit = PACKET_DEFAULTS.rateKbit;
      else value[b] = PACKET_DEFAULTS[b];
    }
    value.seed = rng.int(2 ** 31 - 1);
    return [{ f: 'start-packet', value }, { f: 'stop-packet' }];
  },
  yaml: {
    packet: {
      fields: {
        nodes: fileNodes.optional(),
        target: fileTarget.optional(),
        links: z.array(z.tuple([z.string().min(1), z.string().min(1)]), { message: 'expected a list of [from, to] pairs' }).min(1).optional(),
        delay: fileMsDuration.optional(),
        jitter: fileMsDuration.optional(),
        loss: filePercent.optional(),
        duplicate: filePercent.optional(),
        reorder: filePercent.optional(),
        rate: fileRate.optional(),
        seed: z.number().int().min(0).optional(),
      },
      toOp(e, fail) {
        const given = ['nodes', 'target', 'links'].filter((k) => e[k] !== undefined);
        if (given.length !== 1) fail('do: packet expects exactly one of nodes, target or links');
        const value: Record<string, unknown> = { [given[0]]: e[given[0]] };
        const fields: Record<string, unknown> = {
          delayMs: msOfFile(e.delay), jitterMs: msOfFile(e.jitter), loss: percentOf(e.loss), duplicate: percentOf(e.duplicate),
          reorder: percentOf(e.reorder), rateKbit: kbitOf(e.rate), seed: e.seed,
        };
        for (const [k, x] of Object.entries(fields)) if (x !== undefined) value[k] = x;
        return { f: 'start-packet', value };
      },
    },
    'packet-heal': { fields: {}, toOp: () => ({ f: 'stop-packet' }) },
  },
  yamlOf(op) {
    if (op.f === 'stop-packet') return { do: 'packet-heal' };
    const v = record(op.value);
    const out: Record<string, unknown> = { do: 'packet' };
    for (const k of ['nodes', 'target', 'links'] as const) if (v[k] !== undefined) out[k] = v[k];
    if (v.delayMs !== undefined) out.delay = `${String(v.delayMs)}ms`;
    if (v.jitterMs !== undefined) out.jitter = `${String(v.jitterMs)}ms`;
    for (const k of ['loss', 'duplicate', 'reorder'] as const) if (v[k] !== undefined) out[k] = v[k];
    if (v.rateKbit !== undefined) out.rate = `${String(v.rateKbit)}kbit`;
    if (v.seed !== undefined) out.seed = v.seed;
    return out;
  },
  yamlKeys: { delayMs: 'delay', jitterMs: 'jitter', rateKbit: 'rate' },
  nodeNames(value) {
    const links = record(value).links;
    return Array.isArray(links) ? [['links', strings(links.flat())]] : [];
  },
  session: (ctx) => new PacketSession(ctx),
  // The network heals first, with partitions.
  healRank: 0,
  report: {
    label: 'packet faults',
    color: '#0f9960',
    words(f, invoke, outcome) {
      if (f === 'stop-packet') return 'packet faults healed';
      const asked = record(invoke);
      const done = record(outcome);
      const what = shapeWords(asked) || 'packet faults';
      const senders = strings(done.nodes).length > 0 ? strings(done.nodes).join(' ') : strings(asked.nodes).join(' ') || String(asked.target ?? 'links');
      const how = typeof done.mechanism === 'string' ? ` (by ${done.mechanism.split(' (')[0]})` : '';
      return `packets ${what} from ${senders}${how}`;
    },
  },
};
