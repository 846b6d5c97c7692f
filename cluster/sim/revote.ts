// cluster/sim/revote.ts — the reactive nemesis's `revote-after-crash`: a voter that crashed right after voting is asked again, in the same term, by a rival candidate whose log it must accept.
import type { VirtualTimers } from '../../lib/timers.ts';
import { type LogView, upToDate } from './log-view.ts';
import { StagedCuts, StagedLoop } from './staged-cuts.ts';

/** RevoteWorld: what the reaction needs of the simulated cluster. */
export interface RevoteWorld {
  timers: VirtualTimers;
  nodes: readonly string[];
  logOf(node: string): LogView | null;
  crash(node: string): void;
  /** restart: start `node` again if it is down. */
  restart(node: string): void;
  isolate(node: string, cut: boolean): void;
  sever(a: string, b: string, cut: boolean): void;
  log(node: string, line: string): void;
}

/**
 * Cast: who plays what in one staging of term `term`. `first` campaigns first and wins with
 * `voter` and `firstVoters`; `rival` (the leader of the term before, restarted) campaigns in the
 * same term and asks `voter` again and `rivalVoters`, which were kept down until then.
 */
interface Cast {
  term: number;
  first: string;
  rival: string;
  voter: string;
  firstVoters: string[];
  rivalVoters: string[];
}

type Stage =
  | { step: 'idle' }
  | { step: 'isolated'; leader: string; term: number }
  | { step: 'voting'; cast: Cast }
  | { step: 'rival'; cast: Cast }
  | { step: 'asked'; cast: Cast };

/**
 * STEP_MS_MAX: a step whose event does not come within this gives up and restores the cluster:
 * each waits for an election timer (150–300 ms by default) or a vote, well within it.
 */
const STEP_MS_MAX = 1000;
/** ASKED_MS: once the rival asks, the cluster stays as staged this long (its election, both leaders of the term at work), then every link and node comes back. */
const ASKED_MS = 300;

/** revoteCastable: whether a cluster of `nodes` has a cast: an odd one of 3 or more (two majorities of an even cluster share two voters, so C cannot be the only one). */
export function revoteCastable(nodes: number): boolean {
  return nodes >= 3 && nodes % 2 === 1;
}

/**
 * RevoteStage stages the one schedule that shows a voter forgetting its vote (Raft §5.2 needs
 * votedFor on stable storage), on whichever nodes the events pick:
 * (1) the latest leader L, of term T-1, is cut off from every peer; its followers' logs stop
 *     growing;
 * (2) the first follower A to campaign (term T) is cast: C and the other voters A needs are
 *     followers whose logs A's is at least as up-to-date as; the rest (the voters L will need)
 *     go down before A's RequestVote reaches them, and L restarts (now a follower of T-1 whose
 *     log holds every follower's, the entries it sent them were durable long before), still
 *     cut off from A;
 * (3) C's vote leaves for A, and C crashes at once and stays down; A wins and is cut off
 *     from C, so its AppendEntries never make C's log longer than L's;
 * (4) L's election timer fires (nobody reaches it with term T), it campaigns in term T, and C
 *     and L's voters restart just before its RequestVote reaches them: a voter that persisted
 *     its vote refuses, one that did not votes a second time, and L leads term T beside A.
 * Correct raft is left with legal faults: an isolation, crashes and restarts; L loses its
 * election. After ASKED_MS (or a step's timeout) every link and node comes back and the next
 * leader is staged again. An even cluster has no such cast: L's and A's majorities would share
 * two nodes.
 */
export class RevoteStage {
  private stage: Stage = { step: 'idle' };
  private readonly cuts: StagedCuts;
  private readonly loop: StagedLoop;
  private readonly down = new Set<string>();
  /** latest: the leader of the highest term seen, where step (1) starts. */
  private latest: { node: string; term: number } | null = null;
  /** asked: stagings that reached step (4); a control run that stays valid has tested something only if this is above 0. */
  private asked = 0;

  constructor(private readonly world: RevoteWorld) {
    this.cuts = new StagedCuts(world);
    // Every link and node this stage touched comes back; the next staging may start.
    this.loop = new StagedLoop(world.timers, () => {
      this.cuts.restoreAll();
      for (const n of [...this.down]) this.restart(n);
      this.stage = { step: 'idle' };
    });
  }

  /** start: from now on, stage the revote again and again, beginning at the latest leader. */
  start(untilMs: number): void {
    const w = this.world;
    // A guard only: reactionsRefusal (reactive.ts) refuses such a run up front.
    if (!revoteCastable(w.nodes.length)) {
      w.log(w.nodes[0], `reactive: revote-after-crash needs an odd cluster of 3 or more nodes, not ${w.nodes.length}; it does nothing`);
      return;
    }
    this.loop.start(untilMs, () => {
      if (this.stage.step === 'idle' && this.latest !== null) this.isolateLeader(this.latest.node, this.latest.term);
    });
  }

  /** stagingsAsked: how many stagings reached step (4), the rival asking the voter again. */
  stagingsAsked(): number {
    return this.asked;
  }

  /** leads: `node` just began to lead `term` (its first AppendEntries is on the wire). */
  leads(node: string, term: number): void {
    if (this.latest === null || term > this.latest.term) this.latest = { node, term };
    const s = this.stage;
    // Step (3): the winner's AppendEntries must not reach the crashed voter once it is back (nor after step 4 restarted it).
    if ((s.step === 'voting' || s.step === 'rival' || s.step === 'asked') && node === s.cast.first && term === s.cast.term) this.cuts.sever(node, s.cast.voter, true);
  }

  /** campaigns: `node` asks for votes in `term` (its first RequestVote of the term is on the wire). */
  campaigns(node: string, term: number): void {
    const s = this.stage;
    if (s.step === 'isolated' && node !== s.leader) {
      if (term === s.term + 1) this.cast(node, term, s.leader);
      else this.giveUp(`${node} campaigns in term ${term}, not ${s.term + 1}`);
    } else if ((s.step === 'voting' || s.step === 'rival') && node !== s.cast.first) {
      // Step (4) only once C has voted: a rival campaigning earlier would be asking a voter that never crashed.
      if (s.step === 'rival' && node === s.cast.rival && term === s.cast.term) this.ask(s.cast);
      else this.giveUp(`${node} campaigns in term ${term}${s.step === 'voting' ? `, before ${s.cast.voter} voted` : ''}`);
    } else if ((s.step === 'voting' || s.step === 'rival') && term > s.cast.term) {
      this.giveUp(`${node} campaigns again, in term ${term}`);
    }
  }

  /** voted: `node` granted its vote in `term` to `candidate` (the reply is on the wire). */
  voted(node: string, candidate: string, term: number): void {
    const s = this.stage;
    if (s.step !== 'voting' || node !== s.cast.voter || candidate !== s.cast.first || term !== s.cast.term) return;
    const cast = s.cast;
    this.stage = { step: 'rival', cast };
    // The rival may never campaign (a nemesis on top killed or paused it): C and its voters must not stay down until the main phase ends.
    this.giveUpAfter('rival');
    // Not inside the voter's own send: the crash runs as the next event, after the reply left.
    this.world.timers.at(0, () => {
      if (this.stage.step !== 'rival' || this.stage.cast !== cast) return;
      this.world.log(node, `reactive: revote (3): crash after voting for ${candidate} in term ${term}; down until ${cast.rival} campaigns`);
      this.crash(node);
    });
  }

  /** Step (1). */
  private isolateLeader(leader: string, term: number): void {
    this.world.log(leader, `reactive: revote (1): leader of term ${term} cut off from every peer`);
    this.cuts.isolate(leader, true);
    this.stage = { step: 'isolated', leader, term };
    this.giveUpAfter('isolated');
  }

  /** Step (2): `first` campaigns in `term`; cast the voters, or give up when it cannot win. */
  private cast(first: string, term: number, rival: string): void {
    const w = this.world;
    const quorum = Math.floor(w.nodes.length / 2) + 1;
    const firstLog = w.logOf(first);
    const others = w.nodes.filter((n) => n !== first && n !== rival);
    const logs = new Map(others.map((n) => [n, w.logOf(n)] as const));
    if (firstLog === null || [...logs.values()].some((v) => v === null)) return this.giveUp('a log is unknown');
    const accepting = others.filter((n) => upToDate(firstLog, logs.get(n)!));
    if (accepting.length < quorum - 1) return this.giveUp(`${first} (log ${firstLog.lastIndex}@${firstLog.lastTerm}) is behind too many followers to win`);
    const [voter, ...firstVoters] = accepting.slice(0, quorum - 1);
    const rivalVoters = others.filter((n) => n !== voter && !firstVoters.includes(n));
    const cast: Cast = { term, first, rival, voter, firstVoters, rivalVoters };
    this.stage = { step: 'voting', cast };
    // Not inside the candidate's own send; still before its RequestVote reaches anyone.
    this.loop.later(0, () => {
      w.log(first, `reactive: revote (2): ${first} campaigns in term ${term}; ${[voter, ...firstVoters].join(', ')} may vote for it, ${rivalVoters.length === 0 ? 'no one' : rivalVoters.join(', ')} down, ${rival} restarted as a follower of term ${term - 1}`);
      for (const n of rivalVoters) {
        this.crash(n);
        this.cuts.sever(first, n, true);
      }
      w.crash(rival);
      w.restart(rival);
      // What the rival's disk kept holds every follower's log (they stopped growing at step 1, and what it sent them was durable long before), or no follower need vote for it.
      const rivalLog = w.logOf(rival);
      if (rivalLog === null || others.some((n) => !upToDate(rivalLog, logs.get(n)!))) return this.giveUp(`${rival}'s log after its restart is behind a follower's`);
      this.cuts.isolate(rival, false);
      this.cuts.sever(first, rival, true);
    });
    this.giveUpAfter('voting');
  }

  /** Step (4): the rival campaigns in the voter's term; its voters come back before its RequestVote reaches them. */
  private ask(cast: Cast): void {
    const w = this.world;
    w.log(cast.rival, `reactive: revote (4): ${cast.rival} campaigns in term ${cast.term}; ${[cast.voter, ...cast.rivalVoters].join(', ')} restart before its RequestVote reaches them`);
    this.stage = { step: 'asked', cast };
    this.asked += 1;
    // Not inside the rival's own send; its RequestVote is at least a link's minimum latency away.
    this.loop.later(0, () => {
      for (const n of [cast.voter, ...cast.rivalVoters]) this.restart(n);
    });
    this.loop.later(ASKED_MS, () => this.loop.end());
  }

  /** giveUpAfter: if the stage is still at `step` after STEP_MS_MAX, give up. */
  private giveUpAfter(step: Stage['step']): void {
    this.loop.guard(STEP_MS_MAX, () => this.stage.step === step, () => this.giveUp(`step ${step} timed out`));
  }

  private giveUp(why: string): void {
    this.world.log(this.world.nodes[0], `reactive: revote: given up (${why}), every link and node restored`);
    this.loop.end();
  }

  private crash(node: string): void {
    this.down.add(node);
    this.world.crash(node);
  }

  private restart(node: string): void {
    this.down.delete(node);
    this.world.restart(node);
  }
}
