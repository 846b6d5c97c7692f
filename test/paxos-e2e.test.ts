// test/paxos-e2e.test.ts — --db paxos end to end: a real local run valid under partition, kill and pause; on --cluster sim, bugs ignore-accepted, forget-promise and no-fsync caught and their controls valid.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../control/config.ts';
import { localParts } from '../control/runner/parts.ts';
import { runTest } from '../control/runner/run-test.ts';
import { simulateSeed } from '../control/sim/run-seed.ts';
import { readHistory } from '../history/read.ts';
import { expectWellFormed, tempStore, testOptions } from './runner-support.ts';

const simOptions = (overrides: Parameters<typeof testOptions>[0] = {}) => testOptions({
  cluster: 'sim', db: 'paxos', name: 'sim-paxos', nodes: 3, rate: 50, concurrency: 5,
  nemesis: ['partition', 'kill'], nemesisIntervalS: 1, timeLimitS: 10, recoveryS: 1, ...overrides,
});

/** zooSchedule: a schedule of examples/zoo/ (each file says what it is for). */
const zooSchedule = (file: string): string => path.join(import.meta.dirname, '..', 'examples', 'zoo', file);

/** FREEZE_LEADER: the leader paused and cut off, then a random majority restarted as it resumes (the file says why). */
const FREEZE_LEADER = {
  nemesisSchedule: zooSchedule('paxos-freeze-leader-restart-others.yaml'),
  concurrency: 10, rate: 200, keyCount: 3, timeLimitS: 30, recoveryS: 3,
};

describe('--db paxos', () => {
  it('a real local run under partition, kill and pause is linearizable', async () => {
    const opts = resolveOptions({
      db: 'paxos', workload: 'register', nemesis: 'partition,kill,pause', nemesisInterval: '1.5', timeLimit: '8', seed: '5',
      store: tempStore(), checkTimeout: '20',
    });
    const outcome = await runTest(opts, localParts());
    expect(outcome.results.error).toBeUndefined();
    const history = await readHistory(outcome.run.historyJsonl);
    expectWellFormed(history);
    const faults = history.filter((op) => op.process === 'nemesis' && op.type === 'invoke').map((op) => op.f);
    expect(faults).toEqual(expect.arrayContaining(['kill', 'pause', 'start-partition']));
    expect(outcome.results.stats.all.ok, JSON.stringify(outcome.results.stats.all)).toBeGreaterThan(10);
    expect(outcome.valid).toBe(true);
  }, 90_000);

  it('on --cluster sim under partition,kill: the control is valid, and bug ignore-accepted is caught', async () => {
    for (const seed of [1, 2]) {
      const { outcome } = await simulateSeed(simOptions({ seed }));
      expect(outcome.valid, `control seed ${seed}`).toBe(true);
    }
    let caught: number | undefined;
    for (let seed = 1; seed <= 3 && caught === undefined; seed += 1) {
      const { outcome } = await simulateSeed(simOptions({ seed, bugs: ['ignore-accepted'] }));
      if (outcome.valid === false) caught = seed;
    }
    expect(caught).toBeDefined();
  }, 120_000);

  it('on --cluster sim, the old leader frozen while the others restart: bug forget-promise caught (seeds 1, 2), the control valid', async () => {
    for (const seed of [1, 2]) {
      const { outcome } = await simulateSeed(simOptions({ ...FREEZE_LEADER, seed, bugs: ['forget-promise'] }));
      expect(outcome.valid, `forget-promise seed ${seed}`).toBe(false);
      expect(outcome.anomalies.join('\n')).toMatch(/nonlinearizable/);
    }
    for (const seed of [1]) {
      const { outcome } = await simulateSeed(simOptions({ ...FREEZE_LEADER, seed }));
      expect(outcome.valid, `control seed ${seed}`).toBe(true);
    }
  }, 120_000);

  it('on --cluster sim, a power failure of every node: bug no-fsync loses acknowledged writes, the control is valid', async () => {
    const power = { nemesisSchedule: zooSchedule('raft-power-failure.yaml'), seed: 1 };
    const { outcome: buggy } = await simulateSeed(simOptions({ ...power, bugs: ['no-fsync'] }));
    expect(buggy.valid).toBe(false);
    expect(buggy.anomalies.join('\n')).toMatch(/nonlinearizable/);
    const { outcome: control } = await simulateSeed(simOptions(power));
    expect(control.valid).toBe(true);
  }, 60_000);
});
