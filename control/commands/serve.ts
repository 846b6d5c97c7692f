// control/commands/serve.ts — `serve`: an HTTP index of every run in the store, with reports and files.
import { existsSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { startServer } from '../../reports/serve.ts';
import { UsageError } from '../exit-codes.ts';

interface ServeFlags {
  port: number;
  host: string;
  store: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`expected a port 0..65535, got "${value}"`);
  return port;
}

/** registerServeCommand adds `serve [--port P] [--host H] [--store DIR]`; it runs until SIGINT/SIGTERM. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve an index of every run in the store, their reports and files (binds 127.0.0.1 unless --host)')
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, 8080)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--store <dir>', 'store directory', 'store')
    .action(async (flags: ServeFlags) => {
      if (!existsSync(flags.store)) throw new UsageError(`serve: --store ${flags.store}: no such directory`);
      const server = await startServer({ store: flags.store, host: flags.host, port: flags.port });
      process.stdout.write(`serving ${flags.store} at ${server.url} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await server.close();
    });
}
