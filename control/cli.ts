// control/cli.ts — the `npm run jepsen` command line: subcommands, flag errors and exit codes.
import { Command, CommanderError } from 'commander';
import { EXIT_BAD_INPUT, EXIT_UNKNOWN, UsageError } from './exit-codes.ts';
import { isFsError, OutputError } from './files.ts';

type Register = (program: Command) => void;

/**
 * COMMANDS: each command's names and its module, imported only when the command line needs it.
 * Loading every command (docker, ssh and database clients) cost `check FILE --model` about a
 * CPU-second under tsx, more than checking a million-op history.
 */
const COMMANDS: readonly { names: readonly string[]; load: () => Promise<Register> }[] = [
  { names: ['check'], load: async () => (await import('./commands/check.ts')).registerCheckCommand },
  { names: ['clean'], load: async () => (await import('./commands/clean.ts')).registerCleanCommand },
  { names: ['report'], load: async () => (await import('./commands/report.ts')).registerReportCommand },
  { names: ['serve'], load: async () => (await import('./commands/serve.ts')).registerServeCommand },
  { names: ['test'], load: async () => (await import('./commands/test.ts')).registerTestCommand },
  { names: ['test-all'], load: async () => (await import('./commands/test-all.ts')).registerTestAllCommand },
  { names: ['sim', 'sim-merge'], load: async () => (await import('./commands/sim.ts')).registerSimCommands },
];

/**
 * buildProgram assembles the CLI; tests call it with their own argv. When argv starts with a
 * command's name only that command is registered (its parse and help are the same); anything
 * else (no arguments, --help, an unknown name) gets every command.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('splitbrain')
    .description('Jepsen-style fault injection and linearizability checking (npm run jepsen -- <command>)')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      // One line per error, prefixed with the program name: users grep CI logs for it.
      outputError: (text, write) => write(`splitbrain: ${text.trim().replace(/\n+/g, ' ')}\n`),
    });
  const first = argv[0];
  const named = COMMANDS.find((command) => first !== undefined && command.names.includes(first));
  for (const command of named === undefined ? COMMANDS : [named]) (await command.load())(program);
  return program;
}

/** main runs the CLI and returns the exit code instead of exiting (testable). */
export async function main(argv: string[]): Promise<number> {
  // With no arguments `test` runs with its defaults (raft, register, partition, 30 s): the
  // one command a new user types should do something meaningful.
  const program = await buildProgram(argv);
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
