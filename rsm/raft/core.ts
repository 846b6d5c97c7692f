// rsm/raft/core.ts — the Raft core: roles, transitions, dispatch of ticks, messages and requests.
//
// The protocol rules live in election.ts, replication.ts, snapshot.ts and reads.ts; this file
// holds the node's state, the one place roles change (become*), and the per-role handlers.
import {
  noEffects,
  type ClientCommand, type ClientRequest, type CoreConfig, type CoreFactory, type Effects, type NodeId,
  type NodeStatus, type ProtocolCore,
} from '../core/types.ts';
import { KvStateMachine } from '../kv/state-machine.ts';
import { handleRequestVote, handleVoteReply, ignoresVoteRequest, startElection } from './election.ts';
import { RaftLog } from './log.ts';
import { checkRaftBugs, parseRaftOptions } from './options.ts';
import { failPendingReads, handleLeaderRead, noteAck, serveLocalRead, servePendingReads } from './reads.ts';
import {
  advanceCommit, broadcastAppend, handleAppendEntries, handleAppendReply, handleSnapshotReply, startRound,
} from './replication.ts';
import { Proposals } from './proposals.ts';
import { handleInstallSnapshot, maybeSnapshot } from './snapshot.ts';
import { compactionOp, entriesOp, hardStateOp, restoreState } from './storage.ts';
import { assert } from '../../lib/assert.ts';
import type { Entry, PendingRead, Progress, RaftMessage, RaftObserver, RaftOptions, Role, SnapshotRecord } from './types.ts';

interface RoleHandler {
  tick(): void;
  step(from: NodeId, msg: RaftMessage): void;
}

/**
 * RaftCore: one Raft replica of the KV state machine. No PreVote: elections follow the paper
 * (with the §6 vote-ignoring rule only under reads=lease, see election.ts).
 */
export class RaftCore implements ProtocolCore<RaftMessage> {
  readonly id: NodeId;
  /** others: every peer except this node. */
  readonly others: NodeId[];
  readonly quorum: number;
  readonly opts: RaftOptions;
  readonly bugs: ReadonlySet<string>;
  readonly config: CoreConfig;
  observer: RaftObserver | null = null;

  role: Role = 'follower';
  term = 0;
  votedFor: NodeId | null = null;
  leaderId: NodeId | null = null;
  log: RaftLog;
  sm: KvStateMachine;
  snapshot: SnapshotRecord | null;
  commitIndex: number;
  lastApplied: number;

  electionElapsed = 0;
  /** ticksSinceStart counts ticks since this core was built (capped): see ignoresVoteRequest. */
  ticksSinceStart = 0;
  electionTimeout = 0;
  heartbeatElapsed = 0;
  votes = new Set<NodeId>();
  progress = new Map<NodeId, Progress>();
  /**
   * durableIndex: as leader, how far this node's own log is known durable. The runtime may send
   * AppendEntries before the leader's own write is on disk (Raft thesis §10.2.1: the leader
   * writes its log in parallel with replicating it), so the leader counts itself towards a
   * commit quorum only up to here. It learns it from a self-ack: a message to itself, which the
   * runtime delivers only once everything persisted before it is durable.
   */
  durableIndex = 0;
  /** selfAckSent: the highest index a self-ack was sent for in this term. */
  private selfAckSent = 0;
  /** termStartIndex: index of this leader's no-op; reads wait until it is applied. */
  termStartIndex = 0;
  round = 0;
  roundSentAtMs = new Map<number, number>();
  leaseExpiryMs = 0;
  pendingReads: PendingRead[] = [];
  /** snapshotsInstalled counts InstallSnapshot messages that replaced our state (GET /status). */
  snapshotsInstalled = 0;
  /** snapshotsSent counts InstallSnapshot messages sent as leader (GET /status). */
  snapshotsSent = 0;
  private readonly proposals = new Proposals();
  /** recordCount: how many records the durable log holds, to keep it bounded. */
  private recordCount: number;
  /** fx collects the effects of the call in progress. */
  fx: Effects<RaftMessage> = noEffects();
  private handler: RoleHandler;
  private readonly handlers: Record<Role, RoleHandler>;

  constructor(config: CoreConfig, restored: readonly unknown[]) {
    assert(config.peers.includes(config.id), `peers ${config.peers.join(',')} lack ${config.id}`);
    checkRaftBugs(config.bugs);
    this.id = config.id;
    this.config = config;
    this.others = config.peers.filter((p) => p !== config.id);
    this.quorum = Math.floor(config.peers.length / 2) + 1;
    this.opts = parseRaftOptions(config.options);
    this.bugs = config.bugs;
    const state = restoreState(restored);
    this.recordCount = restored.length;
    // A node that acked a leader has persisted that leader's term, so a node with no records
    // never acked anyone: it needs no post-restart wait before voting.
    this.ticksSinceStart = restored.length === 0 ? this.opts.electionTicksMax : 0;
    this.term = state.term;
    this.votedFor = state.vote;
    this.log = state.log;
    this.snapshot = state.snapshot;
    this.sm = state.snapshot === null ? new KvStateMachine() : KvStateMachine.restore(state.snapshot.data);
    // Raft Figure 2: commitIndex and lastApplied are volatile; the snapshot is known committed.
    this.commitIndex = this.log.snapshotIndex;
    this.lastApplied = this.log.snapshotIndex;
    this.handlers = {
      follower: { tick: () => this.tickElection(), step: (f, m) => this.stepFollower(f, m) },
      candidate: { tick: () => this.tickElection(), step: (f, m) => this.stepCandidate(f, m) },
      leader: { tick: () => this.tickLeader(), step: (f, m) => this.stepLeader(f, m) },
    };
    this.handler = this.handlers.follower;
    this.resetElectionTimer();
  }

  tick(): Effects<RaftMessage> {
    if (this.ticksSinceStart < this.opts.electionTicksMax) this.ticksSinceStart += 1;
    return this.run(() => this.handler.tick());
  }

  step(from: NodeId, msg: RaftMessage): Effects<RaftMessage> {
    return this.run(() => this.dispatch(from, msg));
  }

  request(req: ClientRequest): Effects<RaftMessage> {
    return this.run(() => this.handleRequest(req));
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
    };
  }

  // ---- transitions: the only code that changes `role` ----

  /** becomeFollower: legal from every role; a higher term clears the vote (Raft §5.1). */
  becomeFollower(term: number, leader: NodeId | null): void {
    assert(term >= this.term, `becomeFollower to term ${term} below ${this.term}`);
    if (this.role === 'leader') this.abandonLeadership();
    if (term > this.term) {
      this.term = term;
      this.votedFor = null;
      this.persistHardState();
    }
    this.role = 'follower';
    this.handler = this.handlers.follower;
    this.leaderId = leader;
    this.resetElectionTimer();
  }

  /** becomeCandidate: Raft §5.2, a follower or candidate whose timer fired starts a new term. */
  becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader never becomes candidate');
    this.role = 'candidate';
    this.handler = this.handlers.candidate;
    this.term += 1;
    this.votedFor = this.id;
    this.leaderId = null;
    this.votes = new Set([this.id]);
    this.persistHardState();
    this.resetElectionTimer();
  }

  /** becomeLeader: only a candidate holding a majority of votes of its term. */
  becomeLeader(): void {
    assert(this.role === 'candidate', `becomeLeader from ${this.role}`);
    assert(this.votes.size >= this.quorum, `becomeLeader with ${this.votes.size} votes, quorum ${this.quorum}`);
    this.role = 'leader';
    this.handler = this.handlers.leader;
    this.leaderId = this.id;
    this.heartbeatElapsed = 0;
    this.round = 0;
    this.roundSentAtMs.clear();
    this.leaseExpiryMs = 0;
    this.durableIndex = 0;
    this.selfAckSent = 0;
    this.progress.clear();
    for (const peer of this.others) {
      this.progress.set(peer, { next: this.log.lastIndex() + 1, match: 0, ackedRound: 0, state: 'probe', inflight: [], probeSent: false });
    }
    // Raft §8: a new leader appends a no-op so entries of earlier terms commit through it.
    this.appendEntry({ term: this.term, cmd: null });
    this.termStartIndex = this.log.lastIndex();
    startRound(this);
    this.observer?.onLeader?.(this.term);
  }

  /** abandonLeadership: proposals may still commit under a later leader, so their fate is unknown. */
  private abandonLeadership(): void {
    this.fx.reply.push(...this.proposals.abandon());
    failPendingReads(this, 'leadership lost before the read was confirmed');
    this.progress.clear();
  }

  // ---- per-role handlers ----

  private tickElection(): void {
    this.electionElapsed += 1;
    if (this.electionElapsed >= this.electionTimeout) startElection(this);
  }

  private tickLeader(): void {
    this.heartbeatElapsed += 1;
    if (this.heartbeatElapsed >= this.opts.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      // A self-ack the network lost (possible in simulations) is sent again by run().
      if (this.durableIndex < this.selfAckSent) this.selfAckSent = this.durableIndex;
      startRound(this);
    }
  }

  /** dispatch applies the term rules every role shares (Raft §5.1), then the role's handler. */
  private dispatch(from: NodeId, msg: RaftMessage): void {
    if (from === this.id) {
      this.onSelfAck(msg);
      return;
    }
    assert(this.others.includes(from), `message from unknown node ${from}`);
    if (msg.term > this.term) {
      if (msg.type === 'RequestVote' && ignoresVoteRequest(this)) return;
      // Raft §5.1: a server that sees a higher term adopts it and reverts to follower.
      const isLeaderMsg = msg.type === 'AppendEntries' || msg.type === 'InstallSnapshot';
      this.becomeFollower(msg.term, isLeaderMsg ? from : null);
    } else if (msg.term < this.term) {
      this.answerStale(from, msg);
      return;
    }
    this.handler.step(from, msg);
  }

  /** onSelfAck: our own entries up to msg.matchIndex are durable (see durableIndex). */
  private onSelfAck(msg: RaftMessage): void {
    assert(msg.type === 'AppendEntriesReply' && msg.success, `unexpected self message ${msg.type}`);
    // A self-ack of an earlier term or role says nothing about this leadership's no-op.
    if (this.role !== 'leader' || msg.term !== this.term) return;
    assert(msg.matchIndex <= this.log.lastIndex(), `self-ack ${msg.matchIndex} beyond log ${this.log.lastIndex()}`);
    if (msg.matchIndex > this.durableIndex) this.durableIndex = msg.matchIndex;
  }

  /** sendSelfAck asks the runtime to tell us once our log up to its end is durable. */
  private sendSelfAck(): void {
    const lastIndex = this.log.lastIndex();
    if (this.role !== 'leader' || lastIndex <= this.selfAckSent) return;
    this.selfAckSent = lastIndex;
    this.send(this.id, {
      type: 'AppendEntriesReply', term: this.term, success: true, prevIndex: 0, matchIndex: lastIndex,
      conflictIndex: 0, conflictTerm: null, round: 0,
    });
  }

  /** answerStale: Raft §5.1, a request from an older term is rejected with our term. */
  private answerStale(from: NodeId, msg: RaftMessage): void {
    if (msg.type === 'RequestVote') {
      this.send(from, { type: 'RequestVoteReply', term: this.term, granted: false });
    } else if (msg.type === 'AppendEntries' || msg.type === 'InstallSnapshot') {
      this.send(from, {
        type: 'AppendEntriesReply', term: this.term, success: false, prevIndex: 0, matchIndex: 0,
        conflictIndex: 0, conflictTerm: null, round: 0,
      });
    }
  }

  private stepFollower(from: NodeId, msg: RaftMessage): void {
    if (msg.type === 'AppendEntries') handleAppendEntries(this, from, msg);
    else if (msg.type === 'InstallSnapshot') handleInstallSnapshot(this, from, msg);
    else if (msg.type === 'RequestVote') handleRequestVote(this, from, msg);
    // Replies addressed to an earlier role of ours in this term are stale: drop them.
  }

  private stepCandidate(from: NodeId, msg: RaftMessage): void {
    if (msg.type === 'AppendEntries' || msg.type === 'InstallSnapshot') {
      // Raft §5.2: a candidate that hears from a leader of its term returns to follower.
      this.becomeFollower(msg.term, from);
      this.stepFollower(from, msg);
    } else if (msg.type === 'RequestVote') {
      handleRequestVote(this, from, msg);
    } else if (msg.type === 'RequestVoteReply') {
      handleVoteReply(this, from, msg);
    }
  }

  private stepLeader(from: NodeId, msg: RaftMessage): void {
    if (msg.type === 'AppendEntries' || msg.type === 'InstallSnapshot') {
      // Election Safety says this cannot happen. Only a switched-on bug (e.g. no-persist-vote)
      // makes it possible; then step down and follow, so the damage shows in the history.
      assert(this.bugs.size > 0, `two leaders in term ${this.term}: ${this.id} and ${from}`);
      this.becomeFollower(msg.term, from);
      this.stepFollower(from, msg);
    } else if (msg.type === 'AppendEntriesReply') {
      noteAck(this, from, msg.round);
      handleAppendReply(this, from, msg);
    } else if (msg.type === 'InstallSnapshotReply') {
      noteAck(this, from, msg.round);
      handleSnapshotReply(this, from, msg);
    } else if (msg.type === 'RequestVote') {
      handleRequestVote(this, from, msg);
    }
  }

  // ---- client requests ----

  private handleRequest(req: ClientRequest): void {
    const { command } = req;
    if (command.cmd.kind === 'read' && this.opts.reads === 'any') {
      serveLocalRead(this, req.reqId, command.cmd.key);
    } else if (this.role !== 'leader') {
      this.fx.reply.push({ reqId: req.reqId, outcome: 'reject', error: `not the leader (${this.role})`, redirect: this.leaderId });
    } else if (command.cmd.kind === 'read' && this.opts.reads !== 'log') {
      handleLeaderRead(this, req.reqId, command.cmd.key);
    } else {
      this.propose(req.reqId, command);
    }
  }

  /** propose appends a client command, unless it is already applied or already in the log. */
  private propose(reqId: number, command: ClientCommand): void {
    if (this.sm.isDuplicate(command)) {
      // Already applied: the state machine returns the remembered reply without applying again.
      this.fx.reply.push({ reqId, outcome: 'ok', result: this.sm.apply(command) });
      return;
    }
    let index = this.proposals.indexOf(command);
    if (index === undefined) {
      this.appendEntry({ term: this.term, cmd: command });
      index = this.log.lastIndex();
      broadcastAppend(this);
    }
    this.proposals.wait(index, reqId, command);
  }

  /** appendEntry: the leader appends to its own log, durably, before anyone is told. */
  private appendEntry(entry: Entry): void {
    assert(this.role === 'leader' && entry.term === this.term, 'only a leader appends entries of its term');
    const from = this.log.lastIndex() + 1;
    this.log.append([entry]);
    this.fx.persist.push(entriesOp(from, [entry]));
  }

  // ---- applying ----

  /** applyCommitted applies entries up to commitIndex and answers the clients waiting on them. */
  private applyCommitted(): void {
    assert(this.commitIndex <= this.log.lastIndex(), `commit ${this.commitIndex} beyond log ${this.log.lastIndex()}`);
    while (this.lastApplied < this.commitIndex) {
      const index = this.lastApplied + 1;
      const entry = this.log.entry(index);
      const result = entry.cmd === null ? null : this.sm.apply(entry.cmd);
      this.lastApplied = index;
      this.observer?.onApply?.(index, entry, this.term);
      this.fx.reply.push(...this.proposals.applied(index, entry, result));
    }
  }

  // ---- helpers used by the rule modules ----

  send(to: NodeId, msg: RaftMessage): void {
    this.fx.send.push({ to, msg });
  }

  persistHardState(): void {
    this.fx.persist.push(hardStateOp(this.term, this.votedFor, this.bugs));
  }

  /** resetElectionTimer draws a fresh randomized timeout (Raft §5.2) and restarts counting. */
  resetElectionTimer(): void {
    const { electionTicksMin, electionTicksMax } = this.opts;
    this.electionElapsed = 0;
    this.electionTimeout = electionTicksMin + this.config.rng.int(electionTicksMax - electionTicksMin + 1);
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
    this.fx = noEffects();
    body();
    this.sendSelfAck();
    if (this.role === 'leader') advanceCommit(this);
    this.applyCommitted();
    if (this.role === 'leader') servePendingReads(this);
    maybeSnapshot(this);
    this.boundRecords();
    const fx = this.fx;
    this.fx = noEffects();
    return fx;
  }
}

/** createRaftCore: the CoreFactory the runtime and the simulator call. */
export const createRaftCore: CoreFactory<RaftMessage> = (config, restored) => new RaftCore(config, restored);
