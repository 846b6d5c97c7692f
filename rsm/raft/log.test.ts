// rsm/raft/log.test.ts — unit tests of RaftLog, the options parser and the record round trip.
import { describe, expect, it } from 'vitest';
import { KvStateMachine } from '../kv/state-machine.ts';
import { RaftLog } from './log.ts';
import { parseRaftOptions, checkRaftBugs } from './options.ts';
import { compactionOp, entriesOp, hardStateOp, restoreState, snapshotRecord } from './storage.ts';
import type { Entry } from './types.ts';

const e = (term: number): Entry => ({ term, cmd: null });

describe('RaftLog', () => {
  it('indexes from 1, truncates, and keeps the suffix when compacting onto a matching entry', () => {
    const log = new RaftLog(['n1', 'n2', 'n3']);
    expect(log.lastIndex()).toBe(0);
    expect(log.term(0)).toBe(0);
    log.append([e(1), e(1), e(2), e(2), e(3)]);
    expect(log.lastTerm()).toBe(3);
    expect(log.firstIndexOfTerm(2, 4)).toBe(3);
    expect(log.lastIndexOfTerm(1)).toBe(2);
    expect(log.lastIndexOfTerm(4)).toBe(0);
    log.truncateFrom(5);
    expect(log.lastIndex()).toBe(4);
    log.compactTo(3, 2, ['n1', 'n2', 'n3']);
    expect([log.firstIndex(), log.lastIndex(), log.term(3), log.term(2)]).toEqual([4, 4, 2, undefined]);
    log.compactTo(6, 5, ['n1', 'n2', 'n3']);
    expect([log.firstIndex(), log.lastIndex(), log.lastTerm()]).toEqual([7, 6, 5]);
    expect(() => log.truncateFrom(6)).toThrow(/snapshot/);
    expect(() => log.append([e(4)])).toThrow(/term/);
  });

  it('§5.4.1 up-to-date comparison: last term first, then length', () => {
    const log = new RaftLog(['n1', 'n2', 'n3']);
    log.append([e(1), e(2)]);
    expect(log.isUpToDate(1, 3)).toBe(true);
    expect(log.isUpToDate(5, 1)).toBe(false);
    expect(log.isUpToDate(2, 2)).toBe(true);
    expect(log.isUpToDate(1, 2)).toBe(false);
  });
});

describe('raft options and records', () => {
  it('parses defaults and rejects bad values and unknown bugs', () => {
    const o = parseRaftOptions({});
    expect(o).toEqual({
      electionTicksMin: 15, electionTicksMax: 30, heartbeatTicks: 3, snapshotEntries: 1000,
      maxAppendEntries: 64, maxInflight: 4, reads: 'log', tickMs: 10, leaseMs: 135,
    });
    expect(parseRaftOptions({ electionTicks: '10', tickMs: '5' })).toMatchObject({ electionTicksMin: 10, electionTicksMax: 20, leaseMs: 45 });
    expect(() => parseRaftOptions({ reads: 'maybe' })).toThrow(/reads/);
    expect(() => parseRaftOptions({ heartbeatTicks: '20' })).toThrow(/heartbeatTicks/);
    expect(() => checkRaftBugs(new Set(['no-such-bug']))).toThrow(/unknown bug/);
    expect(() => checkRaftBugs(new Set(['no-fsync', 'commit-old-term']))).not.toThrow();
  });

  it('restores exactly what was persisted: hard state, truncations, compaction', () => {
    const bugs = new Set<string>();
    const records: unknown[] = [];
    const add = (op: ReturnType<typeof entriesOp>) => {
      if (op.kind === 'append') records.push(op.record);
      else records.splice(0, records.length, ...op.records);
    };
    add(hardStateOp(2, 'n1', bugs));
    add(entriesOp(1, [e(1), e(2), e(2)]));
    add(entriesOp(3, [e(3)]));
    let state = restoreState(records, ['n1', 'n2', 'n3']);
    expect([state.term, state.vote, state.log.lastIndex(), state.log.term(3)]).toEqual([2, 'n1', 3, 3]);
    const snap = snapshotRecord(2, 2, new KvStateMachine().snapshot(), ['n1', 'n2', 'n3']);
    state.log.compactTo(2, 2, ['n1', 'n2', 'n3']);
    add(compactionOp(snap, 4, null, state.log, bugs));
    state = restoreState(records, ['n1', 'n2', 'n3']);
    expect([state.term, state.vote, state.log.snapshotIndex, state.log.lastIndex(), state.snapshot?.index]).toEqual([4, null, 2, 3, 2]);
    expect(hardStateOp(5, 'n3', new Set(['no-persist-vote']))).toEqual({ kind: 'append', record: { t: 'hs', term: 5, vote: null } });
  });
});
