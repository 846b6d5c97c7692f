// cluster/sim/knobs.ts — every knob of a simulated world, drawn from the run's seed (TigerBeetle's swarm idea).
import { SeededRng } from '../../lib/rng.ts';
import { WORKLOAD_REQUEST_TIMEOUT_MS } from '../../rsm/client/client.ts';
import { TICK_MS_DEFAULT } from '../../rsm/core/support.ts';

/** LatencyKnob: a link's delay: `minMs` plus an exponential tail of mean `tailMeanMs`. */
export interface LatencyKnob {
  minMs: number;
  tailMeanMs: number;
}

/**
 * SimKnobs: what one seed fixes about the world. Ranges are chosen so a correct protocol stays
 * correct and available (the faults that break protocols come from the nemesis); the seed
 * varies them so a sweep explores many worlds.
 */
export interface SimKnobs {
  /** tickMs: the core tick, as on real nodes (--tick-ms default). */
  tickMs: number;
  /** linkLatency: each directed link's own delay distribution (from→to). */
  linkLatency: Record<string, LatencyKnob>;
  /** clientLatency: control node ↔ any node. */
  clientLatency: LatencyKnob;
  /** lossP, duplicateP: per message; reorderP: a message waits an extra tail (overtaken). */
  lossP: number;
  duplicateP: number;
  reorderP: number;
  /** fsyncLatency: how long a durable write takes. */
  fsyncLatency: LatencyKnob;
  /** writebackMs: with fsync off, the OS writes dirty records back this often. */
  writebackMs: number;
  /** tornP: on a crash, the last record the OS was writing is torn (discarded at replay). */
  tornP: number;
  /** clockOffsetMs, clockDriftPpm: each node's wall clock = epoch + t·(1 + drift) + offset. */
  clockOffsetMs: Record<string, number>;
  clockDriftPpm: Record<string, number>;
  /** nodeRequestTimeoutMs: a node's own bound on a client request (--request-timeout-ms). */
  nodeRequestTimeoutMs: number;
  /** clientRequestTimeoutMs: one client exchange, as the real client's (WORKLOAD_REQUEST_TIMEOUT_MS). */
  clientRequestTimeoutMs: number;
}

/** KNOB_SEED_SALT keeps the world's draws apart from the runner's forks of the same seed. */
const KNOB_SEED_SALT = 0x5eed51;

function pick<T>(rng: SeededRng, options: readonly T[]): T {
  return options[rng.int(options.length)];
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** drawKnobs: the knobs of the world of `seed` with these nodes (the view server included). */
export function drawKnobs(seed: number, nodes: readonly string[]): SimKnobs {
  const rng = new SeededRng((seed ^ KNOB_SEED_SALT) >>> 0);
  const meanMs = pick(rng, [0.5, 1, 2, 5]);
  const linkLatency: Record<string, LatencyKnob> = {};
  for (const from of nodes) {
    for (const to of nodes) {
      if (from === to) continue;
      linkLatency[`${from}>${to}`] = { minMs: round3(0.1 + rng.next() * meanMs), tailMeanMs: round3(meanMs * (0.5 + rng.next())) };
    }
  }
  const clockOffsetMs: Record<string, number> = {};
  const clockDriftPpm: Record<string, number> = {};
  const driftPpmMax = pick(rng, [0, 100, 1000, 10_000]);
  for (const n of nodes) {
    clockOffsetMs[n] = rng.int(2001) - 1000;
    clockDriftPpm[n] = driftPpmMax === 0 ? 0 : rng.int(2 * driftPpmMax + 1) - driftPpmMax;
  }
  return {
    tickMs: TICK_MS_DEFAULT,
    linkLatency,
    clientLatency: { minMs: 0.1, tailMeanMs: round3(meanMs / 2) },
    lossP: pick(rng, [0, 0, 0.001, 0.01, 0.03]),
    duplicateP: pick(rng, [0, 0.001, 0.01]),
    reorderP: pick(rng, [0, 0.01, 0.05]),
    fsyncLatency: { minMs: pick(rng, [0.2, 1, 3]), tailMeanMs: pick(rng, [0.5, 2, 5]) },
    writebackMs: pick(rng, [1000, 5000, 30_000]),
    tornP: 0.5,
    clockOffsetMs,
    clockDriftPpm,
    nodeRequestTimeoutMs: 1000,
    clientRequestTimeoutMs: WORKLOAD_REQUEST_TIMEOUT_MS,
  };
}

/** drawLatency: one delay from a latency knob. */
export function drawLatency(rng: SeededRng, knob: LatencyKnob): number {
  return knob.minMs - knob.tailMeanMs * Math.log(1 - rng.next());
}

/** describeKnobs: the knobs as a flat record for test.json and the first line of a run (links summarised). */
export function describeKnobs(seed: number, knobs: SimKnobs): Record<string, unknown> {
  const links = Object.values(knobs.linkLatency);
  const meanOf = (k: LatencyKnob): number => k.minMs + k.tailMeanMs;
  const linkMeans = links.map(meanOf);
  return {
    seed,
    tickMs: knobs.tickMs,
    linkLatencyMeanMs: linkMeans.length === 0 ? 0 : round3(linkMeans.reduce((a, b) => a + b, 0) / linkMeans.length),
    linkLatencyMeanMsMax: linkMeans.length === 0 ? 0 : round3(Math.max(...linkMeans)),
    clientLatencyMeanMs: round3(meanOf(knobs.clientLatency)),
    lossP: knobs.lossP,
    duplicateP: knobs.duplicateP,
    reorderP: knobs.reorderP,
    fsyncLatencyMeanMs: round3(meanOf(knobs.fsyncLatency)),
    writebackMs: knobs.writebackMs,
    tornP: knobs.tornP,
    clockOffsetMs: knobs.clockOffsetMs,
    clockDriftPpm: knobs.clockDriftPpm,
    nodeRequestTimeoutMs: knobs.nodeRequestTimeoutMs,
    clientRequestTimeoutMs: knobs.clientRequestTimeoutMs,
    linkLatency: knobs.linkLatency,
  };
}
