// test/raft/durability.test.ts — the fast path is safe: parallel leader writes (thesis §10.2.1), pipelining, early sends.
//
// The runtime may send a leader's AppendEntries before the leader's own write is durable, and
// deliver raft's client replies at once. That is safe only because the leader counts itself
// towards a commit quorum as far as its self-ack says its log is durable. These tests drive a
// leader core by hand and a NodeRuntime with a durable log whose writes we complete by hand.
// Pipelining (etcd-io/raft's probe/replicate states) is checked the same way.
import { describe, expect, it } from 'vitest';
import { noEffects, type ClientRequest, type Effects, type NodeStatus, type ProtocolCore } from '../../rsm/core/types.ts';
import { raftSendsEarly } from '../../rsm/raft/early-sends.ts';
import type { AppendEntriesReply, RaftMessage } from '../../rsm/raft/types.ts';
import type { DurableLog } from '../../rsm/runtime/durable-log.ts';
import { NodeRuntime } from '../../rsm/runtime/node-runtime.ts';
import { campaign, core, makeCluster } from './support.ts';

function ack(term: number, matchIndex: number): AppendEntriesReply {
  return { type: 'AppendEntriesReply', term, success: true, prevIndex: 0, matchIndex, conflictIndex: 0, conflictTerm: null, round: 0 };
}

function write(reqId: number): ClientRequest {
  return { reqId, command: { clientId: 'c', seq: reqId, cmd: { kind: 'write', key: 'k', value: reqId } } };
}

/** leaderWithNoop: n1 leads a quiet cluster of `nodes` and its no-op is committed everywhere. */
function leaderWithNoop(nodes: number) {
  const { net } = makeCluster({ nodes });
  campaign(net, 'n1');
  net.deliverAll();
  const n1 = core(net, 'n1');
  expect(n1.role).toBe('leader');
  expect(n1.commitIndex).toBe(n1.log.lastIndex());
  return n1;
}

describe('leader durability (thesis §10.2.1)', () => {
  it('a proposal sends AppendEntries and a self-ack; the leader does not count its own copy until the self-ack', () => {
    const n1 = leaderWithNoop(3);
    const fx = n1.request(write(1));
    const index = n1.log.lastIndex();
    expect(fx.persist).toHaveLength(1);
    const targets = fx.send.map((s) => `${s.to}:${s.msg.type}`).sort();
    expect(targets).toEqual(['n1:AppendEntriesReply', 'n2:AppendEntries', 'n3:AppendEntries']);
    // One follower acks before our own write is durable: 2 of 3 copies, only 1 durable → no commit.
    const early = n1.step('n2', ack(n1.term, index));
    expect(n1.commitIndex).toBe(index - 1);
    expect(early.reply).toEqual([]);
    // The self-ack arrives (the runtime delivers it once the write is durable): now it commits.
    const self = fx.send.find((s) => s.to === 'n1')!.msg;
    const done = n1.step('n1', self);
    expect(n1.commitIndex).toBe(index);
    expect(done.reply).toEqual([{ reqId: 1, outcome: 'ok', result: { type: 'ok' } }]);
  });

  it('a majority of followers commits without the leader\'s own copy', () => {
    const n1 = leaderWithNoop(3);
    n1.request(write(1));
    const index = n1.log.lastIndex();
    n1.step('n2', ack(n1.term, index));
    const fx = n1.step('n3', ack(n1.term, index));
    expect(n1.commitIndex).toBe(index);
    expect(fx.reply).toHaveLength(1);
  });

  it('a self-ack of an earlier term is ignored', () => {
    const n1 = leaderWithNoop(5);
    n1.request(write(1));
    const index = n1.log.lastIndex();
    n1.step('n1', ack(n1.term - 1, index));
    n1.step('n2', ack(n1.term, index));
    n1.step('n3', ack(n1.term, index));
    // 3 copies of 5, but only 2 known durable: not committed.
    expect(n1.commitIndex).toBe(index - 1);
  });

  it('raftSendsEarly allows only the leader\'s AppendEntries and InstallSnapshot', () => {
    const kinds: Array<[RaftMessage['type'], boolean]> = [
      ['AppendEntries', true], ['InstallSnapshot', true], ['AppendEntriesReply', false],
      ['RequestVote', false], ['RequestVoteReply', false], ['InstallSnapshotReply', false],
    ];
    for (const [type, early] of kinds) expect(raftSendsEarly({ type })).toBe(early);
    expect(raftSendsEarly(null)).toBe(false);
  });
});

/** OneShotCore: each request persists a record and sends an early message, a late one and one to itself. */
class OneShotCore implements ProtocolCore<{ type: string }> {
  readonly id = 'n1';
  readonly got: string[] = [];
  tick(): Effects<{ type: string }> {
    return noEffects();
  }
  step(from: string, msg: { type: string }): Effects<{ type: string }> {
    this.got.push(`${from}:${msg.type}`);
    return noEffects();
  }
  request(req: ClientRequest): Effects<{ type: string }> {
    const e = noEffects<{ type: string }>();
    e.persist.push({ kind: 'append', record: req.reqId });
    e.send.push({ to: 'n2', msg: { type: 'AppendEntries' } }, { to: 'n2', msg: { type: 'RequestVoteReply' } }, { to: 'n1', msg: { type: 'AppendEntriesReply' } });
    e.reply.push({ reqId: req.reqId, outcome: 'ok', result: { type: 'ok' } });
    return e;
  }
  status(): NodeStatus {
    return { id: this.id, protocol: 'scripted', role: 'x', appliedIndex: 0 };
  }
}

describe('pipelined replication', () => {
  it('in replicate state each proposal sends only its new entry, up to maxInflight unanswered messages; a reply sends the rest in one message', () => {
    const n1 = leaderWithNoop(3);
    expect(n1.progress.get('n2')?.state).toBe('replicate');
    const base = n1.log.lastIndex();
    const toN2 = (fx: Effects<RaftMessage>) => fx.send.filter((s) => s.to === 'n2').map((s) => s.msg);
    for (let i = 1; i <= 4; i += 1) {
      const [msg] = toN2(n1.request(write(i)));
      expect(msg).toMatchObject({ type: 'AppendEntries', prevIndex: base + i - 1 });
      expect(msg.type === 'AppendEntries' && msg.entries.length).toBe(1);
    }
    // The pipeline to n2 is full (maxInflight 4): these wait.
    for (let i = 5; i <= 9; i += 1) expect(toN2(n1.request(write(i)))).toEqual([]);
    const [rest] = toN2(n1.step('n2', ack(n1.term, base + 1)));
    expect(rest).toMatchObject({ type: 'AppendEntries', prevIndex: base + 4 });
    expect(rest.type === 'AppendEntries' && rest.entries.length).toBe(5);
  });

  it('a rejection in replicate state falls back to probing from the follower\'s log end', () => {
    const n1 = leaderWithNoop(3);
    const base = n1.log.lastIndex();
    n1.request(write(1));
    n1.request(write(2));
    // n2 lost the first message: it rejects the second, whose prevIndex it lacks.
    const fx = n1.step('n2', {
      type: 'AppendEntriesReply', term: n1.term, success: false, prevIndex: base + 1, matchIndex: 0,
      conflictIndex: base + 1, conflictTerm: null, round: 0,
    });
    expect(n1.progress.get('n2')?.state).toBe('probe');
    const [probe] = fx.send.filter((s) => s.to === 'n2').map((s) => s.msg);
    expect(probe).toMatchObject({ type: 'AppendEntries', prevIndex: base });
    expect(probe.type === 'AppendEntries' && probe.entries.length).toBe(2);
  });
});

describe('NodeRuntime sendsEarly / repliesEarly', () => {
  it('sends the named messages and replies at once; the rest, and messages to itself, wait for the write', async () => {
    let complete = (): void => {};
    const written = new Promise<void>((resolve) => {
      complete = resolve;
    });
    const log = { append: () => written, reset: () => written, barrier: () => written } as unknown as DurableLog;
    const sent: string[] = [];
    const core = new OneShotCore();
    const rt = new NodeRuntime({
      core, log, sender: { send: (to, msg) => sent.push(`${to}:${(msg as { type: string }).type}`) },
      tickMs: 1000, requestTimeoutMs: 5000, sendsEarly: raftSendsEarly, repliesEarly: true,
    });
    const reply = await rt.request({ clientId: 'c', seq: 1, cmd: { kind: 'write', key: 'k', value: 1 } });
    expect(reply.outcome).toBe('ok');
    expect(sent).toEqual(['n2:AppendEntries']);
    expect(core.got).toEqual([]);
    complete();
    await written;
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['n2:AppendEntries', 'n2:RequestVoteReply']);
    expect(core.got).toEqual(['n1:AppendEntriesReply']);
    await rt.stop();
  });
});
