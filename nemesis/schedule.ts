// nemesis/schedule.ts — seeded combined schedules (Jepsen's combined nemesis): each fault kind alternates start/stop.
//
// Every random choice is drawn here from the seed, so the schedule — times, topologies with
// their grudges, targets with their nodes, clock deltas — is fixed by the seed and printable
// before the run. Only choices that depend on the cluster (the primary) are left to run time.
// Each fault kind draws from its own fork of the seed, so enabling one kind does not change
// another's schedule.
import type { Grudge } from '../cluster/types.ts';
import { SeededRng } from '../lib/rng.ts';
import type { Rng } from '../lib/rng.ts';
import { TARGETS, TOPOLOGIES } from './ops.ts';
import { pickTargets } from './targets.ts';
import { topologyGrudge } from './topology.ts';
import { FAULT_KINDS, type FaultKind, type NemesisOp, type NodeTarget, type PartitionTopology, type ScheduledNemesisOp } from './types.ts';

/** CombinedScheduleOptions: which faults, how often, for how long, over which nodes. */
export interface CombinedScheduleOptions {
  faults: readonly FaultKind[];
  /** Mean gap between a kind's consecutive ops; each gap is uniform in [0.5, 1.5] × this. */
  intervalMs: number;
  /** Length of the main phase; no op is scheduled at or after it. */
  durationMs: number;
  seed: number;
  /** Replicas: what kill, pause and clock targets pick from. */
  nodes: readonly string[];
  /** What partitions split; default `nodes` (pass cluster.allNodes to include the view server). */
  partitionNodes?: readonly string[];
  /** Topologies to draw from; default all six. */
  topologies?: readonly PartitionTopology[];
  /** Kill/pause targets to draw from; default all five. */
  targets?: readonly NodeTarget[];
  /** Largest clock bump or strobe, in ms; default 2000. */
  skewMsMax?: number;
}

/** OPS_MAX bounds a schedule's length. */
const OPS_MAX = 100_000;

/** generateCombinedSchedule returns the ops of every chosen kind, ordered by time. */
export function generateCombinedSchedule(o: CombinedScheduleOptions): ScheduledNemesisOp[] {
  if (!(o.intervalMs > 0)) throw new Error(`schedule: intervalMs must be positive, got ${o.intervalMs}`);
  if (!(o.durationMs >= 0)) throw new Error(`schedule: durationMs must be >= 0, got ${o.durationMs}`);
  if (o.durationMs / (o.intervalMs / 2) > OPS_MAX) throw new Error(`schedule: more than ${OPS_MAX} ops; raise intervalMs`);
  for (const f of o.faults) if (!FAULT_KINDS.includes(f)) throw new Error(`schedule: unknown fault ${JSON.stringify(f)}; expected one of ${FAULT_KINDS.join(', ')}`);
  const base = new SeededRng(o.seed);
  // One fork per kind in a fixed order, whether chosen or not.
  const forks = new Map(FAULT_KINDS.map((kind) => [kind, base.fork()]));
  const all: Array<ScheduledNemesisOp & { kindIndex: number }> = [];
  for (const kind of FAULT_KINDS) {
    if (!o.faults.includes(kind)) continue;
    const rng = forks.get(kind)!;
    const kindIndex = FAULT_KINDS.indexOf(kind);
    let t = gapMs(o.intervalMs, rng);
    while (t < o.durationMs) {
      const [start, stop] = faultPair(kind, o, rng);
      all.push({ ...start, atMs: t, kindIndex });
      t += gapMs(o.intervalMs, rng);
      if (t >= o.durationMs) break;
      all.push({ ...stop, atMs: t, kindIndex });
      t += gapMs(o.intervalMs, rng);
    }
  }
  all.sort((a, b) => a.atMs - b.atMs || a.kindIndex - b.kindIndex);
  return all.map(({ kindIndex: _k, ...op }) => op);
}

function gapMs(intervalMs: number, rng: Rng): number {
  return Math.max(1, Math.round(intervalMs * (0.5 + rng.next())));
}

function pick<T>(items: readonly T[], rng: Rng): T {
  if (items.length === 0) throw new Error('schedule: nothing to choose from');
  return items[rng.int(items.length)];
}

/** faultPair draws one start op of a kind and the stop op that undoes it. */
function faultPair(kind: FaultKind, o: CombinedScheduleOptions, rng: Rng): [NemesisOp, NemesisOp] {
  switch (kind) {
    case 'partition': {
      const topology = pick(o.topologies ?? TOPOLOGIES, rng);
      const value: { topology: PartitionTopology; grudge?: Grudge } = { topology };
      if (topology !== 'primary') value.grudge = topologyGrudge(topology, o.partitionNodes ?? o.nodes, rng);
      return [{ f: 'start-partition', value }, { f: 'stop-partition' }];
    }
    case 'kill':
    case 'pause': {
      const target = pick(o.targets ?? TARGETS, rng);
      const [startF, stopF] = kind === 'kill' ? ['kill', 'start'] : ['pause', 'resume'];
      if (target === 'primary') return [{ f: startF, value: { target } }, { f: stopF }];
      const nodes = pickTargets(target, o.nodes, rng);
      return [{ f: startF, value: { nodes } }, { f: stopF, value: { nodes } }];
    }
    case 'clock': {
      const skewMsMax = o.skewMsMax ?? 2000;
      const nodes = pickTargets(pick(['one', 'minority', 'majority', 'all'] as const, rng), o.nodes, rng);
      const magnitude = 1 + rng.int(Math.max(1, Math.round(skewMsMax)));
      const deltaMs = rng.next() < 0.5 ? -magnitude : magnitude;
      const start: NemesisOp = rng.next() < 0.5
        ? { f: 'bump-clock', value: { nodes, deltaMs } }
        : { f: 'strobe-clock', value: { nodes, deltaMs, periodMs: 10 + rng.int(91), durationMs: 500 + rng.int(501) } };
      return [start, { f: 'reset-clock', value: { nodes } }];
    }
    default: {
      const never: never = kind;
      throw new Error(`unknown fault ${String(never)}`);
    }
  }
}
