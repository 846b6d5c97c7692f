// test/paxos/bugs.test.ts — scripted schedules showing what bugs forget-promise and ignore-accepted break (and that the correct code does not).
import { describe, expect, it } from 'vitest';
import { core, elect, leaders, makeCluster, replyTo, send } from './support.ts';

/**
 * staleLeaderAfterRestart: n1 leads ballot 1.n1; cut from n1, n3 wins ballot 2.n3 with n2's
 * promise. n2 restarts before n1 heard of 2.n3; then n1 and n3 each propose a write at slot 2.
 */
function staleLeaderAfterRestart(bugs: string[]) {
  const { net, checker } = makeCluster({ bugs });
  elect(net, 'n1');
  send(net, 'n1', { kind: 'write', key: 'x', value: 1 });
  net.deliverAll();
  net.cut('n1', 'n3');
  elect(net, 'n3');
  expect(core(net, 'n3').role).toBe('leader');
  net.crash('n2');
  net.restart('n2');
  const fromN1 = send(net, 'n1', { kind: 'write', key: 'y', value: 'from n1' });
  net.deliverAll();
  const fromN3 = send(net, 'n3', { kind: 'write', key: 'y', value: 'from n3' });
  net.deliverAll();
  return { net, checker, fromN1, fromN3 };
}

describe('bug forget-promise', () => {
  it('a restarted acceptor accepts the old leader\'s proposal it promised to ignore: slot 2 is chosen twice', () => {
    const { net, checker, fromN1, fromN3 } = staleLeaderAfterRestart(['forget-promise']);
    expect(replyTo(net, fromN1)?.outcome).toBe('ok');
    expect(replyTo(net, fromN3)?.outcome).toBe('ok');
    expect(checker.violations.join('\n')).toMatch(/only a single value is chosen: slot 2 chose c1\/\d+:.*"from n1".*, then c1\/\d+:.*"from n3"/);
  });

  it('without the bug the promise survives the restart: n2 refuses n1, and n1 steps down', () => {
    const { net, checker, fromN1, fromN3 } = staleLeaderAfterRestart([]);
    expect(core(net, 'n2').acceptor.promised).toEqual({ round: 2, node: 'n3' });
    expect(replyTo(net, fromN1)?.outcome).toBe('unknown');
    expect(core(net, 'n1').role).toBe('follower');
    expect(replyTo(net, fromN3)?.outcome).toBe('ok');
    expect(checker.violations).toEqual([]);
  });
});

/**
 * newLeaderMissesChosen: n1's write is accepted by n1 and n2 (chosen, acknowledged), n1 is cut
 * from n3 and dies, so n3 never learned slot 1; n3 then wins phase 1 with n2's promise.
 */
function newLeaderMissesChosen(bugs: string[]) {
  const { net, checker, ids } = makeCluster({ bugs });
  elect(net, 'n1');
  net.cut('n1', 'n3');
  const w = send(net, 'n1', { kind: 'write', key: 'x', value: 1 });
  net.deliverAll();
  expect(replyTo(net, w)?.outcome).toBe('ok');
  net.crash('n1');
  net.heal();
  elect(net, 'n3');
  expect(leaders(net)).toEqual(['n3']);
  net.run(10);
  return { net, checker, ids };
}

describe('bug ignore-accepted', () => {
  it('the new leader overwrites the chosen write with a no-op: the acknowledged write is lost on n3', () => {
    const { net, checker } = newLeaderMissesChosen(['ignore-accepted']);
    expect(core(net, 'n3').sm.read('x')).toBeNull();
    expect(checker.violations.join('\n')).toMatch(/only a single value is chosen: slot 1 chose c1\/\d+.*, then noop/);
  });

  it('without the bug phase 1 finds n2\'s accepted write and proposes it again (P2c): every node has x=1', () => {
    const { net, checker, ids } = newLeaderMissesChosen([]);
    net.restart('n1');
    net.run(10);
    for (const id of ids) expect(core(net, id).sm.read('x')).toBe(1);
    expect(checker.violations).toEqual([]);
  });
});
