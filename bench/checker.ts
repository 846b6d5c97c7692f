// bench/checker.ts — `npm run bench:checker`: check time and peak RSS per history family.
//
// Each family runs in its own child process so its peak RSS is its own. Parsing is excluded
// from the check time; the figure is the median of --runs runs. Porcupine's published figures
// for this machine kind are printed beside ours.
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

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(repoRoot, '..', 'shared', 'testdata', 'porcupine');

interface Family {
  name: string;
  model: string;
  files: () => string[];
  runs: number;
  timeoutMs: number;
}

/**
 * PORCUPINE holds Porcupine's figures for the same families, measured on this machine with a
 * Go harness kept outside the repo (CheckEventsTimeout on the files of ../shared/testdata,
 * check time only, median of 5 runs, Porcupine's own parsers and models from its tests).
 * They are constants, not measured by this bench: re-measure and replace them, with the date.
 * The machine was shared (load average about 18 on 2 cores in the 22:40 run), so compare
 * them with figures of ours taken in the same window, not across days.
 */
const PORCUPINE = {
  version: 'Porcupine v1.3.0 (55508eb, 2026-06-26)',
  go: 'go1.19.8 (Debian golang-go), GOMAXPROCS=2',
  measured: '2026-12-01 22:40 UTC (unpartitioned c01/c10: 21:12 UTC, load about 6)',
  figures: {
    'etcd (103 files)': '6.22 s',
    'kv c01-ok': '0.35 ms',
    'kv c01-bad': '0.16 ms',
    'kv c10-ok': '1.83 ms',
    'kv c10-bad': '0.67 ms',
    'kv c50-ok': '2.52 s',
    'kv c50-bad': '333 ms',
    'kv unpartitioned c01-ok': '0.18 ms',
    'kv unpartitioned c01-bad': '0.09 ms',
    'kv unpartitioned c10-ok': '3.90 s',
    'kv unpartitioned c10-bad': '8.55 s',
    'kv unpartitioned c50-ok': 'not run (no verdict in 60 s per issue 20)',
    'kv unpartitioned c50-bad': 'not run (no verdict in 60 s per issue 20)',
  } as Record<string, string>,
};

const kv = (file: string) => () => [path.join(dataDir, 'kv', file)];
const FAMILIES: Family[] = [
  {
    name: 'etcd (103 files)', model: 'etcd', runs: 5, timeoutMs: 60_000,
    files: () => readdirSync(path.join(dataDir, 'jepsen')).filter((f) => f.endsWith('.log')).sort().map((f) => path.join(dataDir, 'jepsen', f)),
  },
  ...['c01', 'c10', 'c50'].flatMap((c) => ['ok', 'bad'].map((v): Family => ({
    name: `kv ${c}-${v}`, model: 'kv', runs: 5, timeoutMs: 60_000, files: kv(`${c}-${v}.txt`),
  }))),
  ...['c01', 'c10', 'c50'].flatMap((c) => ['ok', 'bad'].map((v): Family => ({
    name: `kv unpartitioned ${c}-${v}`, model: 'kv-unpartitioned', runs: c === 'c50' ? 1 : 5, timeoutMs: 60_000, files: kv(`${c}-${v}.txt`),
  }))),
  {
    name: '1M ops, 1000 keys, c20', model: 'multi-register', runs: 1, timeoutMs: 120_000,
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
  medianMs: number;
  parseMs: number;
  maxRssMb: number;
  ops: number;
  porcupine: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** runFamily is the child's job: parse, then time the checks. */
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
  const times: number[] = [];
  const verdicts = new Map<string, number>();
  for (let run = 0; run < family.runs; run += 1) {
    // A fresh model per run: the kv models intern strings for their lifetime, which would
    // make later runs look faster than a first check is.
    const model = getModel(family.model);
    const start = performance.now();
    for (const operations of inputs) {
      // The verdict's time, as Porcupine measures it: shrinking a failure to its minimal ops is explanation, not decision.
      const result = await checkOperations(operations, model, { timeoutMs: family.timeoutMs, shrinkMs: 0 });
      if (run === 0) verdicts.set(verdictName(result.valid), (verdicts.get(verdictName(result.valid)) ?? 0) + 1);
    }
    times.push(performance.now() - start);
  }
  return {
    name: family.name, parseMs, medianMs: median(times), ops, porcupine: PORCUPINE.figures[family.name] ?? '',
    verdicts: [...verdicts].map(([v, n]) => (inputs.length > 1 ? `${n} ${v}` : v)).join(', '),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function verdictName(valid: Verdict): string {
  return valid === true ? 'linearizable' : valid === false ? 'not linearizable' : 'unknown';
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

async function parent(only: string | undefined): Promise<void> {
  if (!existsSync(dataDir)) {
    process.stderr.write(`bench:checker: ${dataDir} is missing; the Porcupine families need ../shared/testdata beside the repo\n`);
  }
  console.log(`bench:checker on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`);
  console.log(`Porcupine column: ${PORCUPINE.version}, ${PORCUPINE.go}, measured ${PORCUPINE.measured} (constants)`);
  console.log('family | verdict | ops | check median | parse | peak RSS | Porcupine (Go)');
  console.log('---|---|---|---|---|---|---');
  for (const family of FAMILIES) {
    if (only !== undefined && !family.name.includes(only)) continue;
    if (!family.name.startsWith('1M') && !existsSync(dataDir)) continue;
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--family', family.name], {
      encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const r = JSON.parse(out.trim().split('\n').pop() as string) as FamilyResult;
    console.log(`${r.name} | ${r.verdicts} | ${r.ops} | ${formatMs(r.medianMs)} | ${formatMs(r.parseMs)} | ${r.maxRssMb.toFixed(0)} MB | ${r.porcupine}`);
  }
}

const familyFlag = process.argv.indexOf('--family');
if (familyFlag >= 0) {
  const family = FAMILIES.find((f) => f.name === process.argv[familyFlag + 1]);
  if (family === undefined) throw new Error(`bench:checker: unknown family ${process.argv[familyFlag + 1]}`);
  console.log(JSON.stringify(await runFamily(family)));
} else {
  const onlyFlag = process.argv.indexOf('--only');
  await parent(onlyFlag >= 0 ? process.argv[onlyFlag + 1] : undefined);
}
