// test/support/disk-fault-runs.ts — reading a disk-fault run back: the nemesis ops' outcomes, and proof that nothing was left behind.
import * as fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { lazyFsMounts } from '../../cluster/lazyfs.ts';
import type { RunOutcome } from '../../control/runner/run-test.ts';
import { readHistory } from '../../history/read.ts';

/** NemesisCompletion: one completed nemesis op: its outcome value and the error it ended with, if any. */
export interface NemesisCompletion {
  value: Record<string, unknown>;
  error?: string;
}

/** nemesisCompletions: the completed nemesis ops of f, in order. */
export async function nemesisCompletions(outcome: RunOutcome, f: string): Promise<NemesisCompletion[]> {
  const history = await readHistory(outcome.run.historyJsonl);
  return history
    .filter((op) => op.process === 'nemesis' && op.type === 'info' && op.f === f)
    .map((op) => ({ value: (op.value ?? {}) as Record<string, unknown>, ...(op.error === undefined ? {} : { error: String(op.error) }) }));
}

/** nemesisValues: the outcomes of f's completed ops, each of which must have succeeded. */
export async function nemesisValues(outcome: RunOutcome, f: string): Promise<Array<Record<string, unknown>>> {
  return (await nemesisCompletions(outcome, f)).map((c) => {
    expect(c.error, `${f}: ${c.error}`).toBeUndefined();
    return c.value;
  });
}

/** nodeLogs: each node's log of the run (n1.log ...), by file name. */
export function nodeLogs(outcome: RunOutcome): Map<string, string> {
  const logs = fs.readdirSync(outcome.run.dir, { recursive: true }).map(String).filter((f) => /n\d+\.log$/.test(f));
  return new Map(logs.map((l) => [path.basename(l), fs.readFileSync(path.join(outcome.run.dir, l), 'utf8')]));
}

/**
 * expectHealed: no lazyfs left mounted, and each node's data directory is gone — found in its
 * log by `dataDirRe` (its first group), so the check cannot pass by not finding the place; null
 * for a system whose log never names it (redis), whose mounts are then all that is checked.
 */
export function expectHealed(outcome: RunOutcome, nodeCount: number, dataDirRe: RegExp | null): void {
  expect(lazyFsMounts()).toEqual([]);
  const logs = nodeLogs(outcome);
  expect(logs.size).toBe(nodeCount);
  if (dataDirRe === null) return;
  for (const [name, text] of logs) {
    const dataDir = dataDirRe.exec(text)?.[1];
    expect(dataDir, `${name}: no data directory named in the log`).toBeDefined();
    expect(fs.existsSync(dataDir!), dataDir).toBe(false);
  }
}
