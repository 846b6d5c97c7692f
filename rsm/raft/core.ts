// rsm/raft/core.ts — the Raft core: roles, transitions, dispatch of ticks, messages and requests.
//
// The protocol rules live in election.ts, replication.ts, snapshot.ts, reads.ts and requests.ts;
// the node's state in small guarded classes (term-state.ts, log.ts, progress.ts, read-state.ts,
// self-ack.ts, timers.ts). This file wires them: the become* transitions, the term rules every
// message passes (Raft §5.1) before its role's handler (step.ts), and applying committed entries.
import {
  noEffects,
  type ClientReply, type ClientRequest, type CoreConfig, type CoreFactory, type Effects, type NodeId,
  type NodeStatus, type PersistOp, type ProtocolCore,
} from '../core/types.ts';
import { KvStateMachine } from '../kv/state-machine.ts';
import { assert } from '../../lib/assert.ts';
import { ignoresVoteRequest, startElection } from './election.ts';
import type { RaftLog } from './log.ts';
import { checkRaftBugs, parseRaftOptions } from './options.ts';
import {
  catchUpRounds, ChangeState, configurationApplied, handleMembershipRequest, isVoter, stepDownIfRemoved, tickCatchUp,
  type MembershipChange,
} from './membership.ts';
import { FollowerProgress, ProgressTracker } from './progress.ts';
import { Proposals } from './proposals.ts';
import { ReadState } from './read-state.ts';
import { failPendingReads, servePendingReads } from './reads.ts';
import { advanceCommit, startRound } from './replication.ts';
import { handleRequest } from './requests.ts';
import { LeaderDurability } from './self-ack.ts';
import { answerStale, stepCandidate, stepFollower, stepLeader } from './step.ts';
import { maybeSnapshot } from './snapshot.ts';
import { compactionOp, entriesOp, hardStateOp, restoreState } from './storage.ts';
import { TermState } from './term-state.ts';
import { RaftTimers } from './timers.ts';
import type { Entry, RaftMessage, RaftObserver, RaftOptions, Role, SnapshotRecord } from './types.ts';

/** RoleHandler: how a role handles ticks and messages; the role in TermState picks one (etcd's step*). */
interface RoleHandler {
  tick(): void;
  step(from: NodeId, msg: RaftMessage): void;
}

/**
 * RaftCore: one Raft replica of the KV state machine. No PreVote: elections follow the paper
 * (with the §6 vote-ignoring rule only under reads=lease, see election.ts). Its state is read
 * through getters and changed only through methods: term, vote and role (TermState), the log
 * with its commit and apply marks (RaftLog), the leader's per-follower progress (ProgressTracker)
 * and its read state (ReadState) are classes that assert their invariants.
 */
export class RaftCore implements ProtocolCore<RaftMessage> {
  readonly id: NodeId;
  /** others: every server of the group except this node, voting or not (CoreConfig.peers). */
  readonly others: NodeId[];
  readonly opts: RaftOptions;
  readonly bugs: ReadonlySet<string>;
  readonly config: CoreConfig;
  readonly log: RaftLog;
  /** tracker: the leader's progress of each follower (empty unless leading). */
  readonly tracker = new ProgressTracker();
  /** reads: the leader's heartbeat rounds, lease and waiting reads. */
  readonly reads = new ReadState();
  readonly timers: RaftTimers;
  /** proposals: client requests waiting for their entries to apply (leader only). */
  readonly proposals = new Proposals();
  /** changes: the leader's membership change in progress (membership.ts). */
  readonly changes = new ChangeState();

  private readonly termState: TermState;
  private observer: RaftObserver | null = null;
  private smValue: KvStateMachine;
  private snapshotValue: SnapshotRecord | null;
  private readonly durability = new LeaderDurability();

  /** snapshotsInstalled counts InstallSnapshot messages that replaced our state (GET /status). */
  private snapshotsInstalled = 0;
  /** snapshotsSent counts InstallSnapshot messages sent as leader (GET /status). */
  private snapshotsSent = 0;
  /** recordCount: how many records the durable log holds, to keep it bounded. */
  private recordCount: number;
  /** fx collects the effects of the call in progress. */
  private fx: Effects<RaftMessage> = noEffects();
  private readonly handlers: Record<Role, RoleHandler>;

  constructor(config: CoreConfig, restored: readonly unknown[]) {
    assert(config.peers.includes(config.id), () => `peers ${config.peers.join(',')} lack ${config.id}`);
    checkRaftBugs(config.bugs);
    this.id = config.id;
    this.config = config;
    this.others = config.peers.filter((p) => p !== config.id);
    this.opts = parseRaftOptions(config.options);
    this.bugs = config.bugs;
    const state = restoreState(restored, config.peers);
    this.recordCount = restored.length;
    // A node that acked a leader has persisted that leader's term, so a node with no records
    // never acked anyone: it needs no post-restart wait before voting.
    this.timers = new RaftTimers(this.opts, config.rng, restored.length === 0);
    this.termState = new TermState(this.id, state.term, state.vote);
    // Raft Figure 2: commitIndex and lastApplied are volatile; the snapshot is known committed
    // (RaftLog.compactTo raised both to the snapshot's index while restoring).
    this.log = state.log;
    this.snapshotValue = state.snapshot;
    this.smValue = state.snapshot === null ? new KvStateMachine() : KvStateMachine.restore(state.snapshot.data);
    this.handlers = {
      follower: { tick: () => this.tickElection(), step: (f, m) => stepFollower(this, f, m) },
      candidate: { tick: () => this.tickElection(), step: (f, m) => stepCandidate(this, f, m) },
      leader: { tick: () => this.tickLeader(), step: (f, m) => stepLeader(this, f, m) },
    };
  }

  // ---- read-only state ----

  /** voters: the latest configuration in this node's log, committed or not (Raft thesis §4.1). */
  get voters(): readonly NodeId[] {
    return this.log.configs.voters();
  }

  /** quorum: a majority of the current voters. */
  get quorum(): number {
    return Math.floor(this.voters.length / 2) + 1;
  }

  get role(): Role {
    return this.termState.role;
  }

  /** term: Raft Figure 2 currentTerm (persistent). */
  get term(): number {
    return this.termState.term;
  }

  /** votedFor: Raft Figure 2, the candidate voted for in this term (persistent). */
  get votedFor(): NodeId | null {
    return this.termState.votedFor;
  }

  get leaderId(): NodeId | null {
    return this.termState.leaderId;
  }

  get commitIndex(): number {
    return this.log.commitIndex;
  }

  get lastApplied(): number {
    return this.log.appliedIndex;
  }

  get sm(): KvStateMachine {
    return this.smValue;
  }

  get snapshot(): SnapshotRecord | null {
    return this.snapshotValue;
  }

  /** progress: the leader's view of each follower, read-only (tests, status). */
  get progress(): ReadonlyMap<NodeId, FollowerProgress> {
    return this.tracker.view();
  }

  /** durableIndex: as leader, how far its own log is known durable (see LeaderDurability). */
  get durableIndex(): number {
    return this.durability.durableIndex;
  }

  get votesGranted(): number {
    return this.termState.votesGranted;
  }

  tick(): Effects<RaftMessage> {
    this.timers.countTick();
    return this.run(() => this.handlers[this.role].tick());
  }

  step(from: NodeId, msg: RaftMessage): Effects<RaftMessage> {
    return this.run(() => this.dispatch(from, msg));
  }

  request(req: ClientRequest): Effects<RaftMessage> {
    return this.run(() => handleRequest(this, req));
  }

  /** changeMembership adds or removes one server (membership.ts; Raft thesis §4.1). */
  changeMembership(reqId: number, change: MembershipChange): Effects<RaftMessage> {
    return this.run(() => handleMembershipRequest(this, reqId, change));
  }

  /** observe installs hooks for tests and tracing, once, before the first call. */
  observe(observer: RaftObserver): void {
    assert(this.observer === null, 'observer installed twice');
    this.observer = observer;
  }

  status(): NodeStatus {
    return {
      id: this.id,
      protocol: 'raft',
      role: this.role,
      term: this.term,
      primary: this.role === 'leader' ? this.id : this.leaderId,
      appliedIndex: this.lastApplied,
      commitIndex: this.commitIndex,
      logFirstIndex: this.log.firstIndex(),
      logLastIndex: this.log.lastIndex(),
      snapshotIndex: this.log.snapshotIndex,
      reads: this.opts.reads,
      snapshotsInstalled: this.snapshotsInstalled,
      snapshotsSent: this.snapshotsSent,
      voters: [...this.voters],
      learner: this.changes.learner,
    };
  }

  // ---- transitions: role changes go through TermState, which asserts their legality ----

  /** becomeFollower: legal from every role; a higher term clears the vote (Raft §5.1). */
  becomeFollower(term: number, leader: NodeId | null): void {
    if (this.role === 'leader') this.abandonLeadership();
    if (this.termState.toFollower(term, leader)) this.persistHardState();
    this.resetElectionTimer();
  }

  /** becomeCandidate: Raft §5.2, a follower or candidate whose timer fired starts a new term. */
  becomeCandidate(): void {
    this.termState.toCandidate();
    this.persistHardState();
    this.resetElectionTimer();
  }

  /** becomeLeader: only a candidate holding a majority of votes of its term. */
  becomeLeader(): void {
    this.termState.toLeader(this.quorum);
    this.timers.resetHeartbeat();
    this.durability.startLeadership();
    this.tracker.reset(this.others, this.log.lastIndex() + 1);
    // Raft §8: a new leader appends a no-op so entries of earlier terms commit through it.
    this.appendEntry({ term: this.term, cmd: null });
    this.reads.startLeadership(this.log.lastIndex());
    startRound(this);
    this.observer?.onLeader?.(this.term);
  }

  /** abandonLeadership: proposals may still commit under a later leader, so their fate is unknown. */
  private abandonLeadership(): void {
    this.fx.reply.push(...this.proposals.abandon());
    failPendingReads(this, 'leadership lost before the read was confirmed');
    this.fx.reply.push(...this.changes.abandon());
    this.tracker.clear();
  }

  // ---- state changes the rule modules ask for ----

  /** recordVote: Raft §5.2, a candidate counts each granted vote of its term once. */
  recordVote(from: NodeId): void {
    assert(this.others.includes(from), () => `vote from unknown node ${from}`);
    // Only the votes of the candidate's latest configuration count (Raft thesis §4.1).
    if (!this.voters.includes(from)) return;
    this.termState.recordVote(from);
  }

  /** voteFor: Raft §5.2, at most one vote per term, durable before the reply leaves. */
  voteFor(candidate: NodeId): void {
    if (this.termState.voteFor(candidate)) this.persistHardState();
  }

  /** heardFromLeader: a follower that hears from its term's leader notes it and restarts its timer. */
  heardFromLeader(leader: NodeId): void {
    this.termState.follow(leader);
    this.resetElectionTimer();
  }

  /** compactLog: Raft §7, our own snapshot at an applied index replaces the log up to it. */
  compactLog(snap: SnapshotRecord): void {
    assert(snap.index <= this.lastApplied, () => `snapshot at ${snap.index} beyond applied ${this.lastApplied}`);
    this.log.compactTo(snap.index, snap.term, snap.conf ?? this.config.peers);
    this.snapshotValue = snap;
    this.persist(compactionOp(snap, this.term, this.votedFor, this.log, this.bugs));
  }

  /** installSnapshot: Raft §7, a leader's snapshot past our commit index replaces our state. */
  installSnapshot(snap: SnapshotRecord): void {
    assert(snap.index > this.commitIndex, () => `installing snapshot ${snap.index} at commit ${this.commitIndex}`);
    this.log.compactTo(snap.index, snap.term, snap.conf ?? this.config.peers);
    this.snapshotValue = snap;
    this.smValue = KvStateMachine.restore(snap.data);
    this.snapshotsInstalled += 1;
    this.persist(compactionOp(snap, this.term, this.votedFor, this.log, this.bugs));
  }

  /** countSnapshotSent: one more InstallSnapshot sent as leader (GET /status). */
  countSnapshotSent(): void {
    assert(this.role === 'leader', 'only a leader sends snapshots');
    this.snapshotsSent += 1;
  }

  // ---- per-role handlers ----

  private tickElection(): void {
    // A server outside its own latest configuration never campaigns (Raft thesis §4.2.2).
    if (this.timers.tickElection() && isVoter(this)) startElection(this);
  }

  private tickLeader(): void {
    this.tracker.countSilence();
    if (!this.timers.tickHeartbeat()) return;
    // A self-ack the network lost (possible in simulations) is sent again by run().
    this.durability.resendLost();
    tickCatchUp(this);
    startRound(this);
  }

  /** dispatch applies the term rules every role shares (Raft §5.1), then the role's handler. */
  private dispatch(from: NodeId, msg: RaftMessage): void {
    if (from === this.id) {
      this.onSelfAck(msg);
      return;
    }
    assert(this.others.includes(from), () => `message from unknown node ${from}`);
    if (msg.term > this.term) {
      if (msg.type === 'RequestVote' && ignoresVoteRequest(this)) return;
      // Raft §5.1: a server that sees a higher term adopts it and reverts to follower.
      const isLeaderMsg = msg.type === 'AppendEntries' || msg.type === 'InstallSnapshot';
      this.becomeFollower(msg.term, isLeaderMsg ? from : null);
    } else if (msg.term < this.term) {
      answerStale(this, from, msg);
      return;
    }
    this.handlers[this.role].step(from, msg);
  }

  /** onSelfAck: our own entries up to msg.matchIndex are durable (see durableIndex). */
  private onSelfAck(msg: RaftMessage): void {
    assert(msg.type === 'AppendEntriesReply' && msg.success, () => `unexpected self message ${msg.type}`);
    // A self-ack of an earlier term or role says nothing about this leadership's no-op.
    if (this.role !== 'leader' || msg.term !== this.term) return;
    this.durability.acked(msg.matchIndex, this.log.lastIndex());
  }

  /** sendSelfAck asks the runtime to tell us once our log up to its end is durable. */
  private sendSelfAck(): void {
    if (this.role !== 'leader') return;
    const ack = this.durability.selfAck(this.term, this.log.lastIndex());
    if (ack !== null) this.send(this.id, ack);
  }

  // ---- appending and applying ----

  /** appendEntry: the leader appends to its own log, durably, before anyone is told. */
  appendEntry(entry: Entry): void {
    assert(this.role === 'leader' && entry.term === this.term, 'only a leader appends entries of its term');
    const from = this.log.lastIndex() + 1;
    this.log.append([entry]);
    this.persist(entriesOp(from, [entry]));
  }

  /** applyCommitted applies entries up to commitIndex and answers the clients waiting on them. */
  private applyCommitted(): void {
    assert(this.commitIndex <= this.log.lastIndex(), () => `commit ${this.commitIndex} beyond log ${this.log.lastIndex()}`);
    while (this.lastApplied < this.commitIndex) {
      const index = this.lastApplied + 1;
      const entry = this.log.entry(index);
      const result = entry.cmd === null ? null : this.sm.apply(entry.cmd);
      this.log.markApplied(index);
      this.observer?.onApply?.(index, entry, this.term);
      this.fx.reply.push(...this.proposals.applied(index, entry, result));
      if (entry.conf !== undefined) configurationApplied(this, index, entry.conf);
    }
  }

  // ---- effects and helpers used by the rule modules ----

  send(to: NodeId, msg: RaftMessage): void {
    this.fx.send.push({ to, msg });
  }

  reply(reply: ClientReply): void {
    this.fx.reply.push(reply);
  }

  persist(op: PersistOp): void {
    this.fx.persist.push(op);
  }

  private persistHardState(): void {
    this.persist(hardStateOp(this.term, this.votedFor, this.bugs));
  }

  /** resetElectionTimer: Raft §5.2, hearing from a leader or granting a vote restarts the timeout. */
  resetElectionTimer(): void {
    this.timers.resetElection();
  }

  /**
   * boundRecords: hard-state records pile up without entries being applied (a node campaigning
   * alone in a partition), so past a bound the durable log is rewritten from current state.
   */
  private boundRecords(): void {
    for (const op of this.fx.persist) this.recordCount = op.kind === 'reset' ? op.records.length : this.recordCount + 1;
    if (this.recordCount <= this.opts.snapshotEntries + 64) return;
    const op = compactionOp(this.snapshot, this.term, this.votedFor, this.log, this.bugs);
    assert(op.kind === 'reset', 'compaction resets');
    this.fx.persist.push(op);
    this.recordCount = op.records.length;
  }

  /** run wraps one call: collect effects, then commit, apply, serve reads and compact. */
  private run(body: () => void): Effects<RaftMessage> {
    // A call that threw (a failed assert crashes the node) may have left effects behind.
    if (!isEmpty(this.fx)) this.fx = noEffects();
    body();
    this.sendSelfAck();
    catchUpRounds(this);
    if (this.role === 'leader') advanceCommit(this);
    this.applyCommitted();
    stepDownIfRemoved(this);
    if (this.role === 'leader') servePendingReads(this);
    maybeSnapshot(this);
    this.boundRecords();
    // Most calls (a follower's tick) do nothing: they share one frozen empty value instead of
    // allocating four objects each (the simulator makes tens of thousands of calls a run).
    const fx = this.fx;
    if (isEmpty(fx)) return NO_EFFECTS;
    this.fx = noEffects();
    return fx;
  }
}

/** NO_EFFECTS: what a call that did nothing returns, shared and frozen so no caller can fill it. */
const NO_EFFECTS: Effects<RaftMessage> = Object.freeze({ persist: Object.freeze([]), send: Object.freeze([]), reply: Object.freeze([]) }) as unknown as Effects<RaftMessage>;

function isEmpty(fx: Effects<RaftMessage>): boolean {
  return fx.persist.length === 0 && fx.send.length === 0 && fx.reply.length === 0;
}

/** createRaftCore: the CoreFactory the runtime and the simulator call. */
export const createRaftCore: CoreFactory<RaftMessage> = (config, restored) => new RaftCore(config, restored);
