// reports/nemesis-intervals.test.ts — nemesis invoke/info pairs become fault intervals by kind.
import { describe, expect, it } from 'vitest';
import type { Op } from '../history/op.ts';
import { grudgeWords } from '../nemesis/faults/partition.ts';
import { faultWords } from './fault-words.ts';
import { faultKindOf, nemesisIntervals } from './nemesis-intervals.ts';

function nemesis(index: number, type: Op['type'], f: string, value?: unknown): Op {
  return { index, time: index * 1e9, type, process: 'nemesis', f, value };
}
const seconds = (op: Op): number => (op.time as number) / 1e9;

describe('nemesisIntervals', () => {
  it('pairs openers with the op that heals them, from invoke to completion', () => {
    const history = [
      nemesis(1, 'invoke', 'start-partition', { topology: 'majority' }),
      nemesis(2, 'info', 'start-partition', { grudge: { n1: ['n2'] } }),
      { index: 3, time: 3e9, type: 'invoke', process: 0, f: 'read' } satisfies Op,
      nemesis(4, 'invoke', 'kill', { nodes: ['n3'] }),
      nemesis(5, 'info', 'kill', { killed: ['n3'] }),
      nemesis(6, 'invoke', 'stop-partition'),
      nemesis(7, 'info', 'stop-partition'),
      nemesis(8, 'invoke', 'bump-clock', { nodes: ['n1'], deltaMs: 500 }),
    ];
    const intervals = nemesisIntervals(history, seconds);
    expect(intervals.map((i) => [i.kind, i.startS, i.endS])).toEqual([
      ['partition', 1, 7],
      ['kill', 4, null],
      ['clock', 8, null],
    ]);
    expect(intervals[0].text).toContain('"n1":["n2"]');
    expect(intervals[0].text).toContain('healed by stop-partition');
    // Words come from what the op did (its completion), the raw JSON stays in text.
    expect(intervals.map((i) => i.words)).toEqual(['partition: n1 cut from n2 (majority)', 'killed n3', 'clock n1 +500 ms']);
  });

  it('ignores healing without a fault and shows unknown fs as instants', () => {
    const intervals = nemesisIntervals([nemesis(1, 'invoke', 'resume'), nemesis(2, 'info', 'resume'), nemesis(3, 'invoke', 'flood', 'x')], seconds);
    expect(intervals).toEqual([{ kind: 'other', startS: 3, endS: 3, words: 'flood "x"', text: 'flood "x"' }]);
  });

  it('maps each f to its kind', () => {
    expect(['start-partition', 'stop-partition', 'kill', 'start', 'pause', 'resume', 'bump-clock', 'strobe-clock', 'reset-clock', 'zap'].map(faultKindOf))
      .toEqual(['partition', 'partition', 'kill', 'kill', 'pause', 'pause', 'clock', 'clock', 'clock', 'other']);
  });
});

describe('faults in words', () => {
  it('says a clean partition as its components, with the topology', () => {
    const grudge = { n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] };
    expect(faultWords('start-partition', { topology: 'majorities-ring' }, { nodes: ['n1', 'n2', 'n3'], grudge, topology: 'majorities-ring' }))
      .toBe('partition: n1 | n2 n3 (majorities ring)');
    expect(grudgeWords({ n1: ['n4', 'n5'], n2: ['n4', 'n5'], n3: ['n4', 'n5'], n4: ['n1', 'n2', 'n3'], n5: ['n1', 'n2', 'n3'] })).toBe('n1 n2 n3 | n4 n5');
  });

  it('says a ring or a one-way grudge as who is cut from whom', () => {
    const ring = { n1: ['n3', 'n4'], n2: ['n4', 'n5'], n3: ['n5', 'n1'], n4: ['n1', 'n2'], n5: ['n2', 'n3'] };
    expect(grudgeWords(ring)).toBe('n1 cut from n3 n4; n2 cut from n4 n5; n3 cut from n1 n5; n4 cut from n1 n2; n5 cut from n2 n3');
    expect(grudgeWords({ n1: ['vs'] })).toBe('n1 cut from vs');
  });

  it('says kills, pauses, restarts and clock changes with nodes and signed milliseconds', () => {
    expect(faultWords('kill', { target: 'primary' }, { nodes: ['n2'], primary: 'n2' })).toBe('killed n2 (primary n2)');
    expect(faultWords('kill', { target: 'one' }, undefined)).toBe('killed (one)');
    expect(faultWords('pause', { nodes: ['n1', 'n3'] }, { nodes: ['n1', 'n3'] })).toBe('paused n1 n3');
    expect(faultWords('start', undefined, { nodes: ['n2'] })).toBe('restarted n2');
    expect(faultWords('bump-clock', { nodes: ['n3'], deltaMs: 812 }, { nodes: ['n3'], offsetsMs: { n3: 812 } })).toBe('clock n3 +812 ms');
    expect(faultWords('bump-clock', { target: 'one', deltaMs: -40 }, undefined)).toBe('clock (one) −40 ms');
    expect(faultWords('strobe-clock', { nodes: ['n1'], deltaMs: 200, periodMs: 10, durationMs: 2000 }, { nodes: ['n1'], offsetsMs: { n1: 0 } }))
      .toBe('clock n1 ±0 ms (strobe every 10 ms for 2000 ms)');
    expect(faultWords('reset-clock', undefined, { nodes: ['n1', 'n2'] })).toBe('clocks reset on n1 n2');
  });
});
