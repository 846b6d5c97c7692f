// control/commands/serve.ts — `serve`: an HTTP index of every run in the store, with reports and files.
import { InvalidArgumentError, type Command } from 'commander';
import { startServer } from '../../reports/serve.ts';
import { UsageError } from '../exit-codes.ts';
import { checkReadableDir } from '../files.ts';

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

// Errors of listen() that mean the port, or the host, is not one this machine can serve on.
const PORT_ERRORS: Record<string, string> = { EADDRINUSE: 'address already in use', EACCES: 'permission denied' };
const HOST_ERRORS: Record<string, string> = {
  EADDRNOTAVAIL: 'not an address of this machine', ENOTFOUND: 'no such host', EAI_AGAIN: 'no such host',
  EAI_NONAME: 'no such host', EAI_FAIL: 'no such host', EINVAL: 'not an address to listen on',
};

/** listenError names the flag a listen failure is about (one line, exit 3); others pass through. */
function listenError(error: unknown, flags: ServeFlags): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (PORT_ERRORS[code] !== undefined) return new UsageError(`serve: --port ${flags.port}: expected a free port: ${PORT_ERRORS[code]} (on ${flags.host})`);
  if (HOST_ERRORS[code] !== undefined) return new UsageError(`serve: --host ${flags.host}: expected an address of this machine: ${HOST_ERRORS[code]}`);
  return error;
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
      checkReadableDir('--store', flags.store);
      const server = await startServer({ store: flags.store, host: flags.host, port: flags.port }).catch((error: unknown) => {
        throw listenError(error, flags);
      });
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
