// nemesis/faults/registry.test.ts — every registered fault kind is complete: parts, valid draws, YAML round trip, heal.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SeededRng } from '../../lib/rng.ts';
import { RecordingCluster } from '../../test/support/recording-cluster.ts';
import { Nemesis } from '../nemesis.ts';
import { parseNemesisOp } from '../ops.ts';
import { parseScheduleText } from '../schedule-file.ts';
import type { FaultModule } from './fault.ts';
import { DO_NAMES, FAULTS, faultOfF, NEMESIS_FS } from './registry.ts';

const KINDS = FAULTS as readonly FaultModule[];
const NODES = ['n1', 'n2', 'n3'];
const DRAW = { nodes: NODES, partitionNodes: [...NODES, 'vs'] };
const SEEDS = [1, 2, 3, 5, 8, 13, 21, 34];

/** drawn: each seed's [open, close] pair of a kind. */
function drawn(m: FaultModule): Array<[{ f: string; value?: unknown }, { f: string; value?: unknown }]> {
  return SEEDS.map((seed) => m.draw(DRAW, new SeededRng(seed)));
}

/** isEmptyFault: a kind's inForce field holding nothing (null, [], {}). */
function isEmptyFault(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

/** op0IsAlwaysHealed: kinds that heal whether or not anything is recorded (a half-applied partition). */
function op0IsAlwaysHealed(m: FaultModule): boolean {
  return m.session({} as never).healOps().length > 0;
}

describe('the fault registry', () => {
  it('names every op and every do once', () => {
    expect(new Set(NEMESIS_FS).size).toBe(NEMESIS_FS.length);
    expect(new Set(DO_NAMES).size).toBe(DO_NAMES.length);
    expect(new Set(KINDS.map((m) => m.kind)).size).toBe(KINDS.length);
  });

  describe.each(KINDS.map((m) => [m.kind, m] as const))('%s', (_kind, m) => {
    it('has every part: ops that open and close, YAML entries, a session, a heal rank, report label, colour and words', () => {
      expect(m.summary.length).toBeGreaterThan(10);
      const roles = Object.values(m.ops).map((o) => o.role);
      expect(roles).toContain('open');
      expect(roles).toContain('close');
      expect(Object.keys(m.yaml).length).toBeGreaterThan(0);
      expect(Number.isFinite(m.healRank)).toBe(true);
      expect(m.report.label.length).toBeGreaterThan(0);
      expect(m.report.color).toMatch(/^#[0-9a-f]{6}$/);
      for (const f of Object.keys(m.ops)) {
        expect(faultOfF(f)).toBe(m);
        expect(m.report.words(f, undefined, undefined).length).toBeGreaterThan(0);
      }
    });

    it('either keeps the servers or names the capability it needs and the cluster kinds it reaches', () => {
      const change = m.changesServers;
      if (change === undefined) return;
      expect(['reconfigure', 'fresh-server']).toContain(change.needs);
      expect(change.clusters.length).toBeGreaterThan(0);
      expect(new Set(change.clusters).size).toBe(change.clusters.length);
      for (const c of change.clusters) expect(['local', 'docker', 'sim', 'ssh']).toContain(c);
    });

    it('draws an opening op and the op that undoes it, both valid', () => {
      for (const [open, close] of drawn(m)) {
        expect(m.ops[open.f].role).toBe('open');
        expect(m.ops[close.f].role).toBe('close');
        expect(() => parseNemesisOp(open)).not.toThrow();
        expect(() => parseNemesisOp(close)).not.toThrow();
        const words = m.report.words(open.f, open.value, undefined);
        expect(words.length).toBeGreaterThan(0);
      }
    });

    it('round-trips its ops through the schedule file', () => {
      const entries = drawn(m).flat().map((op) => m.yamlOf(op));
      const text = stringify(entries.map((e, i) => ({ at: `${i}s`, ...e })));
      const ops = parseScheduleText(text, 'roundtrip.yaml', { nodes: [...NODES, 'vs'] });
      expect(ops.map((op) => m.yamlOf(op))).toEqual(entries);
      for (const [i, op] of ops.entries()) {
        expect(op.atMs).toBe(i * 1000);
        expect(faultOfF(op.f)).toBe(m);
      }
      // Every do of the kind is what some op of it writes.
      const written = new Set(entries.map((e) => e.do));
      for (const name of Object.keys(m.yaml)) {
        const fromFile = Object.keys(m.ops).some((f) => m.yamlOf({ f }).do === name) || written.has(name);
        expect(fromFile, `do: ${name}`).toBe(true);
      }
    });

    it('heals: after its open op, the nemesis heal ops leave the cluster and the fault state as before', async () => {
      for (const [open] of drawn(m)) {
        const cluster = new RecordingCluster();
        const before = cluster.state();
        const nemesis = new Nemesis(cluster, { rng: new SeededRng(3) });
        await nemesis.perform(open);
        // An op that ends by itself (a clock strobe returns to where it began) leaves nothing to heal.
        const lasting = JSON.stringify(cluster.state()) !== JSON.stringify(before);
        expect(nemesis.healOps().some((op) => faultOfF(op.f) === m && m.ops[op.f].role === 'close')).toBe(lasting || op0IsAlwaysHealed(m));
        await nemesis.healAll();
        expect(cluster.state()).toEqual(before);
        expect(nemesis.describeFaults()).toEqual([]);
        for (const [field, v] of Object.entries(m.session({} as never).inForce())) {
          expect(isEmptyFault(nemesis.faults()[field]), `${field} after heal`).toBe(isEmptyFault(v));
        }
      }
    });
  });
});
