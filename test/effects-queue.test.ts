// test/effects-queue.test.ts — the runtime's ordering rule: persist before send and reply, FIFO; early messages go at once, self messages never early.
import { describe, expect, it } from 'vitest';
import type { ClientReply, Effects } from '../rsm/core/types.ts';
import { EffectsQueue } from '../rsm/runtime/effects-queue.ts';

type Msg = { early: boolean; n: number };

function harness(opts: { repliesEarly?: boolean } = {}) {
  const out: string[] = [];
  const pending: Array<() => void> = [];
  const queue = new EffectsQueue({
    selfId: 'me',
    send: (to, msg) => out.push(`send ${to} ${(msg as Msg).n}`),
    sendSelf: (msg) => out.push(`self ${(msg as Msg).n}`),
    reply: (r: ClientReply) => out.push(`reply ${r.reqId}`),
    persist: (ops, done) => {
      out.push(`persist ${ops.length}`);
      pending.push(done);
    },
    sendsEarly: (msg) => (msg as Msg).early,
    repliesEarly: opts.repliesEarly,
  });
  return { out, pending, queue };
}

const fx = (persist: number, send: Array<[string, boolean, number]>, reply: number[] = []): Effects<unknown> => ({
  persist: Array.from({ length: persist }, (_, i) => ({ kind: 'append', record: i })),
  send: send.map(([to, early, n]) => ({ to, msg: { early, n } })),
  reply: reply.map((reqId) => ({ reqId, outcome: 'ok', result: { type: 'ok' } }) as ClientReply),
});

describe('EffectsQueue', () => {
  it('sends early messages at once in their order (before the persist starts), holds the rest (and self messages) until every earlier persist is durable', () => {
    const { out, pending, queue } = harness();
    queue.absorb(fx(1, [['a', false, 1], ['b', true, 2], ['me', true, 3], ['c', true, 4], ['d', false, 5]], [7]));
    queue.absorb(fx(0, [['e', false, 6], ['f', true, 8]]));
    expect(out).toEqual(['send b 2', 'send c 4', 'persist 1', 'send f 8']);
    pending[0]();
    expect(out.slice(4)).toEqual(['send a 1', 'self 3', 'send d 5', 'reply 7', 'send e 6']);
  });

  it('keeps a batch with nothing early whole, replies early when asked, and a clear drops what waits', () => {
    const { out, pending, queue } = harness({ repliesEarly: true });
    queue.absorb(fx(1, [['a', false, 1], ['b', false, 2]], [9]));
    expect(out).toEqual(['reply 9', 'persist 1']);
    queue.clear();
    pending[0]();
    queue.absorb(fx(0, [['c', false, 3]]));
    expect(out).toEqual(['reply 9', 'persist 1', 'send c 3']);
  });
});
