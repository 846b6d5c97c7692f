// reports/nemesis-intervals.test.ts — nemesis invoke/info pairs become fault intervals by kind.
import { describe, expect, it } from 'vitest';
import type { Op } from '../history/op.ts';
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
  });

  it('ignores healing without a fault and shows unknown fs as instants', () => {
    const intervals = nemesisIntervals([nemesis(1, 'invoke', 'resume'), nemesis(2, 'info', 'resume'), nemesis(3, 'invoke', 'flood', 'x')], seconds);
    expect(intervals).toEqual([{ kind: 'other', startS: 3, endS: 3, text: 'flood "x"' }]);
  });

  it('maps each f to its kind', () => {
    expect(['start-partition', 'stop-partition', 'kill', 'start', 'pause', 'resume', 'bump-clock', 'strobe-clock', 'reset-clock', 'zap'].map(faultKindOf))
      .toEqual(['partition', 'partition', 'kill', 'kill', 'pause', 'pause', 'clock', 'clock', 'clock', 'other']);
  });
});
