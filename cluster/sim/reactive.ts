// cluster/sim/reactive.ts — the reactive nemesis: faults timed to events seen on the simulated wire, which a schedule of timed ops cannot hit.
import { SeededRng } from '../../lib/rng.ts';
import type { VirtualTimers } from '../../lib/timers.ts';
import type { ProtocolEvent } from '../../rsm/core/types.ts';
import { type Figure8Cue, Figure8Stage, type Figure8World } from './figure8.ts';
import { revoteCastable, RevoteStage } from './revote.ts';

/**
 * REACTIONS: what `--sim-react` may switch on.
 * - crash-after-vote: a node that just granted a vote (its reply is on the wire) crashes and
 *   restarts a few ms later; what reaches it meanwhile arrives just after the restart (its
 *   inbound links slow, not cut), and its vote reaches the candidate only after that (a slow
 *   link): a rival candidate's RequestVote of the same term then meets a voter that, if it did
 *   not persist its vote, votes again, before the first candidate wins and silences the rival;
 * - split-rival-leaders: a second node that leads a term someone already leads (only a broken
 *   election makes one) is cut off from the first, both ways, for a while, so neither steps
 *   down on the other's AppendEntries and both go on committing — the damage becomes visible;
 * - isolate-new-leader: a node that just began to lead a term is cut off from every peer, both
 *   ways, a moment after its first AppendEntries left (so a first batch may or may not arrive),
 *   and rejoins later — a leader whose own entries never reached a majority (Raft Figure 8);
 * - figure8: Raft Figure 8 staged step by step (figure8.ts): a leader's tail left on a
 *   minority, a rival's term planted, the tail shipped in batches without the new leader's
 *   no-op; when a leader then commits it by counting (cued by the simulator's safety oracle,
 *   which sees the cores apply), the rival is made to win and replicate over it;
 * - revote-after-crash: staged step by step (revote.ts): the latest leader is cut off, the first
 *   follower to campaign gets its votes, one voter crashes right after voting and stays down
 *   while the winner is kept from it; the old leader, restarted, campaigns in the same term and
 *   the voter comes back just before its RequestVote arrives — a voter that forgot its vote
 *   elects a second leader of the term.
 */
export const REACTIONS = ['crash-after-vote', 'split-rival-leaders', 'isolate-new-leader', 'figure8', 'revote-after-crash'] as const;
export type Reaction = (typeof REACTIONS)[number];

/**
 * STAGED_REACTIONS each take over the cluster's links and crashes for a scenario of several
 * steps; another reaction cutting or crashing nodes meanwhile would break the staging (a cut it
 * restores, a voter it restarts early), so a staged reaction runs alone.
 */
export const STAGED_REACTIONS: readonly Reaction[] = ['figure8', 'revote-after-crash'];

/** reactionsRefusal: why these reactions cannot run on a cluster of `nodes`, or null when they can. */
export function reactionsRefusal(reactions: readonly Reaction[], nodes: number): string | null {
  const conflict = reactionsConflict(reactions);
  if (conflict !== null) return conflict;
  // Else the staging would find no cast and the run would end valid having tested nothing.
  if (reactions.includes('revote-after-crash') && !revoteCastable(nodes)) {
    return `revote-after-crash needs an odd --nodes of 3 or more (two majorities of an even cluster share two voters), got ${nodes}`;
  }
  return null;
}

/** reactionsConflict: why these reactions cannot run together, or null when they can. */
function reactionsConflict(reactions: readonly Reaction[]): string | null {
  const distinct = [...new Set(reactions)];
  const staged = distinct.filter((r) => STAGED_REACTIONS.includes(r));
  if (staged.length === 0 || distinct.length === 1) return null;
  return `${staged[0]} stages its own cuts and crashes and runs alone, got ${distinct.join(',')}`;
}

/** REACTIVE_SEED_SALT keeps the reactive draws apart from the world's and the runner's, so switching it on moves nothing else. */
const REACTIVE_SEED_SALT = 0x4eac7;

/**
 * Per event, the chance a reaction fires: every first vote of a term (a crashed voter is back in
 * ms, so elections still finish); half of the new leaders, so some terms keep their leader and
 * the cluster makes progress between isolations.
 */
const CRASH_P = 1;
const ISOLATE_P = 0.5;
/** Windows (virtual ms): a crashed voter is down RESTART; a new leader is cut after CUT_DELAY and held apart for HOLD. */
const RESTART_MS = { min: 0.01, max: 2 };
/** VOTE_LAG_MS: how long after the voter's restart its first vote still reaches the candidate. */
const VOTE_LAG_MS = { min: 0, max: 5 };
const CUT_DELAY_MS = { min: 0, max: 5 };
const HOLD_MS = { min: 200, max: 2000 };

/** ReactiveWorld: what the reactive nemesis can do to the simulated cluster. */
export interface ReactiveWorld {
  timers: VirtualTimers;
  crash(node: string): void;
  /** restart: start `node` again if it is still down. */
  restart(node: string): void;
  /** hold: packets reaching `node` (with `from`: over the link from→node) in the next `ms` arrive after it instead. */
  hold(node: string, ms: number, from?: string): void;
  /** isolate cuts (or, with false, restores) every link of `node` on top of the nemesis's grudge. */
  isolate(node: string, cut: boolean): void;
  /** sever cuts (or restores) the link between two nodes, both ways. */
  sever(a: string, b: string, cut: boolean): void;
  log(node: string, line: string): void;
  /** nodes, logOf, propose: what the figure8 reaction needs (figure8.ts). */
  nodes: Figure8World['nodes'];
  logOf: Figure8World['logOf'];
  propose: Figure8World['propose'];
}

/**
 * ReactiveNemesis watches what nodes send and answers chosen events with a fault. Its draws
 * come from its own PRNG of the run seed and events arrive in virtual-time order, so a seed
 * reacts the same way every run. It stops reacting at `untilMs` (the end of the main phase),
 * so the final reads meet a cluster left alone.
 */
export class ReactiveNemesis {
  private readonly rng: SeededRng;
  private readonly ledTerm = new Map<string, number>();
  /** leaderOf: the first node seen leading each term. */
  private readonly leaderOf = new Map<number, string>();
  private readonly crashed = new Set<string>();
  /** crashedInTerm: the last term each node was crashed after voting in; a second vote of that term goes unhindered (else its lag would cancel the first's). */
  private readonly crashedInTerm = new Map<string, number>();
  private readonly isolated = new Set<string>();
  private readonly figure8: Figure8Stage;
  private readonly revote: RevoteStage;

  constructor(
    private readonly world: ReactiveWorld,
    private readonly reactions: ReadonlySet<Reaction>,
    seed: number,
    private readonly untilMs: number,
  ) {
    // resolveOptions refuses these up front; options built another way (testOptions) meet the same rule here.
    const why = reactionsRefusal([...reactions], world.nodes.length);
    if (why !== null) throw new Error(`--sim-react: ${why}`);
    this.rng = new SeededRng((seed ^ REACTIVE_SEED_SALT) >>> 0);
    this.figure8 = new Figure8Stage(world);
    if (reactions.has('figure8')) this.figure8.start(untilMs);
    this.revote = new RevoteStage(world);
    if (reactions.has('revote-after-crash')) this.revote.start(untilMs);
  }

  /**
   * stagings: how many stagings of revote-after-crash reached their last step, (4): the
   * rival asking the voter again (figure8's last step runs only on a bug's cue, so it is not
   * counted). A valid control run says something only if this is above 0.
   */
  stagings(): number {
    return this.revote.stagingsAsked();
  }

  /** oldTermCommit: the oracle saw a leader commit an old-term entry by counting (the figure8 reaction's cue). */
  oldTermCommit(cue: Figure8Cue): void {
    if (!this.reactions.has('figure8') || this.world.timers.nowMs() >= this.untilMs) return;
    // Not inside the leader's own step: the cut runs as the next event.
    this.world.timers.at(0, () => this.figure8.cue(cue));
  }

  /** observe: `node` sent a message to `to` that says `event` happened at it. */
  observe(node: string, to: string, event: ProtocolEvent): void {
    if (event.kind === 'leads') {
      // Only the first AppendEntries of a term marks the election; the rest are its heartbeats.
      if ((this.ledTerm.get(node) ?? 0) >= event.term) return;
      this.ledTerm.set(node, event.term);
      const first = this.leaderOf.get(event.term);
      if (first === undefined) this.leaderOf.set(event.term, node);
      else if (this.world.timers.nowMs() < this.untilMs && this.reactions.has('split-rival-leaders')) this.splitRivals(first, node, event.term);
    }
    if (this.world.timers.nowMs() >= this.untilMs) return;
    if (event.kind === 'voted' && this.reactions.has('crash-after-vote')) this.crashAfterVote(node, to, event.term);
    if (event.kind === 'leads' && this.reactions.has('isolate-new-leader')) this.isolateNewLeader(node, event.term);
    if (event.kind === 'leads' && this.reactions.has('figure8')) this.figure8.leads(node, event.term);
    if (this.reactions.has('revote-after-crash')) this.observeRevote(node, to, event);
  }

  private observeRevote(node: string, to: string, event: ProtocolEvent): void {
    if (event.kind === 'leads') this.revote.leads(node, event.term);
    else if (event.kind === 'campaigns') this.revote.campaigns(node, event.term);
    else this.revote.voted(node, to, event.term);
  }

  private crashAfterVote(node: string, candidate: string, term: number): void {
    if (this.crashed.has(node) || (this.crashedInTerm.get(node) ?? -1) >= term || this.rng.next() >= CRASH_P) return;
    const downMs = this.draw(RESTART_MS);
    this.crashed.add(node);
    this.crashedInTerm.set(node, term);
    // Not inside the node's own send: the crash runs as the next event, after the reply left.
    this.world.timers.at(0, () => {
      this.world.log(node, `reactive: crash after voting for ${candidate} in term ${term}, restart in ${downMs.toFixed(3)} ms`);
      this.world.crash(node);
      this.world.hold(node, downMs);
      // The vote itself is slow too, so the candidate does not win (and silence its rival) before the voter is back.
      this.world.hold(candidate, downMs + this.draw(VOTE_LAG_MS), node);
    });
    this.world.timers.at(downMs, () => {
      this.crashed.delete(node);
      this.world.restart(node);
    });
  }

  private splitRivals(first: string, second: string, term: number): void {
    const holdMs = this.draw(HOLD_MS);
    this.world.log(second, `reactive: leads term ${term} beside ${first}; the two cut apart for ${holdMs.toFixed(0)} ms`);
    this.world.sever(first, second, true);
    this.world.timers.at(holdMs, () => this.world.sever(first, second, false));
  }

  private isolateNewLeader(node: string, term: number): void {
    if (this.isolated.has(node) || this.rng.next() >= ISOLATE_P) return;
    const delayMs = this.draw(CUT_DELAY_MS);
    const holdMs = this.draw(HOLD_MS);
    this.isolated.add(node);
    this.world.timers.at(delayMs, () => {
      this.world.log(node, `reactive: isolated as the new leader of term ${term} for ${holdMs.toFixed(0)} ms`);
      this.world.isolate(node, true);
    });
    this.world.timers.at(delayMs + holdMs, () => {
      this.isolated.delete(node);
      this.world.log(node, 'reactive: rejoined');
      this.world.isolate(node, false);
    });
  }

  private draw(range: { min: number; max: number }): number {
    return range.min + this.rng.next() * (range.max - range.min);
  }
}
