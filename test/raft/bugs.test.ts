// test/raft/bugs.test.ts — scripted schedules showing what bugs no-persist-vote and no-truncate break.
import { describe, expect, it } from 'vitest';
import { campaign, core, leaders, makeCluster, send } from './support.ts';

/** twoCandidates: n2 votes for n1, crashes and restarts, then n3 asks n2 for a vote in term 1. */
function twoCandidates(bugs: string[]) {
  const { net, checker } = makeCluster({ bugs });
  let dropAppends = true;
  net.hook((e) => !(dropAppends && e.msg.type === 'AppendEntries'));
  net.cut('n1', 'n3');
  campaign(net, 'n1');
  expect(core(net, 'n1').role).toBe('leader');
  expect(core(net, 'n1').term).toBe(1);
  net.crash('n2');
  net.restart('n2');
  net.cut('n1', 'n2');
  campaign(net, 'n3');
  dropAppends = false;
  return { net, checker };
}

describe('bug no-persist-vote', () => {
  it('lets a restarted node vote twice in one term: two leaders in term 1', () => {
    const { net, checker } = twoCandidates(['no-persist-vote']);
    expect(leaders(net)).toEqual([{ id: 'n1', term: 1 }, { id: 'n3', term: 1 }]);
    expect(checker.violations.some((v) => v.startsWith('Election Safety: n1 and n3 both led term 1'))).toBe(true);
  });

  it('without the bug the restarted node remembers its vote, and n3 does not win term 1', () => {
    const { net, checker } = twoCandidates([]);
    expect(core(net, 'n2').votedFor).toBe('n1');
    expect(core(net, 'n3').role).toBe('candidate');
    expect(leaders(net)).toEqual([{ id: 'n1', term: 1 }]);
    expect(checker.violations).toEqual([]);
  });
});

/** deposedLeaderRejoins: n1 keeps an uncommitted entry at index 2; n2 commits a different one. */
function deposedLeaderRejoins(bugs: string[]) {
  const { net, checker } = makeCluster({ bugs });
  campaign(net, 'n1');
  net.run(1);
  net.isolate('n1');
  send(net, 'n1', { kind: 'write', key: 'x', value: 1 });
  net.deliverAll();
  campaign(net, 'n2');
  send(net, 'n2', { kind: 'write', key: 'y', value: 2 });
  net.deliverAll();
  net.heal();
  net.run(10);
  checker.check(net);
  return { net, checker };
}

describe('bug no-truncate', () => {
  it('leaves a deposed leader\'s entry in place: the node applies a command never committed', () => {
    const { net, checker } = deposedLeaderRejoins(['no-truncate']);
    expect(core(net, 'n1').role).toBe('follower');
    expect(core(net, 'n1').log.term(2)).toBe(1);
    expect(core(net, 'n1').sm.read('x')).toBe(1);
    expect(core(net, 'n2').sm.read('x')).toBeNull();
    expect(checker.violations.some((v) => /^State Machine Safety: n\d applied \S+ at index 2 /.test(v))).toBe(true);
    expect(checker.violations.some((v) => v.startsWith('Log Matching'))).toBe(true);
  });

  it('without the bug the conflicting entry is truncated and replaced', () => {
    const { net, checker } = deposedLeaderRejoins([]);
    expect(core(net, 'n1').log.term(2)).toBe(2);
    expect(core(net, 'n1').sm.read('x')).toBeNull();
    expect(core(net, 'n1').sm.read('y')).toBe(2);
    expect(checker.violations).toEqual([]);
  });
});
