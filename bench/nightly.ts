// bench/nightly.ts — run the whole nightly matrix to the end and print its summary and wall time (npm run bench:nightly).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { parsePositiveSeconds } from '../control/arg-parsers.ts';

/** KILL_GRACE_MS: after the deadline's SIGINT, how long test-all gets to tear down before SIGKILL. */
const KILL_GRACE_MS = 30_000;

/**
 * main runs `test-all --config CONFIG --junit STORE/junit.xml` as a child, passing its output
 * through, and prints the wall time and the exit code. The child never outlives the bench: at
 * the deadline it gets SIGINT (it stops the run under way, tears down, keeps the JUnit file of
 * the finished runs), then SIGKILL if it has not exited KILL_GRACE_MS later.
 */
async function main(): Promise<void> {
  const program = new Command('bench:nightly')
    .option('--config <file>', 'matrix file', 'examples/nightly.yaml')
    .option('--store <dir>', 'store directory (default: a fresh temp dir)')
    .option('--deadline-s <s>', 'stop the matrix after this many seconds', parsePositiveSeconds, 3600)
    .option('--time-limit <s>', 'override every run\'s time limit (a shorter smoke run)')
    .parse();
  const flags = program.opts<{ config: string; store?: string; deadlineS: number; timeLimit?: string }>();
  const store = flags.store ?? path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-nightly-')), 'store');
  const junit = path.join(store, 'junit.xml');
  const args = ['--import', 'tsx', 'control/cli.ts', 'test-all', '--config', flags.config, '--store', store, '--junit', junit];
  if (flags.timeLimit !== undefined) args.push('--time-limit', flags.timeLimit);
  const startedAt = new Date();
  const startMs = performance.now();
  process.stdout.write(`bench:nightly: ${flags.config} → ${store} (deadline ${flags.deadlineS} s), started ${startedAt.toISOString()}\n`);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  let stoppedAtDeadline = false;
  let killTimer: NodeJS.Timeout | undefined;
  const deadline = setTimeout(() => {
    stoppedAtDeadline = true;
    process.stdout.write(`bench:nightly: deadline of ${flags.deadlineS} s reached: SIGINT\n`);
    child.kill('SIGINT');
    killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  }, flags.deadlineS * 1000);
  // Our own Ctrl-C reaches the child through the process group; just wait for it.
  process.on('SIGINT', () => undefined);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(deadline);
  clearTimeout(killTimer);
  const wallS = (performance.now() - startMs) / 1000;
  process.stdout.write(`bench:nightly: wall time ${(wallS / 60).toFixed(1)} min (${wallS.toFixed(0)} s), test-all exit ${code}${stoppedAtDeadline ? ' (stopped at the deadline)' : ''}; JUnit ${junit}\n`);
  process.exitCode = code ?? 2;
}

await main();
