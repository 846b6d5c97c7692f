// control/sim/store-shrunk.ts — store the minimal case of a failing simulated run beside the original, with shrink.json and both reports.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderReport } from '../../reports/render.ts';
import { SHRINK_FILE } from '../../reports/shrink-view.ts';
import type { TestOptions } from '../config.ts';
import { simParts } from '../runner/parts.ts';
import { runTest, type PartsFactory } from '../runner/run-test.ts';
import { shrinkFailure, type ShrinkStep } from './shrink.ts';

/** ShrinkCaseSummary: what shrink.json says of one case. */
interface ShrinkCaseSummary {
  dir: string;
  timeLimitS: number;
  concurrency: number;
  keyCount: number;
  rate: number;
  nemesisOps: number;
  opCount: number;
  anomaly: string | null;
}

/** ShrinkRecord: shrink.json (read by reports/shrink-view.ts). */
export interface ShrinkRecord {
  kind: 'sim-shrink';
  seed: number;
  original: ShrinkCaseSummary;
  minimal: ShrinkCaseSummary & { schedule: unknown[] };
  steps: ShrinkStep[];
  runs: number;
}

/**
 * shrinkAndStore shrinks the invalid run of opts, stores the minimal case as a run of its own
 * (same seed, smaller options, the shrunk schedule in its test.json) and writes shrink.json —
 * original, minimal and every step — into both run directories.
 */
export async function shrinkAndStore(opts: TestOptions, originalDir: string, log: (line: string) => void, print: (text: string) => void = (t) => process.stdout.write(t), runsMax?: number): Promise<ShrinkRecord> {
  const result = await shrinkFailure(opts, runsMax);
  const minimal = result.minimal;
  const parts: PartsFactory = async (o, env) => ({ ...(await simParts(o, env)), schedule: minimal.schedule });
  const stored = await runTest({ ...minimal.opts, name: `${opts.name}-minimal`, testCount: 1 }, parts, { log });
  const describe = (c: typeof minimal) => ({
    timeLimitS: c.opts.timeLimitS, concurrency: c.opts.concurrency, keyCount: c.opts.keyCount, rate: c.opts.rate,
    nemesisOps: c.schedule.length, opCount: c.outcome.opCount, anomaly: c.outcome.anomalies[0] ?? null,
  });
  const record: ShrinkRecord = { kind: 'sim-shrink', seed: opts.seed, original: { dir: originalDir, ...describe(result.original) }, minimal: { dir: stored.run.dir, ...describe(minimal), schedule: minimal.schedule }, steps: result.steps, runs: result.runs };
  for (const dir of [originalDir, stored.run.dir]) {
    writeFileSync(path.join(dir, SHRINK_FILE), `${JSON.stringify(record, null, 2)}\n`);
    // Both reports were drawn before shrink.json existed: draw them again with the side-by-side view.
    await renderReport(dir);
  }
  print(`shrunk in ${result.runs} runs: ${record.original.opCount} ops, ${record.original.nemesisOps} nemesis ops, ${opts.timeLimitS} s, ${opts.concurrency} clients, ${opts.keyCount} keys` +
    ` → ${record.minimal.opCount} ops, ${record.minimal.nemesisOps} nemesis ops, ${minimal.opts.timeLimitS} s, ${minimal.opts.concurrency} clients, ${minimal.opts.keyCount} keys (${stored.valid === false ? 'INVALID' : String(stored.valid)})\n`);
  for (const step of result.steps) print(`  ${step.kept ? 'kept ' : 'undone'} ${step.what} (${step.opCount} ops)\n`);
  print(`minimal case: ${stored.run.dir}\n`);
  return record;
}
