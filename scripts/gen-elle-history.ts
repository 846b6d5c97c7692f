// scripts/gen-elle-history.ts — writes a synthetic list-append (or rw-register) txn history from the simulated store.
//
// Used by `npm run bench:elle` (and usable alone). Defaults follow Elle's list-append
// generator: a few active keys, each retired after 32 writes for a fresh one, 1–4 micro-ops
// per txn, concurrency 10. The serializable engine executes each txn atomically between its
// invoke and completion, so the history is strict-serializable and the checker must prove it.
import { closeSync, openSync, writeSync } from 'node:fs';
import { Command } from 'commander';
import { parsePositiveInt } from '../control/arg-parsers.ts';
import { simulateTo, type SimOptions } from '../checker/elle/sim-store.ts';
import type { Op } from '../history/op.ts';

/** ELLE_GEN_DEFAULTS: the bench's history shape. */
export const ELLE_GEN_DEFAULTS: Omit<SimOptions, 'txnCount' | 'seed'> = {
  workload: 'list-append', engine: 'serializable', concurrency: 10, keyCount: 10, writesPerKeyMax: 32,
  mopsMax: 4, failRate: 0.01, infoRate: 0.005,
};

/** generateElleHistory writes the simulated history to `path` as JSONL and returns the line count. */
export function generateElleHistory(path: string, opts: SimOptions): number {
  const fd = openSync(path, 'w');
  let buffer: string[] = [];
  try {
    const lines = simulateTo(opts, (op: Op) => {
      buffer.push(JSON.stringify(op));
      if (buffer.length >= 10_000) { writeSync(fd, buffer.join('\n') + '\n'); buffer = []; }
    });
    if (buffer.length > 0) writeSync(fd, buffer.join('\n') + '\n');
    return lines;
  } finally {
    closeSync(fd);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const program = new Command('gen-elle-history')
    .description('write a synthetic txn history (JSONL) from a simulated store; check it with the Elle checker')
    .requiredOption('-o, --out <file>', 'output JSONL file')
    .option('--txns <n>', 'transactions', parsePositiveInt('--txns'), 100_000)
    .option('--workload <w>', 'list-append | rw-register', 'list-append')
    .option('--engine <e>', 'serializable | snapshot | no-conflict-check', 'serializable')
    .option('--keys <n>', 'active keys', parsePositiveInt('--keys'), ELLE_GEN_DEFAULTS.keyCount)
    .option('--writes-per-key <n>', 'writes before a key is retired', parsePositiveInt('--writes-per-key'), ELLE_GEN_DEFAULTS.writesPerKeyMax)
    .option('--concurrency <n>', 'client threads', parsePositiveInt('--concurrency'), ELLE_GEN_DEFAULTS.concurrency)
    .option('--seed <n>', 'random seed', parsePositiveInt('--seed'), 1)
    .exitOverride();
  try {
    program.parse();
  } catch {
    process.exit(3);
  }
  const o = program.opts<{ out: string; txns: number; workload: string; engine: string; keys: number; writesPerKey: number; concurrency: number; seed: number }>();
  if (o.workload !== 'list-append' && o.workload !== 'rw-register') { process.stderr.write(`--workload: expected list-append or rw-register, got "${o.workload}"\n`); process.exit(3); }
  if (o.engine !== 'serializable' && o.engine !== 'snapshot' && o.engine !== 'no-conflict-check') {
    process.stderr.write(`--engine: expected serializable, snapshot or no-conflict-check, got "${o.engine}"\n`);
    process.exit(3);
  }
  const lines = generateElleHistory(o.out, {
    ...ELLE_GEN_DEFAULTS, workload: o.workload, engine: o.engine, txnCount: o.txns, keyCount: o.keys,
    writesPerKeyMax: o.writesPerKey, concurrency: o.concurrency, seed: o.seed,
  });
  process.stderr.write(`gen-elle-history: wrote ${lines} lines (${o.txns} txns, ${o.workload}, ${o.engine}, seed ${o.seed}) to ${o.out}\n`);
}
