// control/commands/sim.ts — `sim`: seeded simulated runs — one stored run, or a sweep of many seeds over worker threads; `sim-merge` combines shard summaries.
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { optionSpecs, resolveOptions } from '../config.ts';
import { UsageError } from '../exit-codes.ts';
import { checkWritableDir } from '../files.ts';
import { ProgressLine, progressBar } from '../progress.ts';
import { simParts } from '../runner/parts.ts';
import { runTest } from '../runner/run-test.ts';
import { shrinkAndStore } from '../sim/store-shrunk.ts';
import { withTerminationAbort } from '../runner/signals.ts';
import { mergeSummaries, parseShard, runSweep, shardSeeds, summaryTable, sweepExitCode, type SweepSummary } from '../sim/sweep.ts';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/** registerSimCommands adds `sim` and `sim-merge` to the program. */
export function registerSimCommands(program: Command): void {
  const command = program
    .command('sim')
    .description('run simulated tests (--cluster sim): --runs 1 stores and reports one run; more runs sweep seeds seed.. over worker threads')
    .addOption(new Option('--config <file>', 'YAML file with the test options (keys are the flag names); flags override it'))
    .addOption(new Option('--runs <n>', 'seeds to run: seed, seed+1, ... (default 1)'))
    .addOption(new Option('--shard <k/n>', 'run only the K-th of N slices of the seeds (merge the summaries with sim-merge)'))
    .addOption(new Option('--workers <n>', 'worker threads (default: one per core)'))
    .addOption(new Option('--summary <file>', 'write the sweep summary (JSON) here'))
    .addOption(new Option('--shrink', 'with --runs 1: if the run is invalid, shrink it and store the minimal case too'));
  for (const spec of optionSpecs()) {
    if (spec.name === 'cluster' || spec.name === 'test-count') continue;
    if (spec.boolean === true) command.addOption(new Option(`--${spec.name}`, spec.description));
    else if (spec.repeatable === true) command.addOption(new Option(`--${spec.name} <value>`, spec.description).argParser(collect));
    else command.addOption(new Option(`--${spec.name} <value>`, spec.description));
  }
  command
    .addHelpText('after', '\nExit codes (as test-all, every seed expected valid): 0 all valid, 1 an anomaly found, 2 a seed unknown or crashed, 3 bad arguments.')
    .action(async (flags: Record<string, unknown>) => {
      const runs = flags.runs === undefined ? 1 : positiveInt('--runs', String(flags.runs));
      const shard = flags.shard === undefined ? undefined : parseShard(String(flags.shard));
      if (shard === null) throw new UsageError(`--shard: expected K/N with 1 <= K <= N, got ${JSON.stringify(flags.shard)}`);
      const workers = flags.workers === undefined ? undefined : positiveInt('--workers', String(flags.workers));
      const { runs: _r, shard: _s, workers: _w, summary: summaryFile, shrink, ...testFlags } = flags;
      const opts = resolveOptions({ ...testFlags, cluster: 'sim' });
      checkWritableDir('--store', opts.store);
      const log = (line: string): void => {
        process.stderr.write(`${line}\n`);
      };
      if (runs === 1 && shard === undefined) {
        const outcome = await withTerminationAbort((signal) => runTest({ ...opts, testCount: 1 }, simParts, { signal, log, progressOut: process.stderr }), log);
        process.stdout.write(`${outcome.results.testName} seed ${outcome.results.seed}: ${outcome.valid === true ? 'valid' : outcome.valid === false ? 'INVALID' : 'unknown'} ${outcome.run.dir}\n`);
        process.exitCode = outcome.exitCode;
        if (shrink === true && outcome.valid === false) await shrinkAndStore(opts, outcome.run.dir, log);
        return;
      }
      const seeds = shardSeeds(opts.seed, runs, shard);
      const line = new ProgressLine(process.stderr);
      const tally = { valid: 0, invalid: 0, unknown: 0 };
      const { summary } = await withTerminationAbort((signal) => runSweep({
        opts, seeds, seedFirst: opts.seed, runs, shard, workers, signal,
        onOutcome: (o, done) => {
          tally[o.valid === true ? 'valid' : o.valid === false ? 'invalid' : 'unknown'] += 1;
          line.offer(() => `[sim] ${progressBar(done / seeds.length)} ${done}/${seeds.length} seeds | ${tally.valid} valid, ${tally.invalid} invalid, ${tally.unknown} unknown`);
        },
      }), log);
      line.end();
      for (const l of summaryTable(summary)) process.stdout.write(`${l}\n`);
      if (typeof summaryFile === 'string') writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
      process.exitCode = sweepExitCode(summary);
    });

  program
    .command('sim-merge')
    .description('combine the summaries of a sharded sweep (sim --shard K/N --summary FILE) into one table and exit code')
    .argument('<files...>', 'shard summary files')
    .addOption(new Option('--summary <file>', 'write the merged summary (JSON) here'))
    .action((files: string[], flags: { summary?: string }) => {
      const parts = files.map((file) => ({ file, summary: readSummary(file) }));
      let merged: SweepSummary;
      try {
        merged = mergeSummaries(parts);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      for (const l of summaryTable(merged)) process.stdout.write(`${l}\n`);
      if (flags.summary !== undefined) writeFileSync(flags.summary, `${JSON.stringify(merged, null, 2)}\n`);
      process.exitCode = sweepExitCode(merged);
    });
}

function readSummary(file: string): SweepSummary {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text) as SweepSummary;
  } catch {
    throw new UsageError(`${file}: not JSON (expected a summary written by sim --summary)`);
  }
}
