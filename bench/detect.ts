// bench/detect.ts — the bug zoo on --cluster sim: per entry, the fraction of seeds caught, the virtual and wall time to the first detection; false alarms of the controls (npm run bench:detect).
//
//   SEEDS=200 ENTRY=raft-no-fsync npm run bench:detect
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { camelName, resolveOptions, type TestOptions } from '../control/config.ts';
import { EXIT_BAD_INPUT, UsageError } from '../control/exit-codes.ts';
import type { SeedOutcome } from '../control/sim/run-seed.ts';
import { runSweep, shardSeeds, type SweepSummary } from '../control/sim/sweep.ts';

interface ZooEntry {
  name: string;
  expect: 'valid' | 'invalid';
  why: string;
  options: Record<string, unknown>;
}

const file = process.env.ZOO ?? 'examples/bug-zoo.yaml';
const seedCount = Number(process.env.SEEDS ?? 50);
const controlSeedCount = Number(process.env.CONTROL_SEEDS ?? seedCount);
const only = process.env.ENTRY;
const entries = (parse(readFileSync(file, 'utf8')) as { entries: ZooEntry[] }).entries.filter((e) => only === undefined || e.name === only);

/** entryOptions: the entry's options as a run of it takes them; a refused one names the zoo file and entry. */
function entryOptions(entry: ZooEntry): TestOptions {
  const flags = Object.fromEntries(Object.entries(entry.options).map(([k, v]) => [camelName(k), v]));
  try {
    return resolveOptions({ ...flags, cluster: 'sim', seed: 1, timeLimit: 30 });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench:detect: ${file}: entry ${entry.name}: ${error.message}`);
    process.exit(EXIT_BAD_INPUT);
  }
}
// Every entry is checked before the first sweep, so a refused one does not end the bench minutes in.
const resolved = entries.map((entry) => ({ entry, opts: entryOptions(entry) }));

/**
 * failingNote: the sweep's first failing seeds and what the first saw, so each replays with the
 * sweep's command and --seed N: for a control every failing seed is a finding, for a weakness
 * only the unknown ones (its invalid seeds are the catches).
 */
function failingNote(entry: ZooEntry, summary: SweepSummary): string {
  const shown = entry.expect === 'valid' ? summary.failing : summary.failing.filter((f) => f.valid === 'unknown');
  const unknownNote = entry.expect === 'invalid' && summary.counts.unknown > 0 ? `${summary.counts.unknown} unknown` : '';
  if (shown.length === 0) return unknownNote === '' ? '' : `  (${unknownNote})`;
  const seeds = shown.slice(0, 5).map((f) => `${f.seed} ${f.valid === false ? 'invalid' : 'unknown'}`).join(', ');
  const replay = summary.command.replace(/ --seed \d+( |$)/, ' --seed N$1');
  return `  (${unknownNote === '' ? '' : `${unknownNote}; `}seeds ${seeds}: ${shown[0].why.slice(0, 120)})\n    replay: ${replay}`;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

console.log(`bug zoo (${file}) on --cluster sim, ${seedCount} seeds per weakness, ${controlSeedCount} per control, 30 s virtual runs, one worker per core`);
console.log('  detect virt s: median over caught seeds of the virtual time of the first detection, i.e. of the last op of the shortest');
console.log('                 history prefix the checker already rejects (ops still open then count as pending), or of the sim safety');
console.log('                 oracle\'s first violation when that is earlier; run virt s: of the whole run');
console.log('  run wall ms:   median wall time of one catching run (simulation and check); sweep wall s: from the sweep\'s start until its first caught seed');
console.log('entry                        expect   caught/seeds     %  detect virt s  run virt s  run wall ms  sweep wall s  false alarms');
for (const { entry, opts } of resolved) {
  const runs = entry.expect === 'valid' ? controlSeedCount : seedCount;
  const startMs = performance.now();
  let firstCatchMs: number | null = null;
  const onOutcome = (o: SeedOutcome): void => {
    if (o.valid === false && firstCatchMs === null) firstCatchMs = performance.now() - startMs;
  };
  const { summary, outcomes } = await runSweep({ opts, seeds: shardSeeds(1, runs), seedFirst: 1, runs, firstDetection: true, onOutcome });
  const caught = outcomes.filter((o) => o.valid === false);
  const pct = ((100 * caught.length) / runs).toFixed(1);
  const falseAlarms = entry.expect === 'valid' ? String(summary.counts.invalid + summary.counts.unknown) : '-';
  const seconds = (xs: number[]): string => (xs.length === 0 ? '-' : (median(xs) / 1000).toFixed(1));
  const detect = seconds(caught.flatMap((o) => (o.firstDetection === undefined ? [] : [o.firstDetection.atMs])));
  const virt = seconds(caught.map((o) => o.virtualMs));
  const wall = caught.length === 0 ? '-' : median(caught.map((o) => o.wallMs)).toFixed(0);
  const sweepWall = firstCatchMs === null ? '-' : (firstCatchMs / 1000).toFixed(1);
  const cells = [`${caught.length}/${runs}`.padStart(12), pct.padStart(5), detect.padStart(14), virt.padStart(11), wall.padStart(12), sweepWall.padStart(13), falseAlarms.padStart(13)];
  console.log(`${entry.name.padEnd(28)} ${entry.expect.padEnd(8)} ${cells.join(' ')}${failingNote(entry, summary)}`);
}
