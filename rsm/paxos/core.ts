// rsm/paxos/core.ts — the Multi-Paxos core: roles, ballots, timers, dispatch, applying chosen values, snapshots.
//
// Lamport, "Paxos Made Simple" (2001). Every node is an acceptor (acceptor.ts, acceptor-rules.ts)
// and a learner (learner.ts); the distinguished proposer, the leader (§3), is whichever node won
// phase 1 with the highest ballot (proposer.ts). This file wires them: ballots seen, the role
// transitions, ticks, and applying the chosen prefix to the KV state machine.
import {
  noEffects,
  type ClientReply, type ClientRequest, type CoreConfig, type CoreFactory, type Effects, type NodeId,
  type NodeStatus, type PersistOp, type ProtocolCore,
} from '../core/types.ts';
import { KvStateMachine } from '../kv/state-machine.ts';
import { assert } from '../../lib/assert.ts';
import type { Acceptor } from './acceptor.ts';
import { handleAccept, handleHeartbeat, handlePrepare, promiseReply } from './acceptor-rules.ts';
import { ballotText, compareBallots, NO_BALLOT, nextBallot } from './ballot.ts';
import { catchUp, handleLearn, handleSnapshot, Learner } from './learner.ts';
import { checkPaxosBugs, parsePaxosOptions } from './options.ts';
import { handleAccepted, handleNack, handlePromise, Proposer, resendAccepts, resendPrepare, startPhase1 } from './proposer.ts';
import { handleRequest } from './requests.ts';
import { acceptOp, compactionOp, promiseOp, restoreState } from './storage.ts';
import type { Ballot, PaxosMessage, PaxosObserver, PaxosOptions, Prepare, PromiseReply, Role, SnapshotData, Value } from './types.ts';
import { Waiters } from './waiters.ts';

/** RESEND_SLOTS: open proposals a leader sends again per heartbeat, to bound one tick's work. */
const RESEND_SLOTS = 64;

/**
 * PaxosCore: one Multi-Paxos replica of the KV state machine. Its state is read through getters
 * and changed only through the methods the rule modules call.
 */
export class PaxosCore implements ProtocolCore<PaxosMessage> {
  readonly id: NodeId;
  readonly others: NodeId[];
  /** quorum: a majority (§2.2: "any two majorities have at least one acceptor in common"). */
  readonly quorum: number;
  readonly opts: PaxosOptions;
  readonly bugs: ReadonlySet<string>;
  readonly acceptor: Acceptor;
  readonly learner: Learner;
  readonly proposer = new Proposer();
  readonly waiters = new Waiters();

  private roleValue: Role = 'follower';
  /** ballotValue: this node's own ballot while candidate or leader. */
  private ballotValue: Ballot = NO_BALLOT;
  /** highestSeen: the highest ballot in any message or promise, to pick the next one above it. */
  private highestSeen: Ballot;
  private leader: NodeId | null = null;
  private smValue: KvStateMachine;
  private snapshotValue: SnapshotData | null;
  private observer: PaxosObserver | null = null;
  private readonly config: CoreConfig;
  private electionElapsed = 0;
  private electionTimeout = 0;
  private heartbeatElapsed = 0;
  /** leaderElapsed and heard: a leader that hears no majority for an election timeout steps down. */
  private leaderElapsed = 0;
  private readonly heard = new Set<NodeId>();
  private recordCount: number;
  private snapshotsInstalled = 0;
  private fx: Effects<PaxosMessage> = noEffects();

  constructor(config: CoreConfig, restored: readonly unknown[]) {
    assert(config.peers.includes(config.id), `peers ${config.peers.join(',')} lack ${config.id}`);
    checkPaxosBugs(config.bugs);
    if (config.options.reads !== undefined && config.options.reads !== 'log') {
      throw new Error(`paxos: reads must be log (every read goes through a slot), got ${JSON.stringify(config.options.reads)}`);
    }
    this.id = config.id;
    this.config = config;
    this.others = config.peers.filter((p) => p !== config.id);
    this.quorum = Math.floor(config.peers.length / 2) + 1;
    this.opts = parsePaxosOptions(config.options);
    this.bugs = config.bugs;
    const state = restoreState(restored, config.bugs);
    this.recordCount = restored.length;
    this.acceptor = state.acceptor;
    this.highestSeen = state.acceptor.promised;
    this.snapshotValue = state.snapshot;
    this.learner = new Learner(state.snapshot?.slot ?? 0);
    this.smValue = state.snapshot === null ? new KvStateMachine() : KvStateMachine.restore(state.snapshot.data);
    this.resetElectionTimer();
  }

  // ---- read-only state ----

  get role(): Role {
    return this.roleValue;
  }

  get ballot(): Ballot {
    return this.ballotValue;
  }

  get leaderId(): NodeId | null {
    return this.roleValue === 'leader' ? this.id : this.leader;
  }

  get sm(): KvStateMachine {
    return this.smValue;
  }

  get snapshot(): SnapshotData | null {
    return this.snapshotValue;
  }

  tick(): Effects<PaxosMessage> {
    return this.run(() => (this.role === 'leader' ? this.tickLeader() : this.tickElection()));
  }

  step(from: NodeId, msg: PaxosMessage): Effects<PaxosMessage> {
    assert(this.others.includes(from), `message from unknown node ${from}`);
    return this.run(() => this.dispatch(from, msg));
  }

  request(req: ClientRequest): Effects<PaxosMessage> {
    return this.run(() => handleRequest(this, req));
  }

  /** observe installs hooks for tests and tracing, once, before the first call. */
  observe(observer: PaxosObserver): void {
    assert(this.observer === null, 'observer installed twice');
    this.observer = observer;
  }

  status(): NodeStatus {
    return {
      id: this.id,
      protocol: 'paxos',
      role: this.role,
      term: this.highestSeen.round,
      primary: this.leaderId,
      appliedIndex: this.learner.appliedThrough,
      ballot: ballotText(this.role === 'follower' ? this.highestSeen : this.ballot),
      promised: ballotText(this.acceptor.promised),
      snapshotSlot: this.snapshot?.slot ?? 0,
      snapshotsInstalled: this.snapshotsInstalled,
    };
  }

  // ---- transitions ----

  /** becomeCandidate: §2.3 phase 1(a), a ballot above every one seen (§2.2: disjoint per proposer). */
  becomeCandidate(): void {
    if (this.role === 'leader') this.abandonLeadership();
    this.roleValue = 'candidate';
    this.ballotValue = nextBallot(this.highestSeen, this.id);
    this.highestSeen = this.ballotValue;
    this.leader = null;
    this.resetElectionTimer();
  }

  /** becomeLeader: phase 1 of our ballot succeeded on a majority; we are the distinguished proposer (§3). */
  becomeLeader(): void {
    assert(this.role === 'candidate', `becoming leader as ${this.role}`);
    this.roleValue = 'leader';
    this.heartbeatElapsed = 0;
    this.leaderElapsed = 0;
    this.heard.clear();
    this.observer?.onLeader?.(this.ballot);
  }

  /** becomeFollower: a higher ballot was seen, or the leader lost its majority. */
  becomeFollower(leader: NodeId | null): void {
    if (this.role === 'leader') this.abandonLeadership();
    this.roleValue = 'follower';
    this.leader = leader;
    this.resetElectionTimer();
  }

  private abandonLeadership(): void {
    this.fx.reply.push(...this.waiters.abandon());
    this.proposer.reset(this.learner.appliedThrough + 1);
  }

  /** seeBallot: remember the highest ballot; a candidate or leader below it abandons its own (§2.3). */
  seeBallot(b: Ballot): void {
    if (compareBallots(b, this.highestSeen) > 0) this.highestSeen = b;
    if (this.role !== 'follower' && compareBallots(b, this.ballot) > 0) this.becomeFollower(null);
  }

  /** followLeader: an accept or heartbeat of a ballot we may accept comes from the current leader. */
  followLeader(b: Ballot): void {
    if (this.role !== 'follower') return;
    this.leader = b.node;
    this.resetElectionTimer();
  }

  // ---- acceptor state changes, each durable before any reply (§2.3, last paragraph) ----

  /** promise: our acceptor's phase 1(b); a raised promise is persisted. */
  promise(b: Ballot): boolean {
    const before = this.acceptor.promised;
    if (!this.acceptor.promise(b)) return false;
    if (compareBallots(b, before) > 0) {
      const op = promiseOp(b, this.bugs);
      if (op !== null) this.persist(op);
      // Give the candidate we promised to a chance to finish its phase 1 before we run our own.
      if (b.node !== this.id) this.resetElectionTimer();
    }
    return true;
  }

  /** promiseTo: our acceptor's answer to a prepare it has promised. */
  promiseTo(prepare: Prepare): PromiseReply {
    return promiseReply(this, prepare);
  }

  /** acceptProposal: our acceptor's phase 2(b), persisted before Accepted leaves. */
  acceptProposal(b: Ballot, slot: number, value: Value): boolean {
    if (!this.acceptor.accept(b, slot, value)) return false;
    if (slot > this.acceptor.compactedThrough) this.persist(acceptOp({ slot, ballot: b, value }));
    this.observer?.onAccept?.(slot, b, value);
    return true;
  }

  // ---- learning, applying, snapshots ----

  /** learn: a value chosen at slot (§2.4); the first one learned stays. */
  learn(slot: number, value: Value): void {
    if (this.learner.learn(slot, value)) this.observer?.onLearn?.(slot, value);
  }

  /** installSnapshot: catch-up past our applied slot replaces the state machine and compacts the acceptor. */
  installSnapshot(snap: SnapshotData): void {
    assert(this.waiters.slotOfAny() === undefined, 'installing a snapshot with clients waiting');
    this.learner.skipTo(snap.slot);
    this.acceptor.compactTo(snap.slot);
    for (const slot of this.proposer.pending.keys()) if (slot <= snap.slot) this.proposer.pending.delete(slot);
    this.snapshotValue = snap;
    this.smValue = KvStateMachine.restore(snap.data);
    this.snapshotsInstalled += 1;
    this.persist(compactionOp(snap, this.acceptor, this.bugs));
  }

  /** maybeSnapshot: past snapshotEntries applied slots, snapshot and drop what it covers (log compaction). */
  private maybeSnapshot(): void {
    const applied = this.learner.appliedThrough;
    if (applied - (this.snapshot?.slot ?? 0) <= this.opts.snapshotEntries) return;
    const snap = { slot: applied, data: this.sm.snapshot() };
    this.learner.compactTo(applied);
    this.acceptor.compactTo(applied);
    this.snapshotValue = snap;
    this.persist(compactionOp(snap, this.acceptor, this.bugs));
  }

  /** applyChosen applies the chosen prefix in slot order and answers the clients waiting on it. */
  private applyChosen(): void {
    for (let next = this.learner.nextToApply(); next !== undefined; next = this.learner.nextToApply()) {
      const result = next.value === null ? null : this.sm.apply(next.value);
      this.learner.markApplied(next.slot);
      this.proposer.pending.delete(next.slot);
      this.fx.reply.push(...this.waiters.applied(next.slot, next.value, result));
    }
  }

  // ---- ticks and dispatch ----

  private tickElection(): void {
    this.electionElapsed += 1;
    if (this.electionElapsed >= this.electionTimeout) {
      startPhase1(this);
    } else if (this.role === 'candidate' && this.electionElapsed % this.opts.heartbeatTicks === 0) {
      resendPrepare(this);
    }
  }

  private tickLeader(): void {
    this.leaderElapsed += 1;
    if (this.leaderElapsed >= this.opts.electionTicksMax) {
      const heardMajority = this.heard.size + 1 >= this.quorum;
      this.leaderElapsed = 0;
      this.heard.clear();
      if (!heardMajority) {
        this.becomeFollower(null);
        return;
      }
    }
    this.heartbeatElapsed += 1;
    if (this.heartbeatElapsed < this.opts.heartbeatTicks) return;
    this.heartbeatElapsed = 0;
    this.broadcastHeartbeat();
    resendAccepts(this, RESEND_SLOTS);
  }

  broadcastHeartbeat(): void {
    for (const peer of this.others) this.send(peer, { type: 'Heartbeat', ballot: this.ballot });
  }

  /** noteHeard: an answer to our ballot from `from` (the leader's majority check). */
  noteHeard(from: NodeId): void {
    this.heard.add(from);
  }

  private dispatch(from: NodeId, msg: PaxosMessage): void {
    switch (msg.type) {
      case 'Prepare': return handlePrepare(this, from, msg);
      case 'Promise': return handlePromise(this, from, msg);
      case 'Accept': return handleAccept(this, from, msg);
      case 'Accepted': return handleAccepted(this, from, msg);
      case 'Nack': return handleNack(this, msg);
      case 'Learn': return handleLearn(this, msg);
      case 'Heartbeat': return handleHeartbeat(this, from, msg);
      case 'HeartbeatReply':
        if (this.role !== 'leader' || compareBallots(msg.ballot, this.ballot) !== 0) return;
        this.noteHeard(from);
        return catchUp(this, from, msg);
      case 'Snapshot': return handleSnapshot(this, msg);
    }
  }

  // ---- effects ----

  send(to: NodeId, msg: PaxosMessage): void {
    this.fx.send.push({ to, msg });
  }

  reply(reply: ClientReply): void {
    this.fx.reply.push(reply);
  }

  private persist(op: PersistOp): void {
    this.fx.persist.push(op);
  }

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    const { electionTicksMin: lo, electionTicksMax: hi } = this.opts;
    this.electionTimeout = lo + this.config.rng.int(hi - lo + 1);
  }

  /** boundRecords: promises pile up without slots being applied (a candidate alone in a partition); rewrite past a bound. */
  private boundRecords(): void {
    for (const op of this.fx.persist) this.recordCount = op.kind === 'reset' ? op.records.length : this.recordCount + 1;
    if (this.recordCount <= this.opts.snapshotEntries + 64) return;
    const op = compactionOp(this.snapshot, this.acceptor, this.bugs);
    assert(op.kind === 'reset', 'compaction resets');
    this.fx.persist.push(op);
    this.recordCount = op.records.length;
  }

  /** run wraps one call: collect effects, then apply what is chosen, snapshot, bound the records. */
  private run(body: () => void): Effects<PaxosMessage> {
    this.fx = noEffects();
    body();
    this.applyChosen();
    this.maybeSnapshot();
    this.boundRecords();
    const fx = this.fx;
    this.fx = noEffects();
    return fx;
  }
}

/** createPaxosCore: the CoreFactory the runtime and the simulator call. */
export const createPaxosCore: CoreFactory<PaxosMessage> = (config, restored) => new PaxosCore(config, restored);
