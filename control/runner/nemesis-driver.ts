// control/runner/nemesis-driver.ts — what the runner needs from a nemesis, and the schedule of a run.
import { canShapePackets, type Cluster, type PacketShape, type PacketShaping } from '../../cluster/types.ts';
import { unsupported } from '../../nemesis/faults/packet.ts';
import { Nemesis } from '../../nemesis/nemesis.ts';
import { DRAWN_TOPOLOGIES } from '../../nemesis/ops.ts';
import { generateCombinedSchedule } from '../../nemesis/schedule.ts';
import { loadScheduleFile } from '../../nemesis/schedule-file.ts';
import type { NemesisOp, PartitionTopology, ScheduledNemesisOp } from '../../nemesis/types.ts';
import type { SeededRng } from '../../lib/rng.ts';
import { sleepOn, type Timers } from '../../lib/timers.ts';
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
 * ClusterNemesis adapts nemesis/ Nemesis to the runner. Its heal ops are Nemesis.healOps
 * (each kind's undo, in heal order), listed rather than performed so each lands in the history.
 */
export class ClusterNemesis implements NemesisDriver {
  readonly nemesis: Nemesis;

  /**
   * timers: a simulator's virtual time for waits inside a fault (default real time); findPrimary:
   * who the `primary` target hits (default asks the nodes' /status, nemesis/primary.ts).
   */
  constructor(cluster: Cluster, rng: SeededRng, extra: { timers?: Timers; findPrimary?: (cluster: Cluster) => Promise<string | null> } = {}) {
    const { timers, findPrimary } = extra;
    this.nemesis = new Nemesis(cluster, {
      rng,
      ...(timers === undefined ? {} : { sleepMs: (ms: number) => sleepOn(timers, ms) }),
      ...(findPrimary === undefined ? {} : { findPrimary }),
    });
  }

  apply(op: NemesisOp): Promise<unknown> {
    return this.nemesis.perform(op);
  }

  healOps(): NemesisOp[] {
    return this.nemesis.healOps();
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
export function runSchedule(opts: TestOptions, cluster: Pick<Cluster, 'nodes' | 'allNodes'> & Partial<Pick<PacketShaping, 'packetSupport'>>, rng: SeededRng): ScheduledNemesisOp[] {
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
    // Draw only the packet behaviours this cluster can do (see packetNotes for what it cannot).
    packetBehaviours: cluster.packetSupport?.().behaviours,
  });
}

/** topologiesFor: the partition shapes random schedules draw for a cluster of `count` nodes (a ring or bridge needs 3). */
export function topologiesFor(count: number): PartitionTopology[] {
  return DRAWN_TOPOLOGIES.filter((t) => count >= 3 || (t !== 'majorities-ring' && t !== 'bridge'));
}

/**
 * packetNotes: what a run tells the user about its packet faults: the mechanism, and the
 * behaviours this cluster cannot do (draws leave them out; a schedule asking for them fails).
 */
export function packetNotes(opts: TestOptions, cluster: Cluster, schedule: readonly ScheduledNemesisOp[]): string[] {
  if (!schedule.some((op) => op.f === 'start-packet') || !canShapePackets(cluster)) return [];
  const support = cluster.packetSupport();
  for (const op of schedule) {
    if (op.f !== 'start-packet') continue;
    const refusal = unsupported(op.value as PacketShape, cluster);
    if (refusal !== null) throw new Error(`--nemesis-schedule: at ${op.atMs} ms: ${refusal}`);
  }
  const notes = [`packet faults by ${support.mechanism}`];
  if (support.missing !== undefined && opts.nemesisSchedule === undefined) notes.push(`packet faults: ${support.missing}; drawing only ${support.behaviours.join(', ')}`);
  return notes;
}
