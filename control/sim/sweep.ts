// control/sim/sweep.ts — a sweep: many seeds of one simulated test over worker threads, summarised.
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Verdict } from '../../checker/types.ts';
import type { TestOptions } from '../config.ts';
import { reproduceCommand } from '../config.ts';
import { EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID } from '../exit-codes.ts';
import type { SeedOutcome } from './run-seed.ts';
import type { SeedJob } from './sweep-worker.ts';
import { simWorkerBundle } from './worker-bundle.ts';

/** Shard: the K-th (1-based) of N slices of a sweep's seeds. */
export interface Shard {
  index: number;
  count: number;
}

/** FAILING_LISTED_MAX: how many failing seeds a summary names. */
const FAILING_LISTED_MAX = 20;

/** SweepSummary: what a sweep (or a merge of shard sweeps) found; the JSON a shard writes. */
export interface SweepSummary {
  kind: 'sim-sweep';
  /** command: the sweep's options as a command (each seed replays with --seed N --runs 1). */
  command: string;
  test: string;
  seedFirst: number;
  runs: number;
  shards: string[];
  counts: { valid: number; invalid: number; unknown: number };
  /** failing: the first failing seeds (invalid or unknown), lowest first, with what they found. */
  failing: Array<{ seed: number; valid: Verdict; why: string }>;
  virtualMsTotal: number;
  wallMs: number;
}

/** shardSeeds: the seeds of shard K/N of seedFirst..seedFirst+runs-1 (every N-th, so shards are balanced). */
export function shardSeeds(seedFirst: number, runs: number, shard?: Shard): number[] {
  const seeds: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    if (shard === undefined || i % shard.count === shard.index - 1) seeds.push(seedFirst + i);
  }
  return seeds;
}

/** parseShard reads "K/N" (1 ≤ K ≤ N); null when malformed. */
export function parseShard(text: string): Shard | null {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (m === null) return null;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index >= 1 && count >= 1 && index <= count ? { index, count } : null;
}

/** SweepOptions: the test, the seeds, the threads and a progress callback. */
export interface SweepOptions {
  opts: TestOptions;
  seeds: readonly number[];
  seedFirst: number;
  runs: number;
  shard?: Shard;
  workers?: number;
  signal?: AbortSignal;
  /** firstDetection: find each invalid seed's shortest invalid prefix (SeedOutcome.firstDetection). */
  firstDetection?: boolean;
  onOutcome?: (outcome: SeedOutcome, done: number) => void;
}

/** runSweep simulates every seed on a pool of worker threads (one per core) and summarises. */
export async function runSweep(s: SweepOptions): Promise<{ summary: SweepSummary; outcomes: SeedOutcome[] }> {
  const startMs = performance.now();
  const workerCount = Math.max(1, Math.min(s.workers ?? os.availableParallelism(), s.seeds.length));
  const outcomes: SeedOutcome[] = [];
  let next = 0;
  const entry = pathToFileURL(simWorkerBundle().file);
  const runWorker = (): Promise<void> => new Promise((resolve, reject) => {
    // Plain JavaScript: no loader flags inherited from a tsx parent (its hooks would see every import).
    const worker = new Worker(entry, { execArgv: [] });
    const feed = (): void => {
      if (next >= s.seeds.length || s.signal?.aborted === true) {
        void worker.terminate().then(() => resolve());
        return;
      }
      const job: SeedJob = { opts: { ...s.opts, seed: s.seeds[next++], testCount: 1 }, firstDetection: s.firstDetection === true };
      worker.postMessage(job);
    };
    worker.on('message', (m: { type: 'done'; outcome: SeedOutcome } | { type: 'threw'; seed: number; message: string }) => {
      const outcome: SeedOutcome = m.type === 'done' ? m.outcome
        : { seed: m.seed, valid: 'unknown', anomalies: [], opCount: 0, faultCount: 0, virtualMs: 0, wallMs: 0, error: m.message };
      outcomes.push(outcome);
      s.onOutcome?.(outcome, outcomes.length);
      feed();
    });
    worker.on('error', reject);
    feed();
  });
  await Promise.all(Array.from({ length: workerCount }, runWorker));
  outcomes.sort((a, b) => a.seed - b.seed);
  return { summary: summarise(s, outcomes, performance.now() - startMs), outcomes };
}

function summarise(s: SweepOptions, outcomes: readonly SeedOutcome[], wallMs: number): SweepSummary {
  const counts = { valid: 0, invalid: 0, unknown: 0 };
  for (const o of outcomes) counts[o.valid === true ? 'valid' : o.valid === false ? 'invalid' : 'unknown'] += 1;
  const failing = outcomes.filter((o) => o.valid !== true).slice(0, FAILING_LISTED_MAX).map((o) => ({ seed: o.seed, valid: o.valid, why: whyFailed(o) }));
  return {
    kind: 'sim-sweep',
    command: reproduceCommand({ ...s.opts, seed: s.seedFirst }),
    test: s.opts.name,
    seedFirst: s.seedFirst,
    runs: s.runs,
    shards: [s.shard === undefined ? '1/1' : `${s.shard.index}/${s.shard.count}`],
    counts,
    failing,
    virtualMsTotal: outcomes.reduce((a, o) => a + o.virtualMs, 0),
    wallMs,
  };
}

function whyFailed(o: SeedOutcome): string {
  return o.error ?? o.anomalies[0] ?? o.unknownReason ?? 'unknown';
}

/** mergeSummaries combines shard summaries of one sweep (same command); throws naming a mismatch. */
export function mergeSummaries(parts: ReadonlyArray<{ file: string; summary: SweepSummary }>): SweepSummary {
  if (parts.length === 0) throw new Error('merge: no summaries given');
  const first = parts[0].summary;
  for (const { file, summary } of parts) {
    if (summary.kind !== 'sim-sweep') throw new Error(`${file}: not a sweep summary (kind ${JSON.stringify(summary.kind)})`);
    if (summary.command !== first.command || summary.runs !== first.runs) throw new Error(`${file}: a shard of another sweep (${summary.command}, runs ${summary.runs}); expected ${first.command}, runs ${first.runs}`);
  }
  const counts = { valid: 0, invalid: 0, unknown: 0 };
  for (const { summary } of parts) for (const k of ['valid', 'invalid', 'unknown'] as const) counts[k] += summary.counts[k];
  const failing = parts.flatMap((p) => p.summary.failing).sort((a, b) => a.seed - b.seed).slice(0, FAILING_LISTED_MAX);
  return {
    ...first,
    shards: parts.flatMap((p) => p.summary.shards).sort(),
    counts,
    failing,
    virtualMsTotal: parts.reduce((a, p) => a + p.summary.virtualMsTotal, 0),
    wallMs: Math.max(...parts.map((p) => p.summary.wallMs)),
  };
}

/** sweepExitCode: as test-all with every seed expected valid: any unknown → 2, else any invalid → 1, else 0. */
export function sweepExitCode(summary: SweepSummary): number {
  if (summary.counts.unknown > 0) return EXIT_UNKNOWN;
  if (summary.counts.invalid > 0) return EXIT_INVALID;
  return EXIT_VALID;
}

/** summaryTable: the verdict counts and the first failing seeds, as lines. */
export function summaryTable(summary: SweepSummary): string[] {
  const total = summary.counts.valid + summary.counts.invalid + summary.counts.unknown;
  const pct = (n: number): string => (total === 0 ? '0.0' : ((100 * n) / total).toFixed(1));
  const lines = [
    `sweep ${summary.test}: ${total} of ${summary.runs} seeds from ${summary.seedFirst} (shards ${summary.shards.join(', ')}), ${(summary.virtualMsTotal / 1000).toFixed(0)} virtual s in ${(summary.wallMs / 1000).toFixed(1)} wall s`,
    '  verdict   seeds      %',
    ...(['valid', 'invalid', 'unknown'] as const).map((k) => `  ${k.padEnd(8)} ${String(summary.counts[k]).padStart(6)} ${pct(summary.counts[k]).padStart(6)}`),
  ];
  if (summary.failing.length > 0) {
    lines.push(`  first failing seeds (replay one exactly: ${summary.command.replace(/--seed \d+/, '--seed N')}):`);
    for (const f of summary.failing) lines.push(`    seed ${f.seed} ${f.valid === false ? 'INVALID' : 'unknown'}: ${f.why.split('\n')[0].slice(0, 160)}`);
  }
  return lines;
}
