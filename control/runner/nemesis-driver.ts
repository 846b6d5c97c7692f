// control/runner/nemesis-driver.ts — what the runner needs from a nemesis, and the schedule of a run.
import type { Cluster } from '../../cluster/types.ts';
import { Nemesis } from '../../nemesis/nemesis.ts';
import { TOPOLOGIES } from '../../nemesis/ops.ts';
import { generateCombinedSchedule } from '../../nemesis/schedule.ts';
import { loadScheduleFile } from '../../nemesis/schedule-file.ts';
import type { NemesisOp, PartitionTopology, ScheduledNemesisOp } from '../../nemesis/types.ts';
import type { SeededRng } from '../../lib/rng.ts';
import type { TestOptions } from '../config.ts';

/**
 * NemesisDriver: performs nemesis ops on a cluster. `apply` returns the completion value the
 * history records (what was done to which nodes); `healOps` lists the ops that undo every
 * fault still in force, so the runner can record each; `faultsInForce` feeds the progress line.
 */
export interface NemesisDriver {
  apply(op: NemesisOp): Promise<unknown>;
  healOps(): NemesisOp[];
  faultsInForce(): string[];
}

/**
 * ClusterNemesis adapts nemesis/ Nemesis to the runner. Its heal ops are those of
 * Nemesis.healAll (always stop-partition, since a failed partition op may have half-applied),
 * listed rather than performed so each lands in the history.
 */
export class ClusterNemesis implements NemesisDriver {
  readonly nemesis: Nemesis;

  constructor(cluster: Cluster, rng: SeededRng) {
    this.nemesis = new Nemesis(cluster, { rng });
  }

  apply(op: NemesisOp): Promise<unknown> {
    return this.nemesis.perform(op);
  }

  healOps(): NemesisOp[] {
    const faults = this.nemesis.faults();
    const ops: NemesisOp[] = [{ f: 'stop-partition' }];
    if (faults.paused.length > 0) ops.push({ f: 'resume' });
    if (faults.killed.length > 0) ops.push({ f: 'start' });
    if (Object.keys(faults.clockOffsetsMs).length > 0) ops.push({ f: 'reset-clock' });
    return ops;
  }

  faultsInForce(): string[] {
    return this.nemesis.describeFaults();
  }
}

/**
 * runSchedule: the --nemesis-schedule file when given, else the seeded combined schedule of
 * the --nemesis kinds over the main phase. The schedule's seed is drawn from `rng` (the
 * run's schedule fork), so one run seed fixes the whole timeline.
 */
export function runSchedule(opts: TestOptions, cluster: Pick<Cluster, 'nodes' | 'allNodes'>, rng: SeededRng): ScheduledNemesisOp[] {
  const seed = rng.int(2 ** 31 - 1);
  if (opts.nemesisSchedule !== undefined) return loadScheduleFile(opts.nemesisSchedule, { nodes: cluster.allNodes });
  if (opts.nemesis.length === 0) return [];
  return generateCombinedSchedule({
    faults: opts.nemesis,
    intervalMs: opts.nemesisIntervalS * 1000,
    durationMs: opts.timeLimitS * 1000,
    seed,
    nodes: cluster.nodes,
    partitionNodes: cluster.allNodes,
    topologies: topologiesFor(cluster.allNodes.length),
  });
}

/** topologiesFor: the partition shapes a cluster of `count` nodes has (a ring or bridge needs 3). */
export function topologiesFor(count: number): PartitionTopology[] {
  return TOPOLOGIES.filter((t) => count >= 3 || (t !== 'majorities-ring' && t !== 'bridge'));
}
