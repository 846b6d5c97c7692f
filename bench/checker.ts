// bench/checker.ts — `npm run bench:checker`: check time and peak RSS per history family,
// with Porcupine timed beside us in the same run when a checkout and Go are at hand.
//
// Each family runs in its own child process so its peak RSS is its own. Parsing is excluded
// from the check time. The first check of a process is reported on its own ("first check":
// V8 still interprets most of the search then); the median is over --runs checks after a
// warm-up on the same input (each with a fresh model), as Go's runs are of compiled code.
// Flags: see USAGE (--help).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHistory } from '../history/read.ts';
import { toOperations } from '../history/pair.ts';
import { getModel } from '../checker/models/index.ts';
import { checkOperations } from '../checker/linearizable/index.ts';
import type { Verdict } from '../checker/types.ts';
import type { Operation } from '../history/op.ts';
import { generateHistory } from '../scripts/gen-history.ts';
import { buildPorcupine, porcupineDir, timePorcupine, type PorcupineBuild } from './porcupine.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(repoRoot, '..', 'shared', 'testdata', 'porcupine');

interface Family {
  name: string;
  model: string;
  files: () => string[];
  runs: number;
  timeoutMs: number;
  /** How the history is searched: per key (the model's partition), the whole map, per file. */
  search: 'per key' | 'whole map' | 'per file';
  /** Porcupine's budget for this family; 0 is none (its CheckEvents). */
  porcupineTimeoutMs?: number;
}

/** WARM_UP bounds the untimed checks before the timed ones: at most this many, this long. */
const WARM_UP = { checksMax: 200, msMax: 1000, firstCheckMsMax: 200 };

/**
 * PORCUPINE holds Porcupine's figures for when it cannot be run here (no checkout or no Go):
 * the medians of bench/porcupine/harness_test.go in the run named by `measured`, printed
 * as constants with that date. Re-measure by running this bench where Porcupine is available.
 */
const PORCUPINE = {
  version: 'Porcupine v1.3.0 (55508eb, 2026-06-26)',
  go: 'go1.19.8 (Debian golang-go), GOMAXPROCS=2',
  measured: '2026-12-02 01:14–01:22 UTC by this bench, load average 23–29 on 2 cores (8 other jobs)',
  figures: {
    'etcd (103 files)': '9.48 s (5 runs)',
    'kv c01-ok': '0.3 ms (21 runs)',
    'kv c01-bad': '0.2 ms (21 runs)',
    'kv c10-ok': '9.8 ms (21 runs)',
    'kv c10-bad': '1.6 ms (21 runs)',
    'kv c50-ok': '2.44 s (5 runs)',
    'kv c50-bad': '124.9 ms (5 runs)',
    'kv unpartitioned c01-ok': '0.3 ms (21 runs)',
    'kv unpartitioned c01-bad': '0.2 ms (21 runs)',
    'kv unpartitioned c10-ok': '37.01 s (3 runs)',
    'kv unpartitioned c10-bad': '37.10 s (3 runs)',
    'kv unpartitioned c50-ok': 'unknown (10 s budget spent; no verdict in 60 s on 2026-12-01)',
    'kv unpartitioned c50-bad': 'unknown (10 s budget spent; no verdict in 60 s on 2026-12-01)',
  } as Record<string, string>,
};

const kv = (file: string) => () => [path.join(dataDir, 'kv', file)];
const FAMILIES: Family[] = [
  {
    name: 'etcd (103 files)', model: 'etcd', runs: 5, timeoutMs: 60_000, search: 'per file',
    files: () => readdirSync(path.join(dataDir, 'jepsen')).filter((f) => f.endsWith('.log')).sort().map((f) => path.join(dataDir, 'jepsen', f)),
  },
  ...['c01', 'c10', 'c50'].flatMap((c) => ['ok', 'bad'].map((v): Family => ({
    name: `kv ${c}-${v}`, model: 'kv', runs: c === 'c50' ? 5 : 21, timeoutMs: 60_000, search: 'per key', files: kv(`${c}-${v}.txt`),
  }))),
  // Porcupine's kvNoPartitionModel: c01/c10 searched as one whole map, as Porcupine does.
  ...['c01', 'c10'].flatMap((c) => ['ok', 'bad'].map((v): Family => ({
    name: `kv unpartitioned ${c}-${v}`, model: 'kv-unpartitioned', runs: c === 'c10' ? 3 : 21, timeoutMs: 60_000,
    search: 'whole map', files: kv(`${c}-${v}.txt`),
  }))),
  // c50 as a whole map is undecided by both tools; the model's own split by key (locality,
  // checker/models/kv-unpartitioned.ts) decides it. Porcupine runs its whole-map search.
  ...['ok', 'bad'].map((v): Family => ({
    name: `kv unpartitioned c50-${v}`, model: 'kv-unpartitioned', runs: 5, timeoutMs: 60_000, search: 'per key',
    files: kv(`c50-${v}.txt`), porcupineTimeoutMs: 10_000,
  })),
  {
    name: '1M ops, 1000 keys, c20', model: 'multi-register', runs: 1, timeoutMs: 120_000, search: 'per key',
    files: () => {
      const file = path.join(os.tmpdir(), 'splitbrain-bench-1m-seed1.jsonl');
      if (!existsSync(file)) generateHistory(file, { ops: 1_000_000, keys: 1000, concurrency: 20, infoRate: 0.002, seed: 1 });
      return [file];
    },
  },
];

interface FamilyResult {
  name: string;
  verdicts: string;
  firstMs: number;
  medianMs: number;
  parseMs: number;
  maxRssMb: number;
  ops: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** runFamily is the child's job: parse, one first check, a warm-up, then the timed checks. */
async function runFamily(family: Family): Promise<FamilyResult> {
  // files() may first generate the history (the 1M family): that is not parsing.
  const files = family.files();
  const parseStart = performance.now();
  const inputs: Operation[][] = [];
  let ops = 0;
  for (const file of files) {
    const { operations } = toOperations(await readHistory(file));
    inputs.push(operations);
    ops += operations.length;
  }
  const parseMs = performance.now() - parseStart;
  // A fresh model per check: the kv models intern strings for their lifetime, which would
  // make later checks look faster than a first check is. `verdicts` counts the first check's.
  const verdicts = new Map<string, number>();
  const checkAll = async (count: boolean): Promise<number> => {
    const model = getModel(family.model);
    const start = performance.now();
    for (const operations of inputs) {
      // The verdict's time, as Porcupine measures it: shrinking a failure to its minimal ops is explanation, not decision.
      const result = await checkOperations(operations, model, {
        timeoutMs: family.timeoutMs, shrinkMs: 0, partition: family.search !== 'whole map',
      });
      if (count) verdicts.set(verdictName(result.valid), (verdicts.get(verdictName(result.valid)) ?? 0) + 1);
    }
    return performance.now() - start;
  };
  const firstMs = await checkAll(true);
  const times: number[] = [];
  if (firstMs < WARM_UP.firstCheckMsMax) {
    const warmStart = performance.now();
    for (let i = 0; i < WARM_UP.checksMax && performance.now() - warmStart < WARM_UP.msMax; i++) await checkAll(false);
  } else {
    times.push(firstMs); // a long check is its own warm-up: the first run counts
  }
  while (times.length < family.runs) times.push(await checkAll(false));
  return {
    name: family.name, parseMs, firstMs, medianMs: median(times), ops,
    verdicts: [...verdicts].map(([v, n]) => (inputs.length > 1 ? `${n} ${v}` : v)).join(', '),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function verdictName(valid: Verdict): string {
  return valid === true ? 'linearizable' : valid === false ? 'not linearizable' : 'unknown';
}

function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

function formatMsOrVerdict(ms: number, verdicts: string[]): string {
  return verdicts.every((v) => v === 'unknown') ? `unknown (${formatMs(ms)} budget spent)` : formatMs(ms);
}

interface ParentOptions {
  only: string | undefined;
  porcupine: string | undefined;
  noPorcupine: boolean;
  porcupineTimeoutMs: number | undefined;
}

/** porcupineColumn times the family in Porcupine (same runs), or gives the dated constant. */
function porcupineColumn(build: PorcupineBuild | undefined, family: Family, timeoutMs: number | undefined): { text: string; medianMs?: number } {
  if (build === undefined) return { text: PORCUPINE.figures[family.name] ?? '' };
  const runs = family.porcupineTimeoutMs !== undefined ? 1 : family.runs;
  const timing = timePorcupine(build, family.name, { dataDir, runs, timeoutMs: family.porcupineTimeoutMs === undefined ? 0 : (timeoutMs ?? family.porcupineTimeoutMs) });
  if (timing === undefined) return { text: '' };
  const medianMs = median(timing.timesMs);
  const verdicts = [...new Set(timing.verdicts)].join('/');
  const text = `${formatMsOrVerdict(medianMs, timing.verdicts)}${timing.verdicts.length > 1 ? '' : ` ${verdicts === 'unknown' ? '' : verdicts}`}`.trim();
  return { text: `${text} (${runs} run${runs > 1 ? 's' : ''})`, medianMs: verdicts === 'unknown' ? undefined : medianMs };
}

async function parent(opts: ParentOptions): Promise<void> {
  if (!existsSync(dataDir)) {
    process.stderr.write(`bench:checker: ${dataDir} is missing; the Porcupine families need ../shared/testdata beside the repo\n`);
  }
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`bench:checker on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${new Date().toISOString()}, load ${load()}`);
  let build: PorcupineBuild | undefined;
  if (!opts.noPorcupine && existsSync(dataDir)) {
    const dir = porcupineDir(repoRoot, opts.porcupine);
    const built = buildPorcupine(dir);
    if (typeof built === 'string') console.log(`Porcupine not run here: ${built}`);
    else build = built;
  }
  console.log(build !== undefined
    ? `Porcupine column: ${build.version}, ${build.go}, timed in this run (bench/porcupine/harness_test.go, check only)`
    : `Porcupine column: ${PORCUPINE.version}, ${PORCUPINE.go}, measured ${PORCUPINE.measured} (constants)`);
  console.log(`Ours: first check of a fresh process, then the median of the runs after a warm-up (up to ${WARM_UP.checksMax} checks, ${WARM_UP.msMax} ms)`);
  console.log('family | search | verdict | ops | first check | check median (runs) | Porcupine median | ours / Porcupine | parse | peak RSS');
  console.log('---|---|---|---|---|---|---|---|---|---');
  try {
    for (const family of FAMILIES) {
      if (opts.only !== undefined && !family.name.includes(opts.only)) continue;
      if (!family.name.startsWith('1M') && !existsSync(dataDir)) continue;
      const runs = runsFlag === undefined ? [] : ['--runs', String(runsFlag)];
      const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--family', family.name, ...runs], {
        encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'],
      });
      const r = JSON.parse(out.trim().split('\n').pop() as string) as FamilyResult;
      const porcupine = porcupineColumn(build, family, opts.porcupineTimeoutMs);
      const ratio = porcupine.medianMs === undefined ? '' : `${(r.medianMs / porcupine.medianMs).toFixed(2)}×`;
      console.log(`${r.name} | ${family.search} | ${r.verdicts} | ${r.ops} | ${formatMs(r.firstMs)} | ${formatMs(r.medianMs)} (${family.runs}) | ${porcupine.text} | ${ratio} | ${formatMs(r.parseMs)} | ${r.maxRssMb.toFixed(0)} MB`);
    }
  } finally {
    build?.dispose();
  }
  console.log(`load at the end: ${load()}`);
}

const USAGE = `usage: npm run bench:checker -- [flags]
  --only TEXT                families whose name contains TEXT (e.g. c01, "unpartitioned c01-bad")
  --runs N                   timed checks per family, for both tools (default: 21 small, 5 c50/etcd, 3 c10 whole map)
  --porcupine DIR            Porcupine checkout (default $PORCUPINE_DIR or ../peer/porcupine)
  --no-porcupine             print Porcupine's dated constants instead of timing it
  --porcupine-timeout-ms N   Porcupine's budget on the unpartitioned c50 families
  --help                     this text`;

function flagValue(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

// positiveInt reads a flag that must be a whole number ≥ 1; anything else is a usage error (exit 3).
function positiveInt(name: string): number | undefined {
  const text = flagValue(name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`bench:checker: ${name} expects a whole number ≥ 1, got ${JSON.stringify(text)}\n`);
    process.exit(3);
  }
  return n;
}

if (process.argv.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const runsFlag = positiveInt('--runs');
if (runsFlag !== undefined) for (const family of FAMILIES) family.runs = runsFlag;
const familyName = flagValue('--family');
if (familyName !== undefined) {
  const family = FAMILIES.find((f) => f.name === familyName);
  if (family === undefined) throw new Error(`bench:checker: unknown family ${familyName}`);
  console.log(JSON.stringify(await runFamily(family)));
} else {
  await parent({
    only: flagValue('--only'),
    porcupine: flagValue('--porcupine'),
    noPorcupine: process.argv.includes('--no-porcupine'),
    porcupineTimeoutMs: positiveInt('--porcupine-timeout-ms'),
  });
}
