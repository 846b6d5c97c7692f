// nemesis/nemesis.test.ts — the Nemesis against a recording in-memory Cluster: what it does, tracks and heals.
import { describe, expect, it } from 'vitest';
import type { NodeStatus } from '../cluster/types.ts';
import { SeededRng } from '../lib/rng.ts';
import { RecordingCluster as FakeCluster } from '../test/support/recording-cluster.ts';
import { Nemesis } from './nemesis.ts';
import { choosePrimary } from './primary.ts';

function setup(): { cluster: FakeCluster; nemesis: Nemesis } {
  const cluster = new FakeCluster();
  return { cluster, nemesis: new Nemesis(cluster, { rng: new SeededRng(7) }) };
}

describe('Nemesis', () => {
  it('cuts the primary from the view server (the shipped example) and heals', async () => {
    const { cluster, nemesis } = setup();
    const out = await nemesis.perform({ f: 'start-partition', value: { grudge: { primary: ['vs'], vs: ['primary'] } } });
    expect(out).toEqual({ nodes: ['n2', 'vs'], grudge: { n2: ['vs'], vs: ['n2'] }, primary: 'n2' });
    expect(cluster.grudge).toEqual({ n2: ['vs'], vs: ['n2'] });
    expect(nemesis.describeFaults()).toEqual(['partition explicit']);
    await nemesis.perform({ f: 'stop-partition' });
    expect(cluster.grudge).toEqual({});
    expect(nemesis.faults().grudge).toBeNull();
  });

  it('partition topologies split the nodes including the view server', async () => {
    const { cluster, nemesis } = setup();
    const out = await nemesis.perform({ f: 'start-partition', value: { topology: 'primary' } });
    expect(out.primary).toBe('n2');
    expect(cluster.grudge.n2).toEqual(['n1', 'n3', 'vs']);
    const maj = await nemesis.perform({ f: 'start-partition', value: { topology: 'majority' } });
    expect(maj.topology).toBe('majority');
    expect(Object.keys(cluster.grudge).sort()).toEqual(['n1', 'n2', 'n3', 'vs']);
    expect(nemesis.describeFaults()).toEqual(['partition majority']);
  });

  it('refuses at once a removal that would leave the voters without a live majority (Raft thesis §4.2.4), and allows it after the restart', async () => {
    const { cluster, nemesis } = setup();
    await nemesis.perform({ f: 'kill', value: { nodes: ['n1'] } });
    await expect(nemesis.perform({ f: 'remove-member', value: { nodes: ['n3'] } })).rejects.toThrow(/remove-member n3 refused: voters n1,n2 would have n1 killed.*§4\.2\.4/);
    expect(cluster.voters).toEqual(['n1', 'n2', 'n3']);
    // Removing the killed server itself keeps a live majority.
    expect((await nemesis.perform({ f: 'remove-member', value: { nodes: ['n1'] } })).voters).toEqual(['n2', 'n3']);
    await nemesis.perform({ f: 'add-member', value: { nodes: ['n1'] } });
    await nemesis.perform({ f: 'start', value: { nodes: ['n1'] } });
    expect((await nemesis.perform({ f: 'remove-member', value: { nodes: ['n3'] } })).voters).toEqual(['n1', 'n2']);
  });

  it('kill, pause and restart track the faults in force; healAll undoes everything', async () => {
    const { cluster, nemesis } = setup();
    expect((await nemesis.perform({ f: 'kill', value: { target: 'primary' } })).nodes).toEqual(['n2']);
    expect((await nemesis.perform({ f: 'pause', value: { nodes: ['n1', 'n2'] } })).nodes).toEqual(['n1']);
    await nemesis.perform({ f: 'bump-clock', value: { nodes: ['n3'], deltaMs: 300 } });
    await nemesis.perform({ f: 'bump-clock', value: { nodes: ['n3'], deltaMs: -100 } });
    await nemesis.perform({ f: 'start-partition', value: { components: [['n1'], ['n2', 'n3', 'vs']] } });
    expect(nemesis.faults()).toEqual({
      grudge: { n1: ['n2', 'n3', 'vs'], n2: ['n1'], n3: ['n1'], vs: ['n1'] }, topology: null,
      killed: ['n2'], paused: ['n1'], clockOffsetsMs: { n3: 200 }, packet: null, crashed: [], corrupted: [], removed: [], replaced: [],
    });
    expect(nemesis.describeFaults()).toEqual(['partition explicit', 'killed n2', 'paused n1', 'clock n3 +200ms']);
    const healed = await nemesis.healAll();
    expect(healed.map((h) => h.op.f)).toEqual(['stop-partition', 'resume', 'start', 'reset-clock']);
    expect(nemesis.faults()).toEqual({ grudge: null, topology: null, killed: [], paused: [], clockOffsetsMs: {}, packet: null, crashed: [], corrupted: [], removed: [], replaced: [] });
    expect(cluster.down.size + cluster.stopped.size).toBe(0);
    expect(cluster.offsets.get('n3')).toBe(0);
    expect(cluster.grudge).toEqual({});
  });

  it('strobe flips between offsets and ends where it began', async () => {
    const { cluster, nemesis } = setup();
    const out = await nemesis.perform({ f: 'strobe-clock', value: { nodes: ['n1'], deltaMs: 500, periodMs: 5, durationMs: 20 } });
    expect(cluster.calls).toEqual(['clock n1 500', 'clock n1 0', 'clock n1 500', 'clock n1 0', 'clock n1 0']);
    expect(out.offsetsMs).toEqual({ n1: 0 });
  });

  it('the same seed draws the same random targets', async () => {
    const a = setup();
    const b = setup();
    for (let i = 0; i < 5; i++) {
      const op = { f: 'kill', value: { target: 'minority' } };
      expect(await a.nemesis.perform(op)).toEqual(await b.nemesis.perform(op));
    }
  });

  it('rejects malformed ops and unknown nodes, and fails when no primary is known', async () => {
    const { cluster, nemesis } = setup();
    await expect(nemesis.perform({ f: 'kill', value: {} })).rejects.toThrow(/nemesis op "kill": value: expected exactly one of nodes/);
    await expect(nemesis.perform({ f: 'flood' })).rejects.toThrow(/nemesis op "flood"/);
    await expect(nemesis.perform({ f: 'kill', value: { nodes: ['n9'] } })).rejects.toThrow(/unknown node "n9"/);
    await expect(nemesis.perform({ f: 'start-partition', value: { grudge: { n1: ['n7'] } } })).rejects.toThrow(/unknown node "n7"/);
    cluster.primary = null;
    await expect(nemesis.perform({ f: 'pause', value: { target: 'primary' } })).rejects.toThrow(/no primary known/);
    expect(cluster.calls).toEqual([]);
  });
});

describe('choosePrimary', () => {
  const st = (id: string, role: string, extra: Partial<NodeStatus> = {}): NodeStatus => ({ id, protocol: 'p', role, appliedIndex: 0, ...extra });
  it('prefers the self-declared leader of the highest term, then the most named primary', () => {
    expect(choosePrimary([st('n1', 'leader', { term: 2 }), st('n2', 'leader', { term: 3 }), null])).toBe('n2');
    expect(choosePrimary([st('n1', 'backup', { primary: 'n3' }), st('n2', 'backup', { primary: 'n3' }), st('n4', 'backup', { primary: 'n1' })])).toBe('n3');
    expect(choosePrimary([null, st('n1', 'follower', { primary: null })])).toBeNull();
  });
});
