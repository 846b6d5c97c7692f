// test/support/example-run.ts — a real local run of an examples/ schedule, and what its history must show after the faults.
import path from 'node:path';
import { expect } from 'vitest';
import { resolveOptions } from '../../control/config.ts';
import { localParts } from '../../control/runner/parts.ts';
import { runTest, type RunOutcome } from '../../control/runner/run-test.ts';
import type { Op } from '../../history/op.ts';
import { readHistory } from '../../history/read.ts';
import { expectWellFormed, tempStore } from '../runner-support.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** runLocalExample: `flags` as the CLI takes them with examples/`schedule`, on LocalCluster; the run ended without error and its history is well formed. */
export async function runLocalExample(schedule: string, flags: Record<string, unknown>): Promise<{ outcome: RunOutcome; history: Op[] }> {
  const opts = resolveOptions({
    workload: 'register', nodes: '3', store: tempStore(), checkTimeout: '20',
    nemesisSchedule: path.join(ROOT, 'examples', schedule), ...flags,
  });
  const outcome = await runTest(opts, localParts());
  expect(outcome.results.error).toBeUndefined();
  const history = await readHistory(outcome.run.historyJsonl);
  expectWellFormed(history);
  return { outcome, history };
}

/** nemesisDone: the nemesis ops of `f` that took effect (info without an error), in order. */
export function nemesisDone(history: readonly Op[], f: string): Op[] {
  return history.filter((op) => op.process === 'nemesis' && op.type === 'info' && op.f === f && op.error === undefined);
}

/**
 * expectEveryKeyReadAfter: every key the clients used is read ok after `fault` completed.
 * On a busy machine a serial nemesis runs seconds late, past the main phase, so this is what
 * the final phase shows: it runs after the heal and reads every key again (through the log or
 * the primary, which commits or forwards each read like a write) — the system serves again.
 */
export function expectEveryKeyReadAfter(history: readonly Op[], fault: Op): void {
  const keys = new Set(history.filter((op) => op.process !== 'nemesis' && op.key !== undefined).map((op) => op.key));
  expect(keys.size).toBeGreaterThan(0);
  const readAfter = new Set(history
    .filter((op) => op.type === 'ok' && op.f === 'read' && (op.time ?? 0) > (fault.time ?? Infinity))
    .map((op) => op.key));
  expect([...keys].filter((k) => !readAfter.has(k)), `keys not read ok after ${fault.f} at ${fault.time} ns`).toEqual([]);
}
