// rsm/node/main.ts — the node program: one replica (or the view server) of the key-value service.
//
//   tsx rsm/node/main.ts --id n1 --protocol viewservice --listen 127.0.0.1:8001 \
//     --peer-listen 127.0.0.1:9001 --peers n2=127.0.0.1:9002,n3=127.0.0.1:9003 \
//     --viewserver vs=127.0.0.1:9000 --data-dir /tmp/n1
//   (a replicated view server: --viewserver vs1=...,vs2=...,vs3=..., given to its nodes too)
//
// Logs go to stderr, one line each: "<ISO time> <id> <message>". Once both sockets listen it
// prints "<time> <id> ready id=<id> http=<host:port> peer=<host:port>" (ports resolved when 0).
// Exit codes: 0 after SIGTERM/SIGINT, 3 on a bad flag (one line naming it), 1 on a fatal error.
import { Command, CommanderError, Option } from 'commander';
import * as path from 'node:path';
import { randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SeededRng } from '../../lib/rng.ts';
import type { CoreConfig } from '../core/types.ts';
import { TICK_MS_DEFAULT } from '../core/support.ts';
import type { Clock } from '../../lib/clock.ts';
import { PROTOCOLS, PROTOCOL_NAMES, bugError, earlySendsOf, isProtocolName, loadCoreFactory } from '../protocols.ts';
import { READ_MODES } from '../raft/options.ts';
import { DurableLog, type FsyncMode } from '../runtime/durable-log.ts';
import { createHttpApi } from '../runtime/http-api.ts';
import { NodeRuntime } from '../runtime/node-runtime.ts';
import { messageGuardOf } from '../runtime/peer-messages.ts';
import { Transport, splitHostPort } from '../runtime/transport.ts';
import { watchParent } from './lifeline.ts';

/** EXIT_BAD_ARGS: the project-wide exit code for bad arguments. */
const EXIT_BAD_ARGS = 3;

/** NodeArgs: the validated command line. */
export interface NodeArgs {
  id: string;
  protocol: string;
  listen: string;
  peerListen: string;
  peers: Map<string, string>;
  /** viewServers: the view-server nodes, id → address (one, or a replicated view server's group); empty when none. */
  viewServers: Map<string, string>;
  dataDir: string;
  tickMs: number;
  requestTimeoutMs: number;
  fsync: FsyncMode;
  options: Record<string, string>;
  bugs: Set<string>;
  seed: number;
}

/** ArgError: a bad flag; the message names it. */
class ArgError extends Error {}

/** SkewableClock: the wall clock plus an offset the nemesis can set through the admin API. */
class SkewableClock implements Clock {
  offsetMs = 0;
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseIdAddrList(flag: string, text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',').filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ArgError(`${flag}: expected id=host:port, got ${JSON.stringify(part)}`);
    const addr = part.slice(eq + 1);
    checkAddr(flag, addr);
    out.set(part.slice(0, eq), addr);
  }
  return out;
}

function checkAddr(flag: string, addr: string): void {
  try {
    splitHostPort(addr);
  } catch (err) {
    throw new ArgError(`${flag}: ${(err as Error).message}`);
  }
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ArgError(`${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/** parseNodeArgs validates argv (without the node and script paths); throws ArgError or CommanderError. */
export function parseNodeArgs(argv: string[]): NodeArgs {
  const program = new Command('rsm-node')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: (s) => process.stdout.write(s) })
    .requiredOption('--id <id>', 'this node\'s id')
    .option('--protocol <name>', `one of ${PROTOCOL_NAMES.join(', ')}`)
    .addOption(new Option('--role <role>', 'replica (default) or viewserver').choices(['replica', 'viewserver']))
    .requiredOption('--listen <host:port>', 'client HTTP address (port 0 picks one)')
    .requiredOption('--peer-listen <host:port>', 'peer TCP address (port 0 picks one)')
    .option('--peers <list>', 'other replicas: id=host:port,...', '')
    .option('--viewserver <list>', 'the view server (viewservice): id=host:port, or its nodes id=host:port,... when replicated (view-server nodes list their group, themselves included)')
    .requiredOption('--data-dir <dir>', 'directory of the durable log')
    .option('--tick-ms <ms>', 'tick period', String(TICK_MS_DEFAULT))
    .option('--request-timeout-ms <ms>', 'how long a client request waits for its reply', '1000')
    .option('--fsync <mode>', 'always | never (never is unsafe)', 'always')
    .option('--reads <mode>', `read path: ${READ_MODES.join(' | ')}`)
    .option('--bug <name>', 'switch on a named bug (repeatable)', collect, [])
    .option('--option <k=v>', 'protocol option (repeatable)', collect, [])
    .option('--seed <n>', 'seed of the core\'s random source');
  program.parse(argv, { from: 'user' });
  const o = program.opts<Record<string, string | string[] | undefined>>();
  let protocol = o.protocol as string | undefined;
  if (o.role === 'viewserver') protocol = 'viewserver';
  if (protocol === undefined) throw new ArgError('--protocol: required (or --role viewserver)');
  if (!isProtocolName(protocol)) throw new ArgError(`--protocol: unknown ${JSON.stringify(protocol)}; expected one of ${PROTOCOL_NAMES.join(', ')}`);
  checkAddr('--listen', o.listen as string);
  checkAddr('--peer-listen', o.peerListen as string);
  const peers = parseIdAddrList('--peers', o.peers as string);
  const viewServers = o.viewserver === undefined ? new Map<string, string>() : parseIdAddrList('--viewserver', o.viewserver as string);
  if (o.viewserver !== undefined && viewServers.size === 0) throw new ArgError('--viewserver: expected id=host:port,...');
  if (protocol === 'viewservice' && viewServers.size === 0) throw new ArgError('--viewserver: required by --protocol viewservice');
  if (protocol === 'viewserver' && viewServers.size > 0 && !viewServers.has(o.id as string)) {
    throw new ArgError(`--viewserver: a view-server node lists its group, itself included; ${JSON.stringify(o.id)} is missing`);
  }
  const fsync = o.fsync as string;
  if (fsync !== 'always' && fsync !== 'never') throw new ArgError(`--fsync: expected always or never, got ${JSON.stringify(fsync)}`);
  const options: Record<string, string> = {};
  for (const kv of o.option as string[]) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new ArgError(`--option: expected k=v, got ${JSON.stringify(kv)}`);
    options[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (o.reads !== undefined) {
    if (!(READ_MODES as readonly string[]).includes(o.reads as string)) throw new ArgError(`--reads: expected one of ${READ_MODES.join(', ')}, got ${JSON.stringify(o.reads)}`);
    options.reads = o.reads as string;
  }
  const bugs = new Set(o.bug as string[]);
  for (const bug of bugs) {
    const why = bugError(protocol, bug);
    if (why !== null) throw new ArgError(`--bug: ${why}`);
  }
  const seed = o.seed === undefined ? randomInt(2 ** 31) : Number(o.seed);
  if (!Number.isSafeInteger(seed)) throw new ArgError(`--seed: expected an integer, got ${JSON.stringify(o.seed)}`);
  return {
    id: o.id as string,
    protocol,
    listen: o.listen as string,
    peerListen: o.peerListen as string,
    peers,
    viewServers,
    dataDir: o.dataDir as string,
    tickMs: positiveInt('--tick-ms', o.tickMs as string),
    requestTimeoutMs: positiveInt('--request-timeout-ms', o.requestTimeoutMs as string),
    // --bug no-fsync is the same code path as --fsync never: acks before the disk has the data.
    fsync: bugs.has('no-fsync') ? 'never' : fsync,
    options,
    bugs,
    seed,
  };
}

/**
 * coreOptions: the protocol options handed to the core. The core counts time in ticks, but raft
 * sizes its lease in ms, so it must know the tick length: --tick-ms is passed as option tickMs
 * unless --option tickMs=... says otherwise (cores that do not use it ignore it).
 */
export function coreOptions(args: Pick<NodeArgs, 'tickMs' | 'options'>): Record<string, string> {
  return { tickMs: String(args.tickMs), ...args.options };
}

/** naturalSort orders ids so n2 < n10, giving every node the same peer order. */
function naturalSort(ids: Iterable<string>): string[] {
  return [...ids].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** runNode starts a node and resolves a stop function once it is ready. */
export async function runNode(args: NodeArgs, logLine: (line: string) => void): Promise<() => Promise<void>> {
  const factory = await loadCoreFactory(args.protocol);
  const isViewServer = PROTOCOLS[args.protocol].role === 'viewserver';
  const { log, records } = await DurableLog.open(path.join(args.dataDir, 'log.bin'), { fsync: args.fsync, log: logLine });
  logLine(`replayed ${records.length} records from ${args.dataDir} (fsync ${args.fsync}, seed ${args.seed})`);
  const clock = new SkewableClock();
  const replicas = isViewServer ? naturalSort(args.peers.keys()) : naturalSort([args.id, ...args.peers.keys()]);
  const group = naturalSort(args.viewServers.keys());
  const config: CoreConfig = {
    id: args.id,
    peers: replicas,
    viewServer: group[0] ?? (isViewServer ? args.id : undefined),
    viewServers: group.length > 1 ? group : undefined,
    clock,
    rng: new SeededRng(args.seed),
    options: coreOptions(args),
    bugs: args.bugs,
  };
  const core = factory(config, records);
  const addressBook = new Map(args.peers);
  for (const [id, addr] of args.viewServers) addressBook.set(id, addr);
  addressBook.delete(args.id);
  let runtime: NodeRuntime | null = null;
  const guard = messageGuardOf(args.protocol, config.peers);
  const transport = new Transport({
    id: args.id, peers: addressBook, listen: args.peerListen, log: logLine, inboundFrom: new Set(addressBook.keys()),
    onMessage: (from, msg) => {
      // A malformed message would trip the core's asserts: drop it, as the wire could have.
      const why = guard(msg);
      if (why === null) runtime?.onMessage(from, msg);
      else logLine(`dropped a malformed message from ${from}: ${why}`);
    },
  });
  runtime = new NodeRuntime({
    core, log, sender: transport, tickMs: args.tickMs, requestTimeoutMs: args.requestTimeoutMs, logLine,
    ...earlySendsOf(args.protocol),
    // A node that cannot persist must not keep running on promises it cannot keep: crash.
    onFatal: () => setTimeout(() => process.exit(1), 50),
  });
  const rt = runtime;
  const peerAddr = await transport.start();
  const http = createHttpApi({
    request: (c) => rt.request(c),
    status: () => rt.status(),
    changeMembership: (change) => rt.changeMembership(change),
    setClockOffsetMs: (ms) => {
      clock.offsetMs = ms;
      logLine(`clock offset set to ${ms} ms`);
    },
  });
  const { host, port } = splitHostPort(args.listen);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => resolve());
  });
  const httpAddr = http.address() as AddressInfo;
  rt.start();
  logLine(`ready id=${args.id} protocol=${args.protocol} http=${httpAddr.address}:${httpAddr.port} peer=${peerAddr.host}:${peerAddr.port}`);
  return async () => {
    await rt.stop();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await transport.close();
    await log.close();
  };
}

async function main(): Promise<void> {
  let args: NodeArgs;
  try {
    args = parseNodeArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CommanderError && (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')) process.exit(0);
    const message = (err as Error).message.replace(/^error: /, '');
    process.stderr.write(`rsm-node: bad arguments: ${message}\n`);
    process.exit(EXIT_BAD_ARGS);
  }
  const id = args.id;
  const logLine = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} ${id} ${line}\n`);
  };
  let stop: (() => Promise<void>) | null = null;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logLine(`${signal}: shutting down`);
    const done = stop === null ? Promise.resolve() : stop();
    done.then(() => process.exit(0), (err: Error) => {
      logLine(`shutdown failed: ${err.message}`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // A node must not outlive the control node that started it (kill -9 of the control node).
  watchParent((parentPid) => shutdown(`control node (pid ${parentPid}) is gone`));
  try {
    stop = await runNode(args, logLine);
  } catch (err) {
    logLine(`fatal: ${(err as Error).message}`);
    process.exit(1);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  void main();
}
