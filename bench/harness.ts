// bench/harness.ts — how many ops/s the runner drives and records against a no-op client (npm run bench:harness).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeThreads, runClientPhase, type ClientFactory, type PhaseContext } from '../control/runner/interpreter.ts';
import { RateLimiter } from '../control/runner/rate-limiter.ts';
import { Recorder } from '../control/runner/recorder.ts';
import { HistoryWriter } from '../history/jsonl.ts';
import { SeededRng } from '../lib/rng.ts';
import { REAL_TIMERS } from '../lib/timers.ts';
import { registerWorkload } from '../workloads/register.ts';
import type { Completion, KvClientLike } from '../workloads/types.ts';

const CONCURRENCY = 50;
const DURATION_S = Number(process.env.BENCH_SECONDS ?? 3);
const GOAL_OPS_PER_S = 20_000;

/** noopClients answer every call at once: ok, and reads return 0. */
const noopClients: ClientFactory = {
  open(): KvClientLike {
    const ok: Completion = { type: 'ok' };
    const read: Completion = { type: 'ok', value: 0 };
    return {
      read: () => Promise.resolve(read),
      write: () => Promise.resolve(ok),
      cas: () => Promise.resolve(ok),
      txn: () => Promise.resolve(ok),
    };
  },
};

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-harness-'));
  const file = path.join(dir, 'history.jsonl');
  try {
    const writer = await HistoryWriter.open(file);
    const recorder = new Recorder(writer);
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const threads = makeThreads(CONCURRENCY, nodes);
    const rng = new SeededRng(1);
    const ctx = { concurrency: CONCURRENCY, keyCount: 5, nodes };
    const generators = threads.map((t) => registerWorkload.generator(t.thread, rng.fork(), ctx));
    const phase: PhaseContext = {
      recorder, workload: registerWorkload, clients: noopClients,
      limiter: new RateLimiter(0), opTimeoutMs: 10_000, signal: new AbortController().signal, timers: REAL_TIMERS,
    };
    const startMs = performance.now();
    await runClientPhase(phase, threads, generators, startMs + DURATION_S * 1000);
    const elapsedS = (performance.now() - startMs) / 1000;
    await writer.close();
    const bytes = statSync(file).size;
    const ops = recorder.tally.ok + recorder.tally.fail + recorder.tally.info;
    const opsPerS = ops / elapsedS;
    const memoryMb = process.memoryUsage().rss / 2 ** 20;
    console.log(`runner harness: concurrency ${CONCURRENCY}, no-op client, register generator, ${elapsedS.toFixed(2)} s`);
    console.log(`  operations completed: ${ops} (${recorder.count} history lines)`);
    console.log(`  throughput:           ${Math.round(opsPerS)} ops/s (goal >= ${GOAL_OPS_PER_S}: ${opsPerS >= GOAL_OPS_PER_S ? 'met' : 'NOT met'})`);
    console.log(`  history size:         ${(bytes / 2 ** 20).toFixed(1)} MiB, ${(bytes / ops).toFixed(1)} bytes per op (invoke + completion), ${(bytes / recorder.count).toFixed(1)} bytes per line`);
    console.log(`  rss:                  ${memoryMb.toFixed(0)} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
