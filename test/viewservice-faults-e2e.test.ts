// test/viewservice-faults-e2e.test.ts — --db viewservice on real local processes under packet faults
// and file corruption, with the single view server and the replicated one (--viewserver-replicas 3):
// the history is linearizable, each fault took effect, the primary changed at each kill, and
// every key is read again after the faults. (The replace nemesis: test/viewservice-replace-e2e.test.ts;
// corrupt-file on the single view server is refused up front: test/run-validation.test.ts.)
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunOutcome } from '../control/runner/run-test.ts';
import type { Op } from '../history/op.ts';
import { expectEveryKeyReadAfter, nemesisDone, runLocalExample } from './support/example-run.ts';
import { readRoles } from './support/viewserver-replicas-checks.ts';

/** RUN_TIMEOUT_MS: a hang guard for one run (about 20 s on an idle machine, setup and check included). */
const RUN_TIMEOUT_MS = 120_000;

/** expectPacketOnEveryLink: the shaping started on every link between `nodes`, both ways, with the schedule's shape. */
function expectPacketOnEveryLink(history: Op[], nodes: string[]): void {
  const [packet] = nemesisDone(history, 'start-packet');
  expect(packet, 'start-packet took effect').toBeDefined();
  const value = packet.value as { links: string[][]; shape: Record<string, number>; mechanism: string };
  expect(value.shape).toEqual({ delayMs: 50, jitterMs: 10, reorder: 0.2 });
  expect(value.mechanism).toMatch(/link-proxies/);
  const want = nodes.flatMap((a) => nodes.filter((b) => b !== a).map((b) => `${a}>${b}`)).sort();
  expect(value.links.map(([a, b]) => `${a}>${b}`).sort()).toEqual(want);
}

/**
 * expectFailovers: two primaries were killed and after each kill another server reported itself
 * primary (roles.jsonl, each node's /status sampled) — a view change made on delayed, reordered
 * messages — and every key is read ok after the second restart. Not "before the restart": on a
 * loaded machine a slow failover is overtaken by the restarted primary resuming (see the schedule).
 */
function expectFailovers(outcome: RunOutcome, history: Op[]): void {
  const kills = nemesisDone(history, 'kill').filter((op) => (op.value as { primary?: string }).primary !== undefined);
  expect(kills).toHaveLength(2);
  const roles = readRoles(outcome.run.rolesJsonl);
  for (const kill of kills) {
    const killed = (kill.value as { primary: string }).primary;
    const next = roles.find((r) => r.time > kill.time! && r.role === 'primary' && r.node !== killed);
    expect(next, `a primary other than ${killed} after the kill at ${kill.time! / 1e9} s`).toBeDefined();
  }
  const starts = nemesisDone(history, 'start');
  expect(starts).toHaveLength(2);
  expectEveryKeyReadAfter(history, starts[1]);
}

describe('--db viewservice under packet faults (local link proxies: delay, jitter, reorder)', () => {
  it('the single view server: valid, and another server becomes primary after each of two kills while every link is slow', async () => {
    const { outcome, history } = await runLocalExample('viewservice-packet-failover.yaml', { db: 'viewservice', timeLimit: '11', seed: '1' });
    expectPacketOnEveryLink(history, ['n1', 'n2', 'n3', 'vs']);
    expectFailovers(outcome, history);
    expect(outcome.results.anomalies).toEqual([]);
    expect(outcome.valid).toBe(true);
  }, RUN_TIMEOUT_MS);

  it('the replicated view server (vs1..vs3 on Raft), vs1 killed: valid, and another server becomes primary after each kill', async () => {
    const { outcome, history } = await runLocalExample('viewserver-replicas-packet-failover.yaml', { db: 'viewservice', viewserverReplicas: '3', timeLimit: '14', seed: '1' });
    expectPacketOnEveryLink(history, ['n1', 'n2', 'n3', 'vs1', 'vs2', 'vs3']);
    expect(nemesisDone(history, 'kill').map((op) => (op.value as { nodes: string[] }).nodes[0])[0]).toBe('vs1');
    expectFailovers(outcome, history);
    expect(outcome.results.anomalies).toEqual([]);
    expect(outcome.valid).toBe(true);
  }, RUN_TIMEOUT_MS);
});

describe('--db viewservice under corrupt-file, one node at a time', () => {
  it('a primary\'s, a view-server node\'s and a replica\'s log zeroed, bitflipped, cut: valid, and every key read after', async () => {
    const { outcome, history } = await runLocalExample('viewservice-corrupt-one-node.yaml', { db: 'viewservice', viewserverReplicas: '3', timeLimit: '11', seed: '2' });
    const damage = nemesisDone(history, 'corrupt').flatMap((op) => (op.value as { corrupted: Array<{ node: string; mode: string; file: string }> }).corrupted);
    expect(damage.map((d) => d.mode)).toEqual(['zero', 'bitflip', 'truncate']);
    expect(damage[1].node).toBe('vs1');
    expect(damage.every((d) => d.file === 'log.bin')).toBe(true);
    // The damaged nodes noticed at their restart (a cut ending on a record boundary leaves nothing to find).
    const logs = fs.readdirSync(outcome.run.dir, { recursive: true }).map(String).filter((f) => /(n\d|vs\d)\.log$/.test(f));
    const cuts = logs.flatMap((l) => fs.readFileSync(path.join(outcome.run.dir, l), 'utf8').split('\n').filter((line) => /durable-log: truncated/.test(line)));
    expect(cuts.length).toBeGreaterThanOrEqual(2);
    expect(cuts.some((line) => / vs1 durable-log/.test(line)), cuts.join('\n')).toBe(true);
    const restarts = nemesisDone(history, 'restart-corrupted');
    expect(restarts).toHaveLength(3);
    expectEveryKeyReadAfter(history, restarts[2]);
    expect(outcome.results.anomalies).toEqual([]);
    expect(outcome.valid).toBe(true);
  }, RUN_TIMEOUT_MS);
});
