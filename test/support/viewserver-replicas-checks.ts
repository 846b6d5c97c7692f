// test/support/viewserver-replicas-checks.ts — what the view server's example schedules must show, on any cluster.
//
// examples/viewserver-replicas-kill.yaml and examples/primary-cut-from-replicated-viewserver.yaml
// run on real processes (test/e2e-viewserver-replicas.test.ts) and on the simulator
// (test/sim-viewserver-replicas.test.ts); both check the same: each fault took effect and ops
// completed through it, measured from what happened (history, roles.jsonl), not schedule times.
// examples/single-viewserver-stall.yaml is the contrast on the single view server: the same loss stalls.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { resolveOptions } from '../../control/config.ts';
import { localParts, simParts } from '../../control/runner/parts.ts';
import type { RoleLine } from '../../control/runner/roles.ts';
import { runTest, type RunOutcome } from '../../control/runner/run-test.ts';
import type { Op } from '../../history/op.ts';
import { readHistory } from '../../history/read.ts';
import { expectWellFormed, tempStore } from '../runner-support.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const NS_PER_S = 1e9;

/**
 * runExample: examples/test-viewservice-register.yaml and an example schedule, on real processes or
 * the simulator; with vs1..vs3, or (`single`) without --viewserver-replicas: the default `vs`.
 */
export async function runExample(cluster: 'local' | 'sim', schedule: string, seed: string, timeLimit: string, viewServer: 'replicated' | 'single' = 'replicated'): Promise<{ outcome: RunOutcome; history: Op[]; roles: RoleLine[] }> {
  const opts = resolveOptions({
    config: path.join(ROOT, 'examples', 'test-viewservice-register.yaml'), store: tempStore(), checkTimeout: '20', cluster,
    ...(viewServer === 'replicated' ? { viewserverReplicas: '3' } : {}),
    nemesisSchedule: path.join(ROOT, 'examples', schedule), timeLimit, seed,
  });
  const outcome = await runTest(opts, cluster === 'sim' ? simParts : localParts());
  expect(outcome.results.error).toBeUndefined();
  const history = await readHistory(outcome.run.historyJsonl);
  expectWellFormed(history);
  return { outcome, history, roles: readRoles(outcome.run.rolesJsonl) };
}

/** readRoles: a run's roles.jsonl (control/runner/roles.ts), each node's sampled /status; role null = no answer; [] when not sampled (sim). */
export function readRoles(file: string): RoleLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as RoleLine);
}

/** nemesisDone: the nemesis ops that took effect (info without an error), with their times. */
function nemesisDone(history: Op[]): Op[] {
  return history.filter((op) => op.process === 'nemesis' && op.type === 'info' && op.error === undefined);
}

/** okBetween: client ops that completed ok in [fromNs, toNs). */
function okBetween(history: Op[], fromNs: number, toNs: number): number {
  return history.filter((op) => op.process !== 'nemesis' && op.type === 'ok' && (op.time ?? -1) >= fromNs && (op.time ?? -1) < toNs).length;
}

function killedPrimary(op: Op | undefined): string | undefined {
  return (op?.value as { primary?: string } | undefined)?.primary;
}

/**
 * expectKillRounds: vs1, vs2, vs3 were each killed, a primary was killed while each was down,
 * and ops completed after that primary kill before the view-server node was back — the end of
 * that window is when it answered /status again (roles) or the restart op finished, whichever is
 * first, since a restart takes seconds on a busy machine. Ops also complete after the last restart.
 */
export function expectKillRounds(history: Op[], roles: RoleLine[]): void {
  const done = nemesisDone(history);
  const kills = done.filter((op) => op.f === 'kill');
  expect(kills.length, kills.map((op) => JSON.stringify(op.value)).join(' ')).toBe(6);
  for (const vs of ['vs1', 'vs2', 'vs3']) {
    const killed = kills.find((op) => JSON.stringify(op.value).includes(`"${vs}"`));
    expect(killed, `${vs} killed`).toBeDefined();
    const primaryKill = kills.find((op) => op.time! > killed!.time!);
    expect(killedPrimary(primaryKill), `a primary killed while ${vs} was down`).toMatch(/^n\d$/);
    const back = roles.find((r) => r.node === vs && r.role !== null && r.time > killed!.time!)?.time ?? Infinity;
    const restarted = done.find((op) => op.f === 'start' && op.time! > killed!.time!)?.time ?? Infinity;
    const ok = okBetween(history, primaryKill!.time!, Math.min(back, restarted));
    expect(ok, `ok ops after the primary kill at ${primaryKill!.time! / NS_PER_S} s, ${vs} still down`).toBeGreaterThan(0);
  }
  const lastStart = done.filter((op) => op.f === 'start')[2];
  expect(lastStart, 'three restarts').toBeDefined();
  expect(okBetween(history, lastStart.time!, Infinity)).toBeGreaterThan(5);
}

/**
 * expectCutThenPause: the primary was cut from vs1..vs3 and ops completed from 2 s into the cut
 * until the heal (the view changes within DeadPings ping intervals, 0.5 s); then, with vs2
 * paused (SIGSTOP keeps its term and table) and the primary killed, ops completed before vs2
 * resumed, and after the restart.
 */
export function expectCutThenPause(history: Op[]): void {
  const done = nemesisDone(history);
  const cut = done.find((op) => op.f === 'start-partition');
  expect(cut).toBeDefined();
  const value = cut!.value as { primary: string; grudge: Record<string, string[]> };
  expect(value.grudge[value.primary]).toEqual(['vs1', 'vs2', 'vs3']);
  const healed = done.find((op) => op.f === 'stop-partition' && op.time! > cut!.time!);
  expect(healed).toBeDefined();
  expect(okBetween(history, cut!.time! + 2 * NS_PER_S, healed!.time!), 'ok ops through the new primary during the cut').toBeGreaterThan(20);
  const paused = done.find((op) => op.f === 'pause');
  expect(paused?.value).toEqual({ nodes: ['vs2'] });
  const primaryKill = done.find((op) => op.f === 'kill' && op.time! > paused!.time!);
  expect(killedPrimary(primaryKill)).toMatch(/^n\d$/);
  const resumeInvoke = history.find((op) => op.process === 'nemesis' && op.type === 'invoke' && op.f === 'resume');
  expect(resumeInvoke).toBeDefined();
  expect(okBetween(history, primaryKill!.time!, resumeInvoke!.time!), 'ok ops while vs2 is paused and the primary dead').toBeGreaterThan(0);
  const restarted = done.find((op) => op.f === 'start');
  expect(restarted).toBeDefined();
  expect(okBetween(history, restarted!.time!, Infinity)).toBeGreaterThan(5);
}

/**
 * expectSingleViewServerStall: `vs` was killed, then the primary; ops completed between the two
 * (the primary serves on without the view server), none from the primary's death until the restart
 * was invoked (no one can promote the backup), and more than a few after the restart.
 */
export function expectSingleViewServerStall(history: Op[]): void {
  const done = nemesisDone(history);
  const vsKill = done.find((op) => op.f === 'kill');
  expect(vsKill?.value).toEqual({ nodes: ['vs'] });
  const primaryKill = done.find((op) => op.f === 'kill' && op.time! > vsKill!.time!);
  expect(killedPrimary(primaryKill), 'a primary killed while vs was down').toMatch(/^n\d$/);
  expect(okBetween(history, vsKill!.time!, primaryKill!.time!), 'ok ops with vs down and the primary alive').toBeGreaterThan(0);
  const restartInvoke = history.find((op) => op.process === 'nemesis' && op.type === 'invoke' && op.f === 'start' && op.time! > primaryKill!.time!);
  expect(restartInvoke).toBeDefined();
  expect(restartInvoke!.time! - primaryKill!.time!, 'a stall window of at least 2 s').toBeGreaterThanOrEqual(2 * NS_PER_S);
  expect(okBetween(history, primaryKill!.time!, restartInvoke!.time!), 'ok ops after the primary kill, vs still down').toBe(0);
  const restarted = done.find((op) => op.f === 'start' && op.time! >= restartInvoke!.time!);
  expect(restarted?.value, 'vs and the old primary restarted').toEqual({ nodes: ['vs', killedPrimary(primaryKill)] });
  expect(okBetween(history, restarted!.time!, Infinity), 'ok ops once vs is back').toBeGreaterThan(5);
}
