// nemesis/schedule.ts — seeded combined schedules (Jepsen's combined nemesis): each fault kind alternates start/stop.
//
// Every random choice is drawn here from the seed, so the schedule — times, topologies with
// their grudges, targets with their nodes, clock deltas — is fixed by the seed and printable
// before the run. Only choices that depend on the cluster (the primary) are left to run time.
// Each fault kind draws from its own fork of the seed, so enabling one kind does not change
// another's schedule.
import { SeededRng } from '../lib/rng.ts';
import type { Rng } from '../lib/rng.ts';
import type { DrawOptions } from './faults/fault.ts';
import { FAULT_KINDS, FAULTS, type FaultKind } from './faults/registry.ts';
import type { ScheduledNemesisOp } from './types.ts';

/** CombinedScheduleOptions: which faults, how often, for how long, over which nodes. */
export interface CombinedScheduleOptions extends DrawOptions {
  faults: readonly FaultKind[];
  /** Mean gap between a kind's consecutive ops; each gap is uniform in [0.5, 1.5] × this. */
  intervalMs: number;
  /** Length of the main phase; no op is scheduled at or after it. */
  durationMs: number;
  seed: number;
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
  FAULTS.forEach((fault, kindIndex) => {
    if (!o.faults.includes(fault.kind)) return;
    const rng = forks.get(fault.kind)!;
    let t = gapMs(o.intervalMs, rng);
    while (t < o.durationMs) {
      const [start, stop] = fault.draw(o, rng);
      all.push({ ...start, atMs: t, kindIndex });
      t += gapMs(o.intervalMs, rng);
      if (t >= o.durationMs) break;
      all.push({ ...stop, atMs: t, kindIndex });
      t += gapMs(o.intervalMs, rng);
    }
  });
  all.sort((a, b) => a.atMs - b.atMs || a.kindIndex - b.kindIndex);
  return all.map(({ kindIndex: _k, ...op }) => op);
}

function gapMs(intervalMs: number, rng: Rng): number {
  return Math.max(1, Math.round(intervalMs * (0.5 + rng.next())));
}
