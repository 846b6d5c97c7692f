// rsm/raft/safety.ts — Raft's Figure 3 safety properties, checked from every core's observer hooks (the simulator's oracle; the protocol tests' SafetyChecker builds on it).
import { assert } from '../../lib/assert.ts';
import type { NodeId, ProtocolCore, SafetyOracle, SafetyViolation } from '../core/types.ts';
import type { Entry, RaftObserver, Role } from './types.ts';

/** ObservedLog: the part of a raft log the oracle reads (RaftLog has it). */
export interface ObservedLog {
  firstIndex(): number;
  lastIndex(): number;
  term(index: number): number | undefined;
  entry(index: number): Entry;
}

/**
 * ObservedRaftCore: what the oracle needs of a RaftCore, structurally, so that loading the
 * protocol registry does not load raft's core.
 */
export interface ObservedRaftCore {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: number;
  readonly log: ObservedLog;
  observe(observer: RaftObserver): void;
}

/** isObservedRaftCore: a core with raft's observer hook and log. */
function isObservedRaftCore(core: unknown): core is ObservedRaftCore {
  const c = core as Partial<ObservedRaftCore> | null;
  return typeof c === 'object' && c !== null && typeof c.observe === 'function' && typeof c.log === 'object' && typeof c.term === 'number';
}

/** entryKey names an entry by term and full command, which is what the properties compare. */
export function entryKey(e: Entry): string {
  return e.cmd === null ? `${e.term}:noop` : `${e.term}:${e.cmd.clientId}/${e.cmd.seq}:${JSON.stringify(e.cmd.cmd)}`;
}

/** sameEntry: cheap equality for log scans (clientId/seq name one command). */
export function sameEntry(a: Entry, b: Entry): boolean {
  if (a.term !== b.term) return false;
  if (a.cmd === null || b.cmd === null) return a.cmd === b.cmd;
  return a.cmd.clientId === b.cmd.clientId && a.cmd.seq === b.cmd.seq;
}

/** AppliedEntry: the entry first applied at an index (compared by term and clientId/seq, which name one command), by whom and when, and the lowest term of a node applying it. */
export interface AppliedEntry {
  entry: Entry;
  node: NodeId;
  atMs: number;
  termBound: number;
}

/**
 * OldTermCommit: a leader applied an entry of an earlier term below its own no-op, i.e. it
 * committed it by counting replicas (Raft §5.4.2 forbids that; Figure 8). Not a violation by
 * itself — the reactive nemesis's cue to try to overwrite the entry.
 */
export interface OldTermCommit {
  leader: NodeId;
  term: number;
  index: number;
  entryTerm: number;
}

/** VIOLATIONS_MAX bounds what one run keeps (a broken run repeats its violation at every index). */
const VIOLATIONS_MAX = 100;

/**
 * RaftSafetyOracle records violations of Raft's Figure 3 properties as the cores report them:
 * Election Safety (one leader a term), State Machine Safety (one entry applied at an index) and,
 * at each election, Leader Completeness (the new leader holds every entry applied, by a node
 * of an earlier term, at an index it still has). Log Matching needs every log at every step,
 * which only the protocol tests pay for (test/raft/support.ts).
 */
export class RaftSafetyOracle implements SafetyOracle {
  readonly violations: SafetyViolation[] = [];
  /** leaders: term → the node that won it, across the whole history. */
  readonly leaders = new Map<number, NodeId>();
  /** applied: index → the entry first applied there. */
  readonly applied = new Map<number, AppliedEntry>();
  maxApplied = 0;
  /** cores: each node's latest incarnation (a crashed node's last one: its disk still holds about that log). */
  readonly cores = new Map<NodeId, ObservedRaftCore>();
  /** noopAt: per node leading a term, the index of that term's no-op (its first entry of the term). */
  private readonly noopAt = new Map<NodeId, { term: number; index: number }>();
  /** onOldTermCommit: told of every OldTermCommit (the Figure 8 reaction); must not throw. */
  onOldTermCommit: ((commit: OldTermCommit) => void) | null = null;

  /** nowMs: virtual time for the messages; undefined (protocol tests) prints none. */
  constructor(private readonly nowMs?: () => number) {}

  /** watch hooks a core's observer (a core of another protocol is ignored). */
  watch(node: NodeId, core: ProtocolCore): void {
    if (!isObservedRaftCore(core)) return;
    this.cores.set(node, core);
    core.observe({
      onApply: (index, entry, term) => this.onApply(node, index, entry, term),
      onLeader: (term) => this.onLeader(node, term),
    });
  }

  onLeader(node: NodeId, term: number): void {
    const prior = this.leaders.get(term);
    if (prior !== undefined && prior !== node) this.report('Election Safety', `${prior} and ${node} both led term ${term}`);
    else this.leaders.set(term, node);
    const core = this.cores.get(node);
    if (core === undefined) return;
    // becomeLeader appends the no-op before it tells the observer.
    this.noopAt.set(node, { term, index: core.log.lastIndex() });
    this.checkLeaderCompleteness(node, core, term);
  }

  onApply(node: NodeId, index: number, entry: Entry, term: number): void {
    assert(Number.isSafeInteger(index) && index > 0, 'applied index must be positive');
    const prior = this.applied.get(index);
    // Entries are not changed once in a log (the simulator freezes what nodes share), so the first one is kept as it is.
    if (prior === undefined) {
      this.applied.set(index, { entry, node, atMs: this.nowMs?.() ?? 0, termBound: term });
      this.maxApplied = Math.max(this.maxApplied, index);
    } else if (!sameEntry(prior.entry, entry)) {
      this.report('State Machine Safety', `${node} applied ${entryKey(entry)} at index ${index} in term ${term}${this.at()}; ${prior.node} had applied ${entryKey(prior.entry)} there${this.at(prior.atMs)}`);
    } else if (term < prior.termBound) {
      prior.termBound = term;
    }
    this.noteOldTermCommit(node, index, entry, term);
  }

  /** noteOldTermCommit: a leader applying an entry of an earlier term below its own no-op counted it committed. */
  private noteOldTermCommit(node: NodeId, index: number, entry: Entry, term: number): void {
    const lead = this.noopAt.get(node);
    const core = this.cores.get(node);
    if (this.onOldTermCommit === null || lead === undefined || core === undefined) return;
    if (core.role !== 'leader' || lead.term !== term || index >= lead.index || entry.term >= term) return;
    this.onOldTermCommit({ leader: node, term, index, entryTerm: entry.term });
  }

  /** Leader Completeness, at an election: the new leader holds every entry applied by a node of an earlier term. */
  private checkLeaderCompleteness(node: NodeId, core: ObservedRaftCore, term: number): void {
    const last = core.log.lastIndex();
    for (let i = Math.max(1, core.log.firstIndex()); i <= this.maxApplied; i += 1) {
      const c = this.applied.get(i);
      if (c === undefined || c.termBound >= term) continue;
      if (i <= last && sameEntry(core.log.entry(i), c.entry)) continue;
      const held = i <= last ? entryKey(core.log.entry(i)) : 'nothing';
      this.report('Leader Completeness', `${node} won term ${term}${this.at()} holding ${held} at index ${i}, where ${c.node} had applied ${entryKey(c.entry)}${this.at(c.atMs)}`);
      return;
    }
  }

  private report(property: string, words: string): void {
    if (this.violations.length >= VIOLATIONS_MAX) return;
    this.violations.push({ property, atMs: this.nowMs?.() ?? 0, message: `${property}: ${words}` });
  }

  private at(ms = this.nowMs?.()): string {
    return this.nowMs === undefined || ms === undefined ? '' : ` at ${ms.toFixed(3)} ms`;
  }
}
