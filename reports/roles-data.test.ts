// reports/roles-data.test.ts — roles.jsonl into lanes and the intervals where two nodes led at once.
import { describe, expect, it } from 'vitest';
import { leadOverlaps, rolesData } from './roles-data.ts';

const line = (timeS: number, node: string, role: string | null, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ time: timeS * 1e9, node, role, ...extra });

describe('rolesData', () => {
  it('makes one lane per node, each segment lasting until the node\'s next answer or the end', () => {
    const text = [line(0, 'n2', 'backup', { primary: 'n1' }), line(0, 'n1', 'primary', { primary: 'n1', view: 1 }), line(4, 'n1', null), line(6, 'n1', 'backup', { primary: 'n2' })].join('\n');
    const r = rolesData(text, 10);
    expect(r.lanes.map((l) => l.node)).toEqual(['n1', 'n2']);
    expect(r.lanes[0].segments).toEqual([
      { startS: 0, endS: 4, role: 'primary', primary: 'n1', epoch: 1 },
      { startS: 4, endS: 6, role: null, primary: null, epoch: null },
      { startS: 6, endS: 10, role: 'backup', primary: 'n2', epoch: null },
    ]);
    expect(r.lanes[1].segments).toEqual([{ startS: 0, endS: 10, role: 'backup', primary: 'n1', epoch: null }]);
    expect(r.overlaps).toEqual([]);
  });

  it('finds the interval in which two nodes each believed they were primary (a split brain)', () => {
    const text = [line(0, 'n1', 'primary'), line(0, 'n2', 'backup'), line(5, 'n2', 'primary'), line(9, 'n1', 'backup'), line(12, 'n2', 'backup')].join('\n');
    expect(rolesData(text, 20).overlaps).toEqual([{ startS: 5, endS: 9, nodes: ['n1', 'n2'] }]);
  });

  it('a hand-over at one instant is not an overlap; three leaders then two are two intervals', () => {
    expect(leadOverlaps([
      { node: 'n1', segments: [{ startS: 0, endS: 5, role: 'leader', primary: null, epoch: 1 }] },
      { node: 'n2', segments: [{ startS: 5, endS: 9, role: 'leader', primary: null, epoch: 2 }] },
    ])).toEqual([]);
    const seg = (a: number, b: number) => ({ startS: a, endS: b, role: 'primary', primary: null, epoch: null });
    expect(leadOverlaps([
      { node: 'n1', segments: [seg(0, 10)] },
      { node: 'n2', segments: [seg(2, 10)] },
      { node: 'n3', segments: [seg(4, 6)] },
    ])).toEqual([{ startS: 2, endS: 4, nodes: ['n1', 'n2'] }, { startS: 4, endS: 6, nodes: ['n1', 'n2', 'n3'] }, { startS: 6, endS: 10, nodes: ['n1', 'n2'] }]);
  });

  it('skips lines that are not role samples and counts them; orders n2 before n10', () => {
    const r = rolesData([line(1, 'n10', 'follower'), 'not json', '{"time":"x","node":"n1","role":"leader"}', '[1]', line(1, 'n2', 'leader')].join('\n'), 3);
    expect(r.badLines).toBe(3);
    expect(r.lanes.map((l) => l.node)).toEqual(['n2', 'n10']);
  });
});
