// bench/sim.ts — simulated runs per minute: raft, 5 nodes, register, partition+kill, 30 s virtual each, one worker per core (npm run bench:sim).
//
//   RUNS=40 npm run bench:sim
import os from 'node:os';
import { resolveOptions } from '../control/config.ts';
import { runSweep, shardSeeds } from '../control/sim/sweep.ts';

const GOAL_RUNS_PER_MIN = 1000;
const runs = Number(process.env.RUNS ?? 40);
// rate pinned at 50 ops/s: the README's runs/min figures were measured at it (the default then).
const opts = resolveOptions({ cluster: 'sim', db: 'raft', nodes: 5, workload: 'register', nemesis: 'partition,kill', rate: 50, timeLimit: 30, seed: 1 });
const cpuModel = os.cpus()[0]?.model ?? 'unknown cpu';
const loadBefore = os.loadavg()[0];
// CPU time of the whole process (the worker threads included): comparable across loads, unlike wall time.
// Not included: esbuild's own process when the worker bundle is rebuilt (the first sweep after an edit).
const cpuBefore = process.cpuUsage();
const { summary, outcomes } = await runSweep({ opts, seeds: shardSeeds(1, runs), seedFirst: 1, runs });
const cpu = process.cpuUsage(cpuBefore);
const cpuSPerRun = (cpu.user + cpu.system) / 1e6 / runs;
const perMin = (runs / summary.wallMs) * 60_000;
const wallMsPerRun = outcomes.map((o) => o.wallMs).sort((a, b) => a - b)[Math.floor(outcomes.length / 2)];
console.log(`machine: ${os.availableParallelism()} cores, ${cpuModel}; load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after`);
console.log(`${runs} runs (raft, 5 nodes, register, partition+kill, 30 s virtual): ${(summary.wallMs / 1000).toFixed(1)} s wall over ${Math.min(os.availableParallelism(), runs)} workers`);
console.log(`  ${perMin.toFixed(0)} runs/min (goal ${GOAL_RUNS_PER_MIN}), median ${wallMsPerRun.toFixed(0)} ms wall per run (checking included), ${(summary.virtualMsTotal / runs / 1000).toFixed(1)} virtual s per run`);
const cores = os.availableParallelism();
console.log(`  ${cpuSPerRun.toFixed(2)} CPU-s per run (worker start-up included, ~0.2 CPU-s a worker to load its bundle); at that cost ${cores} idle cores would do ${((60 * cores) / cpuSPerRun).toFixed(0)} runs/min`);
console.log(`  the goal needs at most ${((60 * cores) / GOAL_RUNS_PER_MIN).toFixed(2)} CPU-s per run on ${cores} cores; CPU time, not wall, is what compares across loads`);
console.log(`  verdicts: ${summary.counts.valid} valid, ${summary.counts.invalid} invalid, ${summary.counts.unknown} unknown`);
