// cluster/sim/staged-cuts.ts — what a staged reaction (figure8, revote) shares: the links it cut, remembered so that giving up restores every one, and the loop of its stagings.
import type { VirtualTimers } from '../../lib/timers.ts';
import { linkKey } from './network.ts';

/** CutWorld: the link faults of the simulated network a staged reaction uses. */
export interface CutWorld {
  isolate(node: string, cut: boolean): void;
  sever(a: string, b: string, cut: boolean): void;
}

/** StagedCuts isolates nodes and severs links through the world and remembers which, so restoreAll undoes exactly those. */
export class StagedCuts {
  private readonly isolated = new Set<string>();
  /** severed: by linkKey (a|b and b|a are one link), the pair as it was cut. */
  private readonly severed = new Map<string, readonly [string, string]>();

  constructor(private readonly world: CutWorld) {}

  isolate(node: string, cut: boolean): void {
    if (cut) this.isolated.add(node);
    else this.isolated.delete(node);
    this.world.isolate(node, cut);
  }

  sever(a: string, b: string, cut: boolean): void {
    const key = linkKey(a, b);
    if (cut) this.severed.set(key, [a, b]);
    else this.severed.delete(key);
    this.world.sever(a, b, cut);
  }

  /** mendSevered: every severed link comes back (isolations stay). */
  mendSevered(): void {
    for (const [a, b] of [...this.severed.values()]) this.sever(a, b, false);
  }

  restoreAll(): void {
    for (const n of [...this.isolated]) this.isolate(n, false);
    this.mendSevered();
  }
}

/** START_MS: the cluster first elects a leader and warms up; RETRY_MS: how often an idle stage looks for one again. */
const START_MS = 1000;
const RETRY_MS = 500;

/**
 * StagedLoop is the loop every staged reaction runs: from START_MS on, every RETRY_MS, try to
 * begin a staging; each staging has an attempt number, so a step's timeout or a deferred step
 * of one that ended meanwhile does nothing; at the end of the main phase whatever is under way
 * ends, so the final phase meets a cluster left alone.
 */
export class StagedLoop {
  private attempt = 0;

  /** `onEnd` restores what the staging did (every cut, every node it downed) and makes its stage idle. */
  constructor(
    private readonly timers: VirtualTimers,
    private readonly onEnd: () => void,
  ) {}

  /** start: `tryStep` (which begins a staging if the stage is idle and has a leader to start at) from START_MS, every RETRY_MS, until `untilMs`. */
  start(untilMs: number, tryStep: () => void): void {
    const tryStart = (): void => {
      if (this.timers.nowMs() >= untilMs) return;
      tryStep();
      this.timers.at(RETRY_MS, tryStart);
    };
    this.timers.at(START_MS, tryStart);
    this.timers.at(Math.max(0, untilMs - this.timers.nowMs()), () => this.end());
  }

  /** guard: if after `ms` this staging is still under way and `stuck()` (still at the step it was at), `giveUp()`. */
  guard(ms: number, stuck: () => boolean, giveUp: () => void): void {
    const attempt = this.attempt;
    this.timers.at(ms, () => {
      if (attempt === this.attempt && stuck()) giveUp();
    });
  }

  /** later: `step` after `ms`, unless this staging has ended by then. */
  later(ms: number, step: () => void): void {
    const attempt = this.attempt;
    this.timers.at(ms, () => {
      if (attempt === this.attempt) step();
    });
  }

  /** end: the staging under way (if any) is undone; the next may start. */
  end(): void {
    this.onEnd();
    this.attempt += 1;
  }
}
