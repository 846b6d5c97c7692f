// nemesis/faults/clock.ts — the clock fault: bump, strobe and reset node wall clocks (libfaketime offsets).
import { z } from 'zod';
import { canSkewClocks, type ClockSkew } from '../../cluster/types.ts';
import type { NemesisOutcome } from '../ops.ts';
import { pickTargets } from '../targets.ts';
import type { FaultContext, FaultModule, FaultSession, Selected } from './fault.ts';
import { pick } from './pick.ts';
import {
  fileMs, fileNodes, filePositiveDuration, fileSelector, msText, nodesOf, nodesValue, oneSelector, optionalNodesOp, parseDurationMs,
  pickSelector, record, SELECTOR_MESSAGE, selector, selectorYaml, withPrimary,
} from './shapes.ts';

const bumpValue = z.strictObject({ ...selector, deltaMs: z.number().finite() }).refine(oneSelector, SELECTOR_MESSAGE);
const strobeValue = z
  .strictObject({
    ...selector,
    deltaMs: z.number().finite(),
    periodMs: z.number().int().min(1, 'expected at least 1 ms'),
    durationMs: z.number().int().min(1, 'expected at least 1 ms').max(60_000, 'expected at most 60000 ms'),
  })
  .refine(oneSelector, SELECTOR_MESSAGE)
  .refine((v) => v.durationMs / v.periodMs <= 1000, { message: 'expected at most 1000 flips (durationMs / periodMs)', path: ['periodMs'] });
type StrobeValue = z.infer<typeof strobeValue>;

function signedMs(ms: number): string {
  return `${ms > 0 ? '+' : ms < 0 ? '−' : '±'}${Math.abs(ms)} ms`;
}

/** ClockSession: each node's offset in force (ms; absent = 0). */
class ClockSession implements FaultSession {
  private readonly offsetsMs = new Map<string, number>();

  constructor(private readonly ctx: FaultContext) {}

  private clock(): ClockSkew {
    const c = this.ctx.cluster;
    if (!canSkewClocks(c)) throw new Error('this cluster cannot skew clocks (no setClockOffset)');
    return c;
  }

  async perform(f: string, value: unknown): Promise<NemesisOutcome> {
    if (f === 'bump-clock') {
      const v = value as { nodes?: string[]; deltaMs: number };
      return this.bump(await this.ctx.select(v), v.deltaMs);
    }
    if (f === 'strobe-clock') return this.strobe(await this.ctx.select(value as StrobeValue), value as StrobeValue);
    return this.reset((value as { nodes?: string[] } | undefined)?.nodes ?? [...this.offsetsMs.keys()]);
  }

  private async bump(sel: Selected, deltaMs: number): Promise<NemesisOutcome> {
    const offsetsMs: Record<string, number> = {};
    for (const n of sel.nodes) {
      const next = (this.offsetsMs.get(n) ?? 0) + deltaMs;
      await this.clock().setClockOffset(n, next);
      this.offsetsMs.set(n, next);
      offsetsMs[n] = next;
    }
    return withPrimary({ nodes: sel.nodes, offsetsMs }, sel.primary);
  }

  /** strobe flips each node between its offset and offset+delta every periodMs, ending where it began. */
  private async strobe(sel: Selected, v: StrobeValue): Promise<NemesisOutcome> {
    const flips = Math.floor(v.durationMs / v.periodMs);
    const base = new Map(sel.nodes.map((n) => [n, this.offsetsMs.get(n) ?? 0]));
    for (let i = 0; i < flips; i++) {
      const shifted = i % 2 === 0;
      for (const n of sel.nodes) await this.clock().setClockOffset(n, base.get(n)! + (shifted ? v.deltaMs : 0));
      await this.ctx.sleepMs(v.periodMs);
    }
    const offsetsMs: Record<string, number> = {};
    for (const n of sel.nodes) {
      await this.clock().setClockOffset(n, base.get(n)!);
      offsetsMs[n] = base.get(n)!;
    }
    return withPrimary({ nodes: sel.nodes, offsetsMs }, sel.primary);
  }

  private async reset(nodes: string[]): Promise<NemesisOutcome> {
    const offsetsMs: Record<string, number> = {};
    for (const n of nodes) {
      this.ctx.checkNode(n);
      await this.clock().setClockOffset(n, 0);
      this.offsetsMs.delete(n);
      offsetsMs[n] = 0;
    }
    return { nodes, offsetsMs };
  }

  private nonZero(): Array<[string, number]> {
    return [...this.offsetsMs].filter(([, ms]) => ms !== 0);
  }

  healOps(): Array<{ f: string }> {
    return this.nonZero().length > 0 ? [{ f: 'reset-clock' }] : [];
  }

  inForce(): Record<string, unknown> {
    return { clockOffsetsMs: Object.fromEntries(this.nonZero()) };
  }

  describe(): string[] {
    return this.nonZero().map(([n, ms]) => `clock ${n} ${ms > 0 ? '+' : ''}${ms}ms`);
  }
}

const CLOCK_FS = ['bump-clock', 'strobe-clock', 'reset-clock'];

/** clockFault: Jepsen's clock nemesis (bump, strobe, reset); needs the cluster started with fakeTime. */
export const clockFault: FaultModule<'clock'> = {
  kind: 'clock',
  summary: 'skew wall clocks: bump ±ms, strobe (flip every period for a duration), reset — through libfaketime',
  ops: {
    'bump-clock': { schema: bumpValue, role: 'open' },
    'strobe-clock': { schema: strobeValue, role: 'open' },
    'reset-clock': { schema: nodesValue, role: 'close' },
  },
  draw(o, rng) {
    const skewMsMax = o.skewMsMax ?? 2000;
    const nodes = pickTargets(pick(['one', 'minority', 'majority', 'all'] as const, rng), o.nodes, rng);
    const magnitude = 1 + rng.int(Math.max(1, Math.round(skewMsMax)));
    const deltaMs = rng.next() < 0.5 ? -magnitude : magnitude;
    const start = rng.next() < 0.5
      ? { f: 'bump-clock', value: { nodes, deltaMs } }
      : { f: 'strobe-clock', value: { nodes, deltaMs, periodMs: 10 + rng.int(91), durationMs: 500 + rng.int(501) } };
    return [start, { f: 'reset-clock', value: { nodes } }];
  },
  yaml: {
    'clock-bump': {
      fields: { ...fileSelector, ms: fileMs },
      toOp: (e, fail) => ({ f: 'bump-clock', value: { ...pickSelector('clock-bump', e, fail), deltaMs: e.ms } }),
    },
    'clock-strobe': {
      fields: { ...fileSelector, ms: fileMs, period: filePositiveDuration, duration: filePositiveDuration },
      toOp: (e, fail) => ({
        f: 'strobe-clock',
        value: { ...pickSelector('clock-strobe', e, fail), deltaMs: e.ms, periodMs: parseDurationMs(e.period)!, durationMs: parseDurationMs(e.duration)! },
      }),
    },
    'clock-reset': { fields: { nodes: fileNodes.optional() }, toOp: (e) => optionalNodesOp('reset-clock', e) },
  },
  yamlOf(op) {
    const v = record(op.value);
    if (op.f === 'bump-clock') return { do: 'clock-bump', ...selectorYaml(v), ms: v.deltaMs };
    if (op.f === 'strobe-clock') {
      return { do: 'clock-strobe', ...selectorYaml(v), ms: v.deltaMs, period: msText(v.periodMs as number), duration: msText(v.durationMs as number) };
    }
    return v.nodes === undefined ? { do: 'clock-reset' } : { do: 'clock-reset', nodes: v.nodes };
  },
  yamlKeys: { deltaMs: 'ms', periodMs: 'period', durationMs: 'duration' },
  session: (ctx) => new ClockSession(ctx),
  healRank: 3,
  clusterNeeds: (ops) => (ops.some((op) => CLOCK_FS.includes(op.f)) ? { fakeTime: true } : {}),
  report: {
    label: 'clock skew',
    color: '#137cbd',
    words(f, invoke, outcome) {
      if (f === 'reset-clock') return `clocks reset on ${nodesOf(invoke, outcome)}`;
      const done = record(outcome);
      const asked = record(invoke);
      const offsets = record(done.offsetsMs);
      const strobe = f === 'strobe-clock' ? ` (strobe every ${String(asked.periodMs)} ms for ${String(asked.durationMs)} ms)` : '';
      const entries = Object.entries(offsets).filter((e): e is [string, number] => typeof e[1] === 'number');
      if (entries.length > 0) return entries.map(([n, ms]) => `clock ${n} ${signedMs(ms)}`).join(', ') + strobe;
      const delta = typeof asked.deltaMs === 'number' ? ` ${signedMs(asked.deltaMs)}` : '';
      return `clock ${nodesOf(invoke, outcome)}${delta}${strobe}`;
    },
  },
};
