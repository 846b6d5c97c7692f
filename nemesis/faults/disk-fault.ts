// nemesis/faults/disk-fault.ts — diskFault: builds the module of a fault done to a node's disk while it is down (lose-unsynced, corrupt-file, replace).
//
// The open op SIGKILLs each chosen node (unless it is down already), damages its disk and
// leaves it down; the close op restarts it from what is left. Unlike nodeFault (kill, pause),
// the open op carries options of its own (torn, mode, ...) and reports per node what it did.
import { z } from 'zod';
import type { Cluster } from '../../cluster/types.ts';
import type { Rng } from '../../lib/rng.ts';
import type { NemesisOutcome } from '../ops.ts';
import { pickTargets } from '../targets.ts';
import type { NodeTarget } from '../types.ts';
import type { FaultContext, FaultModule, FaultSession, ServerSetChange } from './fault.ts';
import { pick } from './pick.ts';
import { fileNodes, fileSelector, nodesOf, nodesValue, oneSelector, optionalNodesOp, pickSelector, record, SELECTOR_MESSAGE, selector, selectorYaml, TARGETS, withPrimary } from './shapes.ts';

/** DiskFaultSpec: what differs between disk faults. `Opts` is the open op's own options. */
export interface DiskFaultSpec<K extends string, Opts extends Record<string, unknown>> {
  kind: K;
  summary: string;
  openF: string;
  closeF: string;
  /** The open op's own value fields (zod), also its YAML keys (fileOptions words them for the file). */
  options: z.ZodRawShape;
  fileOptions: z.ZodRawShape;
  /** The targets a combined schedule draws from (a schedule file may name any). */
  targets: readonly NodeTarget[];
  /** drawOptions: the options a combined schedule uses. */
  drawOptions(rng: Rng): Opts;
  /** needs: the cluster's capability check; throws the refusal (naming what is missing). */
  check(cluster: Cluster): void;
  /** damage hurts a stopped node's disk and says what it did (a plain JSON object). */
  damage(ctx: FaultContext, node: string, options: Opts): Promise<Record<string, unknown>>;
  /** The outcome field listing per-node results ("lost", "corrupted"). */
  resultField: string;
  /** Words for one node's result in the report. */
  resultWords(result: Record<string, unknown>): string;
  openWord: string;
  /** The close op's past tense in the report; default "restarted". */
  closeWord?: string;
  label: string;
  color: string;
  /** The Nemesis.faults() field listing nodes down under this fault. */
  field: string;
  /** changesServers: see FaultModule (replace: a server gone for good). */
  changesServers?: ServerSetChange;
  /** clusterNeed: what the cluster must be started with (lazyDisk: lazyfs under the nodes; dataFiles: their files reachable from here). */
  clusterNeed: 'lazyDisk' | 'dataFiles';
}

class DiskFaultSession<K extends string, Opts extends Record<string, unknown>> implements FaultSession {
  private readonly down = new Set<string>();

  constructor(private readonly spec: DiskFaultSpec<K, Opts>, private readonly ctx: FaultContext) {}

  async perform(f: string, value: unknown): Promise<NemesisOutcome> {
    const { spec, ctx } = this;
    if (f !== spec.openF) return this.restart((value as { nodes?: string[] } | undefined)?.nodes ?? [...this.down].sort());
    spec.check(ctx.cluster);
    const sel = await ctx.select(value as { nodes?: string[] });
    const results: Array<Record<string, unknown>> = [];
    for (const n of sel.nodes) {
      // Damage only a dead process's disk: a live one would go on from its own memory.
      if (!ctx.isDown(n)) {
        await ctx.cluster.kill(n);
        ctx.markDown(n);
      }
      this.down.add(n);
      results.push({ node: n, ...(await spec.damage(ctx, n, value as Opts)) });
    }
    return withPrimary({ nodes: sel.nodes, [spec.resultField]: results }, sel.primary);
  }

  /** restart brings the nodes back together, as after a power failure (one at a time would let the first elect alone). */
  private async restart(nodes: string[]): Promise<NemesisOutcome> {
    for (const n of nodes) this.ctx.checkNode(n);
    await Promise.all(nodes.map((n) => this.ctx.cluster.start(n)));
    for (const n of nodes) {
      this.down.delete(n);
      this.ctx.markUp(n);
    }
    return { nodes };
  }

  healOps(): Array<{ f: string }> {
    return this.down.size > 0 ? [{ f: this.spec.closeF }] : [];
  }

  inForce(): Record<string, unknown> {
    return { [this.spec.field]: [...this.down].sort() };
  }

  describe(): string[] {
    return this.down.size > 0 ? [`${this.spec.openWord} ${[...this.down].sort().join(',')}`] : [];
  }
}

/** diskFault: the FaultModule of a disk fault (targets one, minority, majority, primary, all). */
export function diskFault<K extends string, Opts extends Record<string, unknown>>(spec: DiskFaultSpec<K, Opts>): FaultModule<K> {
  const { openF, closeF } = spec;
  const optionKeys = Object.keys(spec.options);
  const optionsOf = (v: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(optionKeys.filter((k) => v[k] !== undefined).map((k) => [k, v[k]]));
  return {
    kind: spec.kind,
    summary: spec.summary,
    ops: {
      [openF]: { schema: z.strictObject({ ...selector, ...spec.options }).refine(oneSelector, SELECTOR_MESSAGE), role: 'open' },
      [closeF]: { schema: nodesValue, role: 'close' },
    },
    draw(o, rng) {
      const allowed = (o.targets ?? TARGETS).filter((t) => spec.targets.includes(t));
      const target = pick(allowed.length > 0 ? allowed : spec.targets, rng);
      const options = spec.drawOptions(rng);
      if (target === 'primary') return [{ f: openF, value: { target, ...options } }, { f: closeF }];
      const nodes = pickTargets(target, o.nodes, rng);
      return [{ f: openF, value: { nodes, ...options } }, { f: closeF, value: { nodes } }];
    },
    yaml: {
      [openF]: { fields: { ...fileSelector, ...spec.fileOptions }, toOp: (e, fail) => ({ f: openF, value: { ...pickSelector(openF, e, fail), ...optionsOf(e) } }) },
      [closeF]: { fields: { nodes: fileNodes.optional() }, toOp: (e) => optionalNodesOp(closeF, e) },
    },
    yamlOf(op) {
      if (op.f === openF) return { do: openF, ...selectorYaml(op.value), ...optionsOf(record(op.value)) };
      const nodes = record(op.value).nodes;
      return nodes === undefined ? { do: closeF } : { do: closeF, nodes };
    },
    session: (ctx) => new DiskFaultSession(spec, ctx),
    // Nodes restart with the kill kind's restarts: after the network heals and paused ones resume.
    healRank: 2,
    clusterNeeds: (ops) => (ops.some((op) => op.f === openF) ? { [spec.clusterNeed]: true } : {}),
    ...(spec.changesServers === undefined ? {} : { changesServers: spec.changesServers }),
    report: {
      label: spec.label,
      color: spec.color,
      words(f, invoke, outcome) {
        if (f === closeF) return `${spec.closeWord ?? 'restarted'} ${nodesOf(invoke, outcome)}`;
        const results = record(outcome)[spec.resultField];
        if (!Array.isArray(results) || results.length === 0) return `${spec.openWord} ${nodesOf(invoke, outcome)}`;
        return results.map((r) => `${spec.openWord} ${String(record(r).node)}: ${spec.resultWords(record(r))}`).join('; ');
      },
    },
  };
}
