// cluster/sim/reactive.test.ts — the reactive nemesis answers wire events with faults, the same way for the same seed.
import { describe, expect, it } from 'vitest';
import { VirtualTimers } from '../../lib/timers.ts';
import { ReactiveNemesis, type Reaction } from './reactive.ts';

/** world: a ReactiveWorld that writes down what it was asked to do, with the virtual time. */
function world() {
  const timers = new VirtualTimers();
  const calls: string[] = [];
  const at = (what: string): void => { calls.push(`${timers.nowMs().toFixed(3)} ${what}`); };
  return {
    timers, calls,
    w: {
      timers,
      crash: (n: string) => at(`crash ${n}`),
      restart: (n: string) => at(`restart ${n}`),
      hold: (n: string, ms: number, from?: string) => at(`hold ${from === undefined ? '' : `${from}>`}${n} ${ms.toFixed(3)}`),
      isolate: (n: string, cut: boolean) => at(`${cut ? 'isolate' : 'rejoin'} ${n}`),
      sever: (a: string, b: string, cut: boolean) => at(`${cut ? 'sever' : 'mend'} ${a}|${b}`),
      log: () => undefined,
    },
  };
}

async function run(reactions: Reaction[], seed: number, feed: (r: ReactiveNemesis) => void, untilMs = 10_000): Promise<string[]> {
  const { timers, calls, w } = world();
  const r = new ReactiveNemesis(w, new Set(reactions), seed, untilMs);
  feed(r);
  timers.at(5000, () => timers.wake());
  await timers.drive(new Promise<void>((resolve) => timers.setTimer(resolve, 5000)));
  return calls;
}

describe('ReactiveNemesis', () => {
  it('crashes a voter after its first vote of a term, slows its links meanwhile, restarts it; a second vote of that term goes unhindered', async () => {
    // Some seed reacts (each event is answered with probability CRASH_P or ISOLATE_P).
    const calls = await run(['crash-after-vote'], 1, (r) => {
      r.observe('n2', 'n1', { kind: 'voted', term: 3 });
      r.observe('n2', 'n4', { kind: 'voted', term: 3 });
    });
    expect(calls.filter((c) => c.includes('crash'))).toHaveLength(1);
    const [crash, holdIn, holdVote, restart] = calls;
    expect(crash).toBe('0.000 crash n2');
    expect(holdIn).toMatch(/^0\.000 hold n2 /);
    expect(holdVote).toMatch(/^0\.000 hold n2>n1 /);
    expect(restart).toMatch(/ restart n2$/);
    expect(Number(restart.split(' ')[0])).toBeCloseTo(Number(holdIn.split(' ')[3]), 6);
  });

  it('cuts two leaders of one term apart and mends the link later; leaders of different terms and heartbeats are left alone', async () => {
    const calls = await run(['split-rival-leaders'], 1, (r) => {
      r.observe('n1', 'n2', { kind: 'leads', term: 4 });
      r.observe('n1', 'n3', { kind: 'leads', term: 4 });
      r.observe('n3', 'n1', { kind: 'leads', term: 5 });
      r.observe('n5', 'n1', { kind: 'leads', term: 4 });
    });
    expect(calls.map((c) => c.split(' ').slice(1).join(' '))).toEqual(['sever n1|n5', 'mend n1|n5']);
  });

  it('does nothing past untilMs or for reactions not asked for, and the same seed reacts the same way', async () => {
    const feed = (r: ReactiveNemesis): void => {
      for (let term = 1; term <= 20; term += 1) r.observe(`n${(term % 5) + 1}`, 'n1', { kind: 'leads', term });
    };
    expect(await run(['crash-after-vote'], 2, feed)).toEqual([]);
    expect(await run(['isolate-new-leader'], 2, feed, 0)).toEqual([]);
    const once = await run(['isolate-new-leader'], 2, feed);
    expect(once.length).toBeGreaterThan(0);
    expect(await run(['isolate-new-leader'], 2, feed)).toEqual(once);
    expect(await run(['isolate-new-leader'], 3, feed)).not.toEqual(once);
  });
});
