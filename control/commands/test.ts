// control/commands/test.ts — `test`: run K seeded tests against a cluster and exit with the worst verdict.
import { Command, Option } from 'commander';
import { optionSpecs, resolveOptions, type TestOptions } from '../config.ts';
import { exitCodeFor } from '../exit-codes.ts';
import { checkWritableDir } from '../files.ts';
import { partsFactory } from '../runner/parts.ts';
import { refuseBeforeRun } from '../runner/pre-run.ts';
import { runTest, type PartsFactory, type RunOutcome } from '../runner/run-test.ts';
import { withTerminationAbort } from '../runner/signals.ts';
import { composeVerdicts } from '../../checker/types.ts';

/**
 * runTests runs opts.testCount tests with seeds seed, seed+1, ... (stopping early on an
 * abort) and returns their outcomes in order.
 */
export async function runTests(opts: TestOptions, makeParts: PartsFactory, signal: AbortSignal, log: (line: string) => void): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  for (let i = 0; i < opts.testCount; i += 1) {
    if (signal.aborted) break;
    const seed = opts.seed + i;
    const progressOut = process.stderr;
    outcomes.push(await runTest({ ...opts, seed, testCount: 1 }, makeParts, { signal, log, progressOut }));
  }
  return outcomes;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** registerTestCommand adds `test [flags]` (the default run) to the program. */
export function registerTestCommand(program: Command): void {
  const command = program
    .command('test', { isDefault: true })
    .description('run a workload against a cluster while the nemesis injects faults, then check the history')
    .addOption(new Option('--config <file>', 'YAML file with the same options (keys are the flag names); flags override it'));
  for (const spec of optionSpecs()) {
    if (spec.boolean === true) command.addOption(new Option(`--${spec.name}`, spec.description));
    else if (spec.repeatable === true) command.addOption(new Option(`--${spec.name} <value>`, spec.description).argParser(collect));
    else command.addOption(new Option(`--${spec.name} <value>`, spec.description));
  }
  command
    .addHelpText('after', '\nExit codes: 0 valid, 1 invalid (anomaly found), 2 unknown or crashed, 3 bad arguments.')
    .action(async (flags: Record<string, unknown>) => {
      const opts = resolveOptions(flags);
      checkWritableDir('--store', opts.store);
      // A run the Db or the hosts cannot do (cluster, faults, workload, packages, ssh hosts) is refused before anything starts.
      await refuseBeforeRun(opts);
      const makeParts = partsFactory(opts);
      const log = (line: string): void => {
        process.stderr.write(`${line}\n`);
      };
      const outcomes = await withTerminationAbort((signal) => runTests(opts, makeParts, signal, log), log);
      for (const outcome of outcomes) {
        process.stdout.write(`${outcome.results.testName} seed ${outcome.results.seed}: ${verdictText(outcome.valid)} ${outcome.run.dir}\n`);
      }
      const worst = outcomes.length === 0 ? 'unknown' : composeVerdicts(outcomes.map((o) => o.valid));
      process.exitCode = exitCodeFor(worst);
    });
}

function verdictText(valid: true | false | 'unknown'): string {
  return valid === true ? 'valid' : valid === false ? 'INVALID' : 'unknown';
}
