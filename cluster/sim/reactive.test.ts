// cluster/sim/reactive.test.ts — the reactive nemesis answers wire events with faults, the same way for the same seed.
import { describe, expect, it } from 'vitest';
import { VirtualTimers } from '../../lib/timers.ts';
import type { LogView } from './log-view.ts';
import { ReactiveNemesis, type Reaction, reactionsRefusal } from './reactive.ts';

/** logView: a log whose entries have the given terms (index 1 first). */
function logView(terms: number[]): LogView {
  return { lastIndex: terms.length, lastTerm: terms.at(-1) ?? 0, termAt: (i) => terms[i - 1] };
}

/** world: a ReactiveWorld that writes down what it was asked to do, with the virtual time. */
function world(logs: Record<string, number[]> = {}) {
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
      nodes: ['n1', 'n2', 'n3', 'n4', 'n5'],
      logOf: (n: string) => (logs[n] === undefined ? null : logView(logs[n])),
      propose: (n: string, count: number) => at(`propose ${n} ${count}`),
    },
  };
}

type Feed = (r: ReactiveNemesis, timers: VirtualTimers) => void;

/** runNemesis feeds the nemesis events for 5 virtual seconds: what it asked the world to do, and its count of stagings. */
async function runNemesis(reactions: Reaction[], seed: number, feed: Feed, untilMs = 10_000, logs: Record<string, number[]> = {}): Promise<{ calls: string[]; stagings: number }> {
  const { timers, calls, w } = world(logs);
  const r = new ReactiveNemesis(w, new Set(reactions), seed, untilMs);
  feed(r, timers);
  timers.at(5000, () => timers.wake());
  await timers.drive(new Promise<void>((resolve) => timers.setTimer(resolve, 5000)));
  return { calls, stagings: r.stagings() };
}

async function run(...args: Parameters<typeof runNemesis>): Promise<string[]> {
  return (await runNemesis(...args)).calls;
}

/** REVOTE_LOGS: n1 led term 1 and holds one more entry than its followers, all equal. */
const REVOTE_LOGS = { n1: [1, 1], n2: [1], n3: [1], n4: [1], n5: [1] };

/** revoteOpening: n1 leads term 1; at 1.1 s n2 campaigns in term 2 (step 2), and n3 votes for it at 1.105 s (step 3). */
function revoteOpening(r: ReactiveNemesis, timers: VirtualTimers): void {
  r.observe('n1', 'n2', { kind: 'leads', term: 1 });
  timers.at(1100, () => r.observe('n2', 'n3', { kind: 'campaigns', term: 2 }));
  timers.at(1105, () => r.observe('n3', 'n2', { kind: 'voted', term: 2 }));
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

  it('figure8: stages Raft Figure 8 — (a) a leader and a follower cut off with a tail, (b) the next leader planted, (c) rejoined, (d) on the cue its voters hear only it', async () => {
    // At the cue (step c, with the no-ops): n1 leads term 3 and counted index 2 (term 1) on n1, n2, n3;
    // n5, planted in (b), holds its term-2 no-op there, n4 only index 1; n2 already has n1's no-op.
    const logs = { n1: [1, 1, 3], n2: [1, 1, 3], n3: [1, 1], n4: [1], n5: [1, 2] };
    const cue = { leader: 'n1', term: 3, index: 2, entryTerm: 1 };
    const calls = await run(['figure8'], 1, (r, timers) => {
      r.observe('n1', 'n2', { kind: 'leads', term: 1 });
      timers.at(1100, () => r.observe('n5', 'n3', { kind: 'leads', term: 2 }));
      timers.at(1200, () => {
        r.oldTermCommit(cue);
        r.oldTermCommit({ ...cue, index: 1 });
      });
    }, 10_000, logs);
    const rest = ['n3', 'n4', 'n5'];
    expect(calls.filter((c) => Number(c.split(' ')[0]) <= 2700)).toEqual([
      ...['n1', 'n2'].flatMap((a) => rest.map((b) => `1000.000 sever ${a}|${b}`)), '1000.000 propose n1 100',
      '1100.000 isolate n5',
      ...['n1', 'n2'].flatMap((a) => rest.map((b) => `1120.000 mend ${a}|${b}`)),
      '1200.000 rejoin n5', '1200.000 isolate n1', '1200.000 isolate n2', '1200.000 sever n3|n4',
      '2700.000 rejoin n1', '2700.000 rejoin n2', '2700.000 mend n3|n4',
    ]);
    // Without a planted node whose last term is newer than the holders', nobody lacking the entry can win: (d) does nothing.
    const none = await run(['figure8'], 1, (r, timers) => {
      r.observe('n1', 'n2', { kind: 'leads', term: 1 });
      timers.at(1100, () => r.observe('n5', 'n3', { kind: 'leads', term: 2 }));
      timers.at(1200, () => r.oldTermCommit(cue));
    }, 10_000, { ...logs, n5: [1, 1] });
    expect(none.filter((c) => c.startsWith('1200.000'))).toEqual([]);
    expect(await run(['isolate-new-leader'], 1, (r) => r.oldTermCommit(cue), 10_000, logs)).toEqual([]);
  });

  it('revote-after-crash: (1) the leader cut off, (2) the first candidate cast and the rival leader restarted, (3) the voter crashed after voting and kept from the winner, (4) back as the rival campaigns in the same term', async () => {
    // n1 led term 1 and holds one more entry than its followers, all equal: n2 campaigns first.
    const logs = { n1: [1, 1], n2: [1], n3: [1], n4: [1], n5: [1] };
    const feed = (r: ReactiveNemesis, timers: VirtualTimers): void => {
      r.observe('n1', 'n2', { kind: 'leads', term: 1 });
      timers.at(1100, () => ['n1', 'n3', 'n4', 'n5'].forEach((to) => r.observe('n2', to, { kind: 'campaigns', term: 2 })));
      timers.at(1105, () => r.observe('n3', 'n2', { kind: 'voted', term: 2 }));
      timers.at(1106, () => r.observe('n4', 'n2', { kind: 'voted', term: 2 }));
      timers.at(1110, () => r.observe('n2', 'n3', { kind: 'leads', term: 2 }));
      timers.at(1300, () => ['n2', 'n3', 'n4', 'n5'].forEach((to) => r.observe('n1', to, { kind: 'campaigns', term: 2 })));
    };
    const { calls, stagings } = await runNemesis(['revote-after-crash'], 1, feed, 10_000, logs);
    // One staging reached step (4); the next ones (from 2 s, at n2) get no events and time out.
    expect(stagings).toBe(1);
    expect(calls.filter((c) => Number(c.split(' ')[0]) <= 1600)).toEqual([
      '1000.000 isolate n1',
      '1100.000 crash n5', '1100.000 sever n2|n5', '1100.000 crash n1', '1100.000 restart n1', '1100.000 rejoin n1', '1100.000 sever n2|n1',
      '1105.000 crash n3',
      '1110.000 sever n2|n3',
      '1300.000 restart n3', '1300.000 restart n5',
      '1600.000 mend n2|n5', '1600.000 mend n2|n1', '1600.000 mend n2|n3',
    ]);
    // The next staging starts at the latest leader, n2 of term 2; the same seed stages the same way.
    expect(calls).toContain('2000.000 isolate n2');
    expect(await run(['revote-after-crash'], 1, feed, 10_000, logs)).toEqual(calls);
    // A first candidate behind its followers cannot win: the leader rejoins at once, nobody crashes.
    const behind = await run(['revote-after-crash'], 1, feed, 10_000, { ...logs, n3: [1, 1], n4: [1, 1], n5: [1, 1] });
    expect(behind.filter((c) => Number(c.split(' ')[0]) <= 1400)).toEqual(['1000.000 isolate n1', '1100.000 rejoin n1']);
    // Nothing past untilMs.
    expect(await run(['revote-after-crash'], 1, feed, 0, logs)).toEqual([]);
  });

  it('revote-after-crash: a rival that never campaigns (killed by a nemesis on top) ends the staging at step (3)\'s timeout, not at untilMs', async () => {
    const { calls, stagings } = await runNemesis(['revote-after-crash'], 1, (r, timers) => {
      revoteOpening(r, timers);
      timers.at(1110, () => r.observe('n2', 'n3', { kind: 'leads', term: 2 }));
    }, 9000, REVOTE_LOGS);
    expect(stagings).toBe(0);
    // The voter n3 and the rival's voter n5, down since step (3) and (2), come back one step timeout (1 s) after the vote.
    expect(calls.filter((c) => { const t = Number(c.split(' ')[0]); return t > 1110 && t <= 2105; })).toEqual([
      '2105.000 mend n2|n5', '2105.000 mend n2|n1', '2105.000 mend n2|n3', '2105.000 restart n5', '2105.000 restart n3',
    ]);
    expect(calls.filter((c) => c.includes('restart n3') || c.includes('restart n5'))).toHaveLength(2);
  });

  it('revote-after-crash: a rival campaigning before the voter voted ends the staging (no step 4); a first candidate winning after step (4) is still kept from the voter', async () => {
    const { calls: early, stagings } = await runNemesis(['revote-after-crash'], 1, (r, timers) => {
      revoteOpening(r, timers);
      timers.at(1102, () => r.observe('n1', 'n3', { kind: 'campaigns', term: 2 }));
    }, 10_000, REVOTE_LOGS);
    expect(stagings).toBe(0);
    expect(early.filter((c) => { const t = Number(c.split(' ')[0]); return t > 1100 && t < 1500; })).toEqual([
      '1102.000 mend n2|n5', '1102.000 mend n2|n1', '1102.000 restart n5',
    ]);
    const lateWin = await run(['revote-after-crash'], 1, (r, timers) => {
      revoteOpening(r, timers);
      timers.at(1300, () => r.observe('n1', 'n3', { kind: 'campaigns', term: 2 }));
      timers.at(1301, () => r.observe('n2', 'n4', { kind: 'leads', term: 2 }));
    }, 10_000, REVOTE_LOGS);
    expect(lateWin).toContain('1301.000 sever n2|n3');
    expect(lateWin).toContain('1600.000 mend n2|n3');
  });
});

describe('reactionsRefusal', () => {
  it('lets a staged reaction run alone (even named twice) and the unstaged ones together, and refuses a staged one beside another', () => {
    expect(reactionsRefusal(['figure8'], 5)).toBeNull();
    expect(reactionsRefusal(['revote-after-crash', 'revote-after-crash'], 5)).toBeNull();
    expect(reactionsRefusal(['crash-after-vote', 'split-rival-leaders', 'isolate-new-leader'], 5)).toBeNull();
    expect(reactionsRefusal(['figure8', 'revote-after-crash'], 5)).toMatch(/^figure8 stages its own cuts and crashes and runs alone/);
    expect(reactionsRefusal(['isolate-new-leader', 'figure8'], 5)).toMatch(/^figure8 .* got isolate-new-leader,figure8$/);
  });

  it('is the rule ReactiveNemesis itself holds to, for options that bypassed resolveOptions', () => {
    const { w } = world();
    expect(() => new ReactiveNemesis(w, new Set<Reaction>(['figure8', 'crash-after-vote']), 1, 10_000)).toThrow(/^--sim-react: figure8 stages its own cuts and crashes and runs alone/);
    expect(() => new ReactiveNemesis({ ...w, nodes: ['n1', 'n2', 'n3', 'n4'] }, new Set<Reaction>(['revote-after-crash']), 1, 10_000)).toThrow(/^--sim-react: revote-after-crash needs an odd --nodes of 3 or more .*, got 4$/);
    expect(() => new ReactiveNemesis(w, new Set<Reaction>(['revote-after-crash']), 1, 10_000)).not.toThrow();
  });

  it('refuses revote-after-crash on an even cluster or one under 3 nodes, and only that reaction', () => {
    for (const nodes of [3, 5, 7]) expect(reactionsRefusal(['revote-after-crash'], nodes)).toBeNull();
    for (const nodes of [1, 2, 4, 6]) {
      expect(reactionsRefusal(['revote-after-crash'], nodes)).toBe(`revote-after-crash needs an odd --nodes of 3 or more (two majorities of an even cluster share two voters), got ${nodes}`);
    }
    expect(reactionsRefusal(['figure8'], 4)).toBeNull();
    expect(reactionsRefusal(['crash-after-vote', 'isolate-new-leader'], 2)).toBeNull();
  });
});
