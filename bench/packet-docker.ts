// bench/packet-docker.ts — how often packet faults alone catch the naive copies on --cluster docker (npm run bench:packet-docker).
//
// Issue 17's figure: naive + packet delay/reordering, no other fault, should be invalid in at
// least 95% of seeds within 15 s. Each seed is one whole run on real containers: the naive
// copies with clients beside them (--partition-clients), examples/packet-delay.yaml (Jepsen's
// 50 ms ± 10 ms, 20% reordered, on every link from 1 s), TIME_LIMIT_S of workload. Prints one
// line per seed and the fraction caught, with the wall time of the runs.
//
//   SEEDS=20 FIRST=1 TIME_LIMIT_S=10 npm run bench:packet-docker
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveOptions } from '../control/config.ts';
import { dockerParts } from '../control/runner/parts.ts';
import { runTest } from '../control/runner/run-test.ts';
import { readHistory } from '../history/read.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const seedCount = Number(process.env.SEEDS ?? 20);
const firstSeed = Number(process.env.FIRST ?? 1);
const timeLimitS = Number(process.env.TIME_LIMIT_S ?? 10);
const BUDGET_S = 15;

const store = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-bench-packet-docker-'));
const walls: number[] = [];
let caught = 0;
let unknown = 0;
console.log(`naive + packet (examples/packet-delay.yaml) on --cluster docker: ${seedCount} seeds from ${firstSeed}, ${timeLimitS} s of workload each`);
try {
  for (let seed = firstSeed; seed < firstSeed + seedCount; seed++) {
    const opts = resolveOptions({
      config: path.join(ROOT, 'examples', 'test-naive-register.yaml'), cluster: 'docker', nemesis: 'none',
      nemesisSchedule: path.join(ROOT, 'examples', 'packet-delay.yaml'), timeLimit: String(timeLimitS), concurrency: '10', rate: '200',
      checkTimeout: '30', seed: String(seed), store,
    });
    const startMs = performance.now();
    const outcome = await runTest(opts, dockerParts);
    const wallS = (performance.now() - startMs) / 1000;
    walls.push(wallS);
    if (outcome.valid === false) caught++;
    if (outcome.valid === 'unknown') unknown++;
    const verdict = outcome.valid === false ? 'INVALID' : outcome.valid === true ? 'valid' : 'unknown';
    const why = outcome.results.error ?? outcome.results.anomalies[0] ?? '';
    // How the packets were shaped (netem, or the NFQUEUE shaper where the kernel lacks it), as the run recorded it.
    const started = (await readHistory(outcome.run.historyJsonl)).find((op) => op.process === 'nemesis' && op.f === 'start-packet' && op.type === 'info');
    const mechanism = String((started?.value as { mechanism?: string } | undefined)?.mechanism ?? started?.error ?? 'no start-packet').split(' (')[0];
    console.log(`seed ${String(seed).padStart(3)}: ${verdict.padEnd(7)} ${wallS.toFixed(1).padStart(5)} s wall  [${mechanism}]  ${String(why).slice(0, 70)}`);
  }
} finally {
  fs.rmSync(store, { recursive: true, force: true });
}
const sorted = [...walls].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
const pct = (100 * caught) / seedCount;
console.log(`caught ${caught} of ${seedCount} seeds (${pct.toFixed(0)}%), ${unknown} unknown; workload ${timeLimitS} s per run (${timeLimitS <= BUDGET_S ? 'within' : 'over'} the ${BUDGET_S} s of issue 17), wall per run median ${median.toFixed(1)} s, max ${(sorted.at(-1) ?? NaN).toFixed(1)} s`);
