// rsm/raft/state.test.ts — the guarded state classes refuse what Raft forbids: lower commits, match ≥ next, illegal transitions.
import { describe, expect, it } from 'vitest';
import { RaftLog } from './log.ts';
import { FollowerProgress, ProgressTracker } from './progress.ts';
import { ReadState } from './read-state.ts';
import { LeaderDurability } from './self-ack.ts';
import { TermState } from './term-state.ts';
import type { Entry } from './types.ts';

const e = (term: number): Entry => ({ term, cmd: null });

describe('RaftLog commit and apply marks', () => {
  it('commitIndex never decreases, never passes the log end, and guards committed entries from truncation', () => {
    const log = new RaftLog(['n1', 'n2', 'n3']);
    log.append([e(1), e(1), e(2)]);
    log.commitTo(2);
    expect(log.commitIndex).toBe(2);
    expect(() => log.commitTo(1)).toThrow(/never decreases/);
    expect(() => log.commitTo(4)).toThrow(/beyond the log end/);
    expect(() => log.truncateFrom(2)).toThrow(/committed index 2/);
    log.truncateFrom(3);
    expect(log.lastIndex()).toBe(2);
  });

  it('applies in order and only what is committed; a snapshot raises both marks', () => {
    const log = new RaftLog(['n1', 'n2', 'n3']);
    log.append([e(1), e(1), e(1)]);
    log.commitTo(2);
    expect(() => log.markApplied(2)).toThrow(/in order/);
    log.markApplied(1);
    log.markApplied(2);
    expect(() => log.markApplied(3)).toThrow(/beyond commit/);
    log.compactTo(5, 3, ['n1', 'n2', 'n3']);
    expect([log.commitIndex, log.appliedIndex, log.snapshotIndex]).toEqual([5, 5, 5]);
  });
});

describe('FollowerProgress (etcd-io/raft tracker.Progress)', () => {
  it('starts probing from the leader\'s log end and keeps match below next', () => {
    const pr = new FollowerProgress('n2', 4);
    expect([pr.state, pr.next, pr.match]).toEqual(['probe', 4, 0]);
    pr.matched(6);
    expect([pr.next, pr.match]).toEqual([7, 6]);
    pr.matched(2);
    expect([pr.next, pr.match]).toEqual([7, 6]);
    expect(pr.backUpTo(7)).toBe(false);
    // A follower that lost acknowledged entries (broken durability): match is forgotten.
    expect(pr.backUpTo(3)).toBe(true);
    expect([pr.next, pr.match]).toEqual([3, 2]);
    expect(() => pr.backUpTo(0)).toThrow(/back up to 0/);
  });

  it('allows probe → replicate → probe and snapshot → replicate, refuses replicate → replicate', () => {
    const pr = new FollowerProgress('n2', 2);
    pr.markProbeSent();
    expect(pr.probeSent).toBe(true);
    pr.become('replicate');
    expect(pr.probeSent).toBe(false);
    expect(() => pr.become('replicate')).toThrow(/replicate → replicate is not a legal transition/);
    expect(() => pr.markProbeSent()).toThrow(/probe sent in replicate/);
    pr.sentUpTo(3);
    pr.sentUpTo(5);
    expect([pr.next, pr.inflightCount]).toEqual([6, 2]);
    pr.matched(3);
    pr.freeInflight();
    expect(pr.inflightCount).toBe(1);
    pr.become('snapshot');
    expect(pr.inflightCount).toBe(0);
    expect(() => pr.sentUpTo(9)).toThrow(/pipelined send in snapshot/);
    pr.become('replicate');
    pr.become('probe');
    expect(pr.state).toBe('probe');
  });

  it('the tracker answers quorum questions with the leader counted in', () => {
    const tracker = new ProgressTracker();
    tracker.reset(['n2', 'n3', 'n4', 'n5'], 10);
    tracker.of('n2').matched(8);
    tracker.of('n3').matched(6);
    expect(tracker.quorumMatch(['n1', 'n2', 'n3', 'n4', 'n5'], 'n1', 9, 3)).toBe(6);
    expect(tracker.quorumMatch(['n1', 'n2', 'n3', 'n4', 'n5'], 'n1', 0, 3)).toBe(0);
    tracker.of('n4').ackRound(3);
    tracker.of('n5').ackRound(2);
    expect(tracker.of('n5').ackRound(1)).toBe(false);
    expect(tracker.quorumRound(['n1', 'n2', 'n3', 'n4', 'n5'], 'n1', 4, 3)).toBe(2);
    expect(() => tracker.of('n9')).toThrow(/no progress for n9/);
    // Raft thesis §4.2.2: a leader outside the configuration is not counted.
    expect(tracker.quorumMatch(['n2', 'n3', 'n4'], 'n1', 9, 2)).toBe(6);
  });
});

describe('TermState: roles change only along Raft Figure 4', () => {
  it('refuses follower → leader, leader → candidate and a leader without a quorum', () => {
    const ts = new TermState('n1', 0, null);
    expect(() => ts.toLeader(2)).toThrow(/quorum|illegal/);
    ts.toCandidate();
    expect(() => ts.toLeader(2)).toThrow(/1 votes, quorum 2/);
    ts.recordVote('n2');
    ts.toLeader(2);
    expect([ts.role, ts.term, ts.leaderId]).toEqual(['leader', 1, 'n1']);
    expect(() => ts.toCandidate()).toThrow(/illegal role change leader → candidate/);
    expect(() => ts.toFollower(0, null)).toThrow(/below/);
    expect(ts.toFollower(1, 'n2')).toBe(false);
    expect(ts.toFollower(3, null)).toBe(true);
    expect(ts.votedFor).toBeNull();
  });

  it('grants one vote per term', () => {
    const ts = new TermState('n1', 4, null);
    expect(ts.voteFor('n2')).toBe(true);
    expect(ts.voteFor('n2')).toBe(false);
    expect(() => ts.voteFor('n3')).toThrow(/second vote in term 4/);
    expect(() => ts.recordVote('n2')).toThrow(/vote recorded as follower/);
  });
});

describe('ReadState and LeaderDurability', () => {
  it('a lease only grows, and a read waits on a round already sent', () => {
    const rs = new ReadState();
    rs.startLeadership(3);
    expect(() => rs.wait({ reqId: 1, key: 'k', readIndex: 3, round: 1 })).toThrow(/round 1, latest 0/);
    rs.startRound(100);
    rs.startRound(200);
    rs.extendLease(2, 50);
    rs.extendLease(1, 50);
    expect(rs.leaseExpiryMs).toBe(250);
    expect([rs.leaseHolds(249), rs.leaseHolds(250)]).toEqual([true, false]);
    expect(() => rs.extendLease(3, 50)).toThrow(/confirmed before it was sent/);
    expect(() => rs.wait({ reqId: 1, key: 'k', readIndex: 2, round: 2 })).toThrow(/below the term start/);
    rs.wait({ reqId: 1, key: 'k', readIndex: 3, round: 2 });
    expect(() => rs.startLeadership(9)).toThrow(/still wait/);
    expect(rs.takeReady((r) => r.reqId === 1).map((r) => r.reqId)).toEqual([1]);
    expect(rs.pendingCount).toBe(0);
  });

  it('durableIndex only grows and never passes the log end', () => {
    const d = new LeaderDurability();
    expect(d.selfAck(2, 4)).toMatchObject({ type: 'AppendEntriesReply', term: 2, success: true, matchIndex: 4 });
    expect(d.selfAck(2, 4)).toBeNull();
    d.acked(3, 4);
    d.acked(2, 4);
    expect(d.durableIndex).toBe(3);
    expect(() => d.acked(5, 4)).toThrow(/beyond log/);
    d.resendLost();
    expect(d.selfAck(2, 4)?.matchIndex).toBe(4);
  });
});
