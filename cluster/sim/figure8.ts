// cluster/sim/figure8.ts — the reactive nemesis's `figure8`: Raft Figure 8 staged on a live cluster, steps (a)–(d), each on the event it needs.
import type { VirtualTimers } from '../../lib/timers.ts';
import { type LogView, upToDate } from './log-view.ts';
import { StagedCuts, StagedLoop } from './staged-cuts.ts';

/** Figure8World: what the reaction needs of the simulated cluster. */
export interface Figure8World {
  timers: VirtualTimers;
  nodes: readonly string[];
  logOf(node: string): LogView | null;
  isolate(node: string, cut: boolean): void;
  sever(a: string, b: string, cut: boolean): void;
  /** propose: `count` writes of a key no workload uses, from the reaction's own client, to `node`. */
  propose(node: string, count: number): void;
  log(node: string, line: string): void;
}

/** Figure8Cue: leader `leader` of `term` committed `index`, an entry of `entryTerm` < term, by counting replicas. */
export interface Figure8Cue {
  leader: string;
  term: number;
  index: number;
  entryTerm: number;
}

/**
 * TAIL_ENTRIES: step (a) leaves this many entries on a minority — more than a leader ships in
 * one AppendEntries (maxAppendEntries, 64), so that in step (c) a follower catching up gets a
 * batch of them without the new leader's no-op.
 */
const TAIL_ENTRIES = 100;
/** STEP_MS_MAX: a step whose event does not come within this gives up and restores every link. */
const STEP_MS_MAX = 2000;
/** PLANT_HEAL_MS: after step (b)'s leader is cut off, the minority rejoins the rest this much later. */
const PLANT_HEAL_MS = 20;
/**
 * STAR_MS: step (d), how long the chosen node is the only one its voters hear: a few election
 * timeouts (150–300 ms by default) and the commit of its own no-op, which overwrites the entry.
 */
const STAR_MS = 1500;

type Stage =
  | { step: 'idle' }
  | { step: 'a'; leader: string; partner: string; term: number }
  | { step: 'c'; planted: string }
  | { step: 'd' };

/**
 * Figure8Stage stages Raft Figure 8 (the paper's S1..S5 are whichever nodes the events pick):
 * (a) a new leader and one follower are cut off from the rest, and the reaction's client
 *     gives the leader TAIL_ENTRIES writes, which reach only that follower;
 * (b) the first leader the rest elect is cut off the moment it wins, so its no-op is its own:
 *     it is now the only node whose last term is newer than the tail's;
 * (c) the minority rejoins the rest (not the leader of (b)); one of the two wins the next
 *     term and ships the tail to a follower, 64 entries to a message: a correct leader waits
 *     for its own no-op to commit them, a leader with commit-old-term counts them committed
 *     (the safety oracle sees it apply them: `cue`);
 * (d) on that cue the counting leader and whoever got its no-op are cut off, the leader of (b)
 *     rejoins, and its voters hear only it: it wins and replicates its no-op over the tail.
 * A step whose event does not come within STEP_MS_MAX restores every link; against correct
 * raft (c) never cues, so (d) never runs. The safety oracle reports what (d) overwrote.
 */
export class Figure8Stage {
  private stage: Stage = { step: 'idle' };
  private readonly cuts: StagedCuts;
  private readonly loop: StagedLoop;
  /** unplanned: the leadership (leader:term) whose cue last found no plan, said once in the log. */
  private unplanned = '';

  constructor(private readonly world: Figure8World) {
    this.cuts = new StagedCuts(world);
    this.loop = new StagedLoop(world.timers, () => {
      this.cuts.restoreAll();
      this.stage = { step: 'idle' };
    });
  }

  /** latest: the leader of the highest term seen, where step (a) starts. */
  private latest: { node: string; term: number } | null = null;

  /** leads: `node` just began to lead `term` (its first AppendEntries is on the wire). */
  leads(node: string, term: number): void {
    if (this.latest === null || term > this.latest.term) this.latest = { node, term };
    const s = this.stage;
    if (s.step === 'a' && node !== s.leader && node !== s.partner && term > s.term) this.stepB(node, term);
  }

  /** start: from now on, stage Figure 8 again and again, beginning at the latest leader. */
  start(untilMs: number): void {
    this.loop.start(untilMs, () => {
      if (this.stage.step === 'idle' && this.latest !== null) this.stepA(this.latest.node, this.latest.term);
    });
  }

  /** cue: a leader committed an old-term entry by counting; in step (c) that is what (d) waits for. */
  cue(c: Figure8Cue): void {
    if (this.stage.step !== 'c') return;
    const plan = this.plan(c);
    // A leader counts a batch at once, its lowest index (held by everyone) first: a later index of it may be the tail.
    if (plan === null && this.unplanned !== `${c.leader}:${c.term}`) {
      this.unplanned = `${c.leader}:${c.term}`;
      const logs = this.world.nodes.map((n) => {
        const v = this.world.logOf(n);
        return v === null ? `${n} -` : `${n} ${v.lastIndex}@${v.lastTerm} (${v.termAt(c.index) ?? '-'} at ${c.index})`;
      });
      this.world.log(c.leader, `reactive: figure8 (d): committed index ${c.index} (term ${c.entryTerm}) in term ${c.term} by counting; no node lacking it could win a vote yet (last index@term: ${logs.join(', ')})`);
    }
    if (plan !== null) this.stepD(c, plan.winner, plan.voters);
  }

  private stepA(leader: string, term: number): void {
    const w = this.world;
    const partner = w.nodes.find((n) => n !== leader);
    if (partner === undefined) return;
    const rest = w.nodes.filter((n) => n !== leader && n !== partner);
    w.log(leader, `reactive: figure8 (a): leader of term ${term} and ${partner} cut off from ${rest.join(', ')}; ${TAIL_ENTRIES} writes proposed to it`);
    for (const a of [leader, partner]) for (const b of rest) this.cuts.sever(a, b, true);
    w.propose(leader, TAIL_ENTRIES);
    this.stage = { step: 'a', leader, partner, term };
    this.giveUpAfter(STEP_MS_MAX, 'a');
  }

  private stepB(planted: string, term: number): void {
    const w = this.world;
    w.log(planted, `reactive: figure8 (b): new leader of term ${term} cut off at once; the minority rejoins in ${PLANT_HEAL_MS} ms`);
    this.cuts.isolate(planted, true);
    this.stage = { step: 'c', planted };
    this.loop.later(PLANT_HEAL_MS, () => this.cuts.mendSevered());
    this.giveUpAfter(STEP_MS_MAX, 'c');
  }

  private stepD(c: Figure8Cue, winner: string, voters: readonly string[]): void {
    const w = this.world;
    const cutOff = w.nodes.filter((n) => n !== winner && !voters.includes(n));
    w.log(c.leader, `reactive: figure8 (d): committed index ${c.index} (term ${c.entryTerm}) in term ${c.term} by counting; ${winner} (without it) may win with ${voters.join(', ')}; ${cutOff.join(', ')} cut off for ${STAR_MS} ms`);
    this.cuts.restoreAll();
    for (const n of cutOff) this.cuts.isolate(n, true);
    for (let a = 0; a < voters.length; a += 1) {
      for (let b = a + 1; b < voters.length; b += 1) this.cuts.sever(voters[a], voters[b], true);
    }
    this.stage = { step: 'd' };
    this.giveUpAfter(STAR_MS, 'd');
  }

  /** plan: the node to win and its voters (a majority with it), or null when none lacking the entry could win. */
  private plan(c: Figure8Cue): { winner: string; voters: string[] } | null {
    const w = this.world;
    const quorum = Math.floor(w.nodes.length / 2) + 1;
    const views = new Map<string, LogView>();
    for (const n of w.nodes) {
      const v = w.logOf(n);
      if (v !== null) views.set(n, v);
    }
    const lacking = [...views.entries()].filter(([n, v]) => n !== c.leader && v.termAt(c.index) !== c.entryTerm);
    // The most up-to-date first: it has the most voters.
    lacking.sort(([, a], [, b]) => b.lastTerm - a.lastTerm || b.lastIndex - a.lastIndex);
    for (const [winner, view] of lacking) {
      const voters = [...views.entries()].filter(([n, v]) => n !== winner && n !== c.leader && upToDate(view, v)).map(([n]) => n);
      if (voters.length + 1 >= quorum) return { winner, voters };
    }
    return null;
  }

  /** giveUpAfter: if the stage is still at `step` after `ms`, every link comes back and the next leader may start again. */
  private giveUpAfter(ms: number, step: Stage['step']): void {
    this.loop.guard(ms, () => this.stage.step === step, () => {
      this.world.log(this.world.nodes[0], `reactive: figure8: step (${step}) over, every link restored`);
      this.loop.end();
    });
  }
}
