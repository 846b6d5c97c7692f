// bench/parse.ts — `npm run bench:parse`: reading histories, as wall and CPU time.
//
// Two figures: HistoryWriter and readJsonlOps throughput on 200k ops (once a timed unit test
// in history/jsonl.test.ts), and a 1M-op register history (scripts/gen-history.ts, 2M lines)
// read and paired in one pass and checked (multi-register) by the calls `check FILE --model`
// makes (readLocatedOperations, then checkPaired), so the figure is the CLI's. Each size runs in
// its own child process, so its peak RSS is its own. CPU is the process's user + system time
// (V8's GC threads included): on a shared machine it is steadier than the wall time.
// Flags: --ops N (the large history's ops, default 1 000 000).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkPaired } from '../checker/linearizable/index.ts';
import { getModel } from '../checker/models/index.ts';
import { HistoryWriter, readJsonlOps } from '../history/jsonl.ts';
import { readLocatedOperations } from '../history/located.ts';
import type { Op } from '../history/op.ts';
import { generateHistory } from '../scripts/gen-history.ts';

interface Phase {
  name: string;
  ops: number;
  wallMs: number;
  cpuMs: number;
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function timed(name: string, run: () => Promise<number>): Promise<Phase> {
  const wall = performance.now();
  const cpu = cpuMs();
  const ops = await run();
  return { name, ops, wallMs: performance.now() - wall, cpuMs: cpuMs() - cpu };
}

/** throughput writes and reads back 200k small ops (the old unit test's workload). */
async function throughput(): Promise<Phase[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-bench-parse-'));
  const file = path.join(dir, 'ops.jsonl');
  const count = 200_000;
  const opAt = (i: number): Op => ({ index: i, time: i * 10, type: i % 2 === 0 ? 'invoke' : 'ok', process: i % 50, f: 'write', key: i % 7, value: i });
  try {
    const write = await timed('HistoryWriter, 200k ops', async () => {
      const writer = await HistoryWriter.open(file);
      for (let i = 0; i < count; i += 1) writer.append(opAt(i));
      await writer.close();
      return count;
    });
    const read = await timed('readJsonlOps, 200k ops', async () => {
      let seen = 0;
      for await (const op of readJsonlOps(file)) if (op.index === seen) seen += 1;
      return seen;
    });
    return [write, read];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** large reads, pairs and checks the generated register history. */
async function large(ops: number): Promise<Phase[]> {
  const file = path.join(os.tmpdir(), `splitbrain-bench-${ops === 1_000_000 ? '1m' : ops}-seed1.jsonl`);
  if (!existsSync(file)) generateHistory(file, { ops, keys: 1000, concurrency: 20, infoRate: 0.002, seed: 1 });
  let paired: Awaited<ReturnType<typeof readLocatedOperations>>['paired'] | undefined;
  const read = await timed(`readLocatedOperations (read + pair), ${ops} ops`, async () => {
    paired = (await readLocatedOperations(file, file)).paired;
    return 2 * ops;
  });
  const check = await timed('checkPaired (multi-register)', async () => {
    if (paired === undefined) throw new Error('bench:parse: nothing was read');
    const result = await checkPaired(paired, getModel('multi-register'), { shrinkMs: 0, timeoutMs: 120_000 });
    if (result.valid !== true) throw new Error(`bench:parse: the generated history checked ${String(result.valid)}`);
    return result.opCount;
  });
  const total: Phase = {
    name: 'read + pair + check', ops,
    wallMs: read.wallMs + check.wallMs, cpuMs: read.cpuMs + check.cpuMs,
  };
  return [read, check, total];
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

function parent(ops: number): void {
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`bench:parse on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${new Date().toISOString()}, load ${load()}`);
  console.log('phase | lines or ops | wall | CPU | per second (wall) | peak RSS');
  console.log('---|---|---|---|---|---');
  for (const job of ['throughput', 'large']) {
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--job', job, '--ops', String(ops)], {
      encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const { phases, maxRssMb } = JSON.parse(out.trim().split('\n').pop() as string) as { phases: Phase[]; maxRssMb: number };
    for (const p of phases) {
      console.log(`${p.name} | ${p.ops} | ${formatMs(p.wallMs)} | ${formatMs(p.cpuMs)} | ${Math.round(p.ops / (p.wallMs / 1000))} | ${maxRssMb.toFixed(0)} MB`);
    }
  }
  console.log(`load at the end: ${load()}`);
  console.log(`goal (issue #20): read + pair + check of the ${ops}-op history under 2 CPU-s`);
}

const at = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const ops = Number(at('--ops') ?? 1_000_000);
if (!Number.isInteger(ops) || ops <= 0) throw new Error(`bench:parse: --ops: expected a positive integer, got ${at('--ops')}`);
const job = at('--job');
if (job === undefined) {
  parent(ops);
} else {
  const phases = job === 'throughput' ? await throughput() : await large(ops);
  console.log(JSON.stringify({ phases, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}
