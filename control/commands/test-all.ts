// control/commands/test-all.ts — `test-all`: run a matrix of db × workload × nemesis × seeds, compare with expectations.
import { Command, Option } from 'commander';
import { EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID, UsageError } from '../exit-codes.ts';
import { checkWritableDir, checkWritableFile, writeFlagFile } from '../files.ts';
import { junitXml, type JunitCase } from '../junit.ts';
import { expandMatrix, type MatrixRun, type VerdictName } from '../matrix.ts';
import { partsFactory } from '../runner/parts.ts';
import { refuseBeforeRun } from '../runner/pre-run.ts';
import { runTest, type PartsFactory } from '../runner/run-test.ts';
import { withTerminationAbort } from '../runner/signals.ts';

/** MatrixOutcome: one run of the matrix, as the summary table and the JUnit file show it. */
export interface MatrixOutcome {
  run: MatrixRun;
  verdict: VerdictName;
  pass: boolean;
  opCount: number;
  anomalies: string[];
  error?: string;
  durationMs: number;
  storePath: string;
}

/** SEVERITY: Jepsen's test-all order, crashed > unknown > invalid > valid. */
const SEVERITY: Record<VerdictName, number> = { valid: 0, invalid: 1, unknown: 2, crashed: 3 };

/**
 * matrixExitCode: 0 when every run ended with a verdict its row expects (a planted bug found
 * is a pass). Otherwise the worst unexpected verdict decides: crashed or unknown → 2,
 * invalid → 1, and valid where the row expected otherwise (the tester missed the bug) → 1.
 */
export function matrixExitCode(outcomes: readonly MatrixOutcome[]): number {
  const failed = outcomes.filter((o) => !o.pass);
  if (failed.length === 0) return EXIT_VALID;
  const worst = Math.max(...failed.map((o) => SEVERITY[o.verdict]));
  return worst >= SEVERITY.unknown ? EXIT_UNKNOWN : EXIT_INVALID;
}

/**
 * runMatrix runs every run in order (stopping on an abort); a throw of one run is its crash.
 * `onOutcome` sees the outcomes so far after each run (test-all rewrites the JUnit file there,
 * so whatever ends the matrix, the runs that finished are on disk).
 */
export async function runMatrix(
  runs: readonly MatrixRun[],
  makeParts: (run: MatrixRun) => PartsFactory,
  signal: AbortSignal,
  log: (line: string) => void,
  onOutcome: (outcomes: readonly MatrixOutcome[]) => Promise<void> = async () => undefined,
): Promise<MatrixOutcome[]> {
  const outcomes: MatrixOutcome[] = [];
  for (const [i, run] of runs.entries()) {
    if (signal.aborted) break;
    log(`test-all: run ${i + 1}/${runs.length}: ${run.opts.name} seed ${run.opts.seed} (expect ${run.expect.join(' or ')})`);
    const startMs = performance.now();
    // Each run gets its own signal, linked to the matrix's and unlinked after: runTest listens on
    // the signal it is given, and listeners piling up on one shared signal would leak.
    const runController = new AbortController();
    const forward = (): void => runController.abort();
    signal.addEventListener('abort', forward, { once: true });
    try {
      const outcome = await runTest(run.opts, makeParts(run), { signal: runController.signal, log });
      const results = outcome.results;
      // A run that threw is crashed; a completed run whose check ran out of memory or time is
      // unknown (checkerError): the system under test did nothing wrong, the tester could not decide.
      const crashed = results.error !== undefined && !results.interrupted;
      const verdict: VerdictName = crashed ? 'crashed' : results.valid === true ? 'valid' : results.valid === false ? 'invalid' : 'unknown';
      outcomes.push({
        run, verdict, pass: run.expect.includes(verdict), opCount: results.opCount, anomalies: results.anomalies,
        error: results.error ?? results.checkerError, durationMs: performance.now() - startMs, storePath: outcome.run.dir,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcomes.push({ run, verdict: 'crashed', pass: run.expect.includes('crashed'), opCount: 0, anomalies: [], error: message, durationMs: performance.now() - startMs, storePath: '' });
    } finally {
      signal.removeEventListener('abort', forward);
    }
    await onOutcome(outcomes);
  }
  return outcomes;
}

const COLUMNS = ['db', 'workload', 'nemesis', 'seed', 'verdict', 'expected', 'pass', 'ops', 'anomalies', 'duration', 'store'] as const;

/** summaryTable renders one row a run, columns padded; anomalies as count and the first one. */
export function summaryTable(outcomes: readonly MatrixOutcome[]): string {
  const rows = outcomes.map((o) => [
    o.run.opts.db, o.run.opts.workload, o.run.nemesisText, String(o.run.opts.seed), o.verdict, o.run.expect.join('|'),
    o.pass ? 'yes' : 'NO', String(o.opCount), anomalySummary(o, 60), `${(o.durationMs / 1000).toFixed(1)}s`, o.storePath,
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  return [line(COLUMNS), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** anomalySummary: "n: first anomaly" (cut to lengthMax), or the error of a crash. */
function anomalySummary(o: MatrixOutcome, lengthMax: number): string {
  const text = o.anomalies.length > 0 ? `${o.anomalies.length}: ${o.anomalies[0]}` : o.verdict === 'crashed' || o.verdict === 'unknown' ? (o.error ?? '').split('\n')[0] : '0';
  return text.length > lengthMax ? `${text.slice(0, lengthMax - 3)}...` : text;
}

/** junitCases: one case per run; a failure for an unexpected verdict, an error for an unexpected crash. */
export function junitCases(outcomes: readonly MatrixOutcome[]): JunitCase[] {
  return outcomes.map((o) => {
    const name = `${o.run.opts.db} ${o.run.opts.workload} ${o.run.nemesisText} seed ${o.run.opts.seed}`;
    const details = [
      `verdict: ${o.verdict} (expected ${o.run.expect.join(' or ')})`,
      `store: ${o.storePath}`,
      ...o.anomalies.map((a) => `anomaly: ${a}`),
      ...(o.error === undefined ? [] : [`error: ${o.error}`]),
    ].join('\n');
    const message = `${o.verdict}, expected ${o.run.expect.join(' or ')}: ${anomalySummary(o, 500)} (store ${o.storePath})`;
    const c: JunitCase = { classname: `splitbrain.${o.run.opts.db}.${o.run.opts.workload}`, name, timeS: o.durationMs / 1000, systemOut: details };
    if (!o.pass && o.verdict === 'crashed') c.error = { message, body: details };
    else if (!o.pass) c.failure = { message, body: details };
    return c;
  });
}

/**
 * testAll runs the matrix and, with a JUnit file, rewrites it after every run: a matrix that is
 * interrupted, or whose process dies, leaves the cases of every run that finished.
 */
export async function testAll(runs: readonly MatrixRun[], makeParts: (run: MatrixRun) => PartsFactory, junitFile: string | undefined, signal: AbortSignal, log: (line: string) => void): Promise<MatrixOutcome[]> {
  const writeJunit = async (outcomes: readonly MatrixOutcome[]): Promise<void> => {
    if (junitFile !== undefined) await writeFlagFile('--junit', junitFile, junitXml('splitbrain test-all', junitCases(outcomes)));
  };
  const outcomes = await runMatrix(runs, makeParts, signal, log, writeJunit);
  await writeJunit(outcomes);
  return outcomes;
}

/** OVERRIDE_FLAGS: test-all flags that override every run's options. */
const OVERRIDE_FLAGS = [
  ['time-limit', 'seconds of workload for every run (overrides the file)'],
  ['store', 'store directory for every run (overrides the file)'],
  ['recovery-s', 'recovery wait for every run (overrides the file)'],
] as const;

/** registerTestAllCommand adds `test-all --config FILE [--junit FILE]` to the program. */
export function registerTestAllCommand(program: Command): void {
  const command = program
    .command('test-all')
    .description('run every db × workload × nemesis × seed of a matrix file and compare each verdict with the expected one')
    .addOption(new Option('--config <file>', 'matrix YAML file (defaults: {options}; runs: [{db, workload, nemesis, seeds, expect, options}])'))
    .addOption(new Option('--junit <file>', 'write JUnit XML here: one test case per run'));
  for (const [name, description] of OVERRIDE_FLAGS) command.addOption(new Option(`--${name} <value>`, description));
  command
    .addHelpText('after', '\nExit codes: 0 every run got an expected verdict; else the worst unexpected one: 2 crashed or unknown,\n1 invalid (or valid where a bug was expected); 3 bad arguments or matrix file.')
    .action(async (flags: Record<string, unknown>) => {
      if (typeof flags.config !== 'string') throw new UsageError('test-all: --config FILE is required (a matrix YAML file)');
      const overrides: Record<string, unknown> = {};
      if (flags.timeLimit !== undefined) overrides.timeLimit = flags.timeLimit;
      if (flags.store !== undefined) overrides.store = flags.store;
      if (flags.recoveryS !== undefined) overrides.recoveryS = flags.recoveryS;
      const runs = expandMatrix(flags.config, overrides);
      // Where the results go is checked before the matrix runs, not after it ran for hours.
      if (typeof flags.junit === 'string') checkWritableFile('--junit', flags.junit);
      for (const store of new Set(runs.map((run) => run.opts.store))) checkWritableDir('--store', store);
      // Every run's Db (and ssh hosts) must be able to do it (cluster, faults, workload, packages) before the first starts.
      for (const run of runs) {
        await refuseBeforeRun(run.opts).catch((error: Error) => {
          throw new UsageError(`${flags.config as string}: runs[${run.rowIndex}]: ${error.message}`);
        });
      }
      const log = (line: string): void => {
        process.stderr.write(`${line}\n`);
      };
      const junitFile = typeof flags.junit === 'string' ? flags.junit : undefined;
      const outcomes = await withTerminationAbort((signal) => testAll(runs, (run) => partsFactory(run.opts), junitFile, signal, log), log);
      process.stdout.write(`${summaryTable(outcomes)}\n`);
      const passed = outcomes.filter((o) => o.pass).length;
      process.stdout.write(`${passed}/${runs.length} runs got their expected verdict${outcomes.length < runs.length ? ` (${runs.length - outcomes.length} not run: interrupted)` : ''}\n`);
      process.exitCode = outcomes.length < runs.length ? EXIT_UNKNOWN : matrixExitCode(outcomes);
    });
}
