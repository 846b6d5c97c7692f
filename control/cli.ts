// control/cli.ts — the `npm run jepsen` command line: subcommands, flag errors and exit codes.
import { Command, CommanderError } from 'commander';
import { EXIT_BAD_INPUT, EXIT_UNKNOWN, UsageError } from './exit-codes.ts';
import { registerCheckCommand } from './commands/check.ts';
import { isFsError, OutputError } from './files.ts';
import { registerCleanCommand } from './commands/clean.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerTestCommand } from './commands/test.ts';
import { registerTestAllCommand } from './commands/test-all.ts';
import { registerSimCommands } from './commands/sim.ts';

/** buildProgram assembles the CLI; tests call it with their own argv. */
export function buildProgram(): Command {
  const program = new Command('splitbrain')
    .description('Jepsen-style fault injection and linearizability checking (npm run jepsen -- <command>)')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      // One line per error, prefixed with the program name: users grep CI logs for it.
      outputError: (text, write) => write(`splitbrain: ${text.trim().replace(/\n+/g, ' ')}\n`),
    });
  registerCheckCommand(program);
  registerCleanCommand(program);
  registerReportCommand(program);
  registerServeCommand(program);
  registerTestCommand(program);
  registerTestAllCommand(program);
  registerSimCommands(program);
  return program;
}

/** main runs the CLI and returns the exit code instead of exiting (testable). */
export async function main(argv: string[]): Promise<number> {
  // With no arguments `test` runs with its defaults (raft, register, partition, 30 s): the
  // one command a new user types should do something meaningful.
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return EXIT_BAD_INPUT;
    }
    if (error instanceof UsageError || isHistoryParseError(error)) {
      process.stderr.write(`splitbrain: ${(error as Error).message}\n`);
      return EXIT_BAD_INPUT;
    }
    if (error instanceof OutputError || isFsError(error)) {
      // The OS said no (a full disk, a vanished directory): one line, the work's result is unknown.
      process.stderr.write(`splitbrain: ${error.message}\n`);
      return EXIT_UNKNOWN;
    }
    process.stderr.write(`splitbrain: crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_UNKNOWN;
  }
}

function isHistoryParseError(error: unknown): boolean {
  return error instanceof Error && error.name === 'HistoryParseError';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
}
