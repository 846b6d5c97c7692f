// bench/elle.ts — `npm run bench:elle`: list-append txns checked per second and peak RSS, 10k / 100k / 1M txns.
//
// Two families: `valid` from the simulated serializable store (the checker must prove it), and
// `invalid` from the store without first-committer-wins (lost appends: incompatible orders,
// lost updates and one giant component full of cycles, so the cycle search runs).
// Each size runs in its own child process so its peak RSS is its own. The history is generated
// once into the temp dir (scripts/gen-elle-history.ts), then parsed; parsing is excluded from
// the check time, and a full GC runs before each check so the parse's garbage is not billed to
// the checker; a check of a 10k-txn prefix warms the JIT first. Both wall and CPU time are shown: CPU time (process user + system, which
// includes V8's GC threads) is steadier on a shared machine. Elle (Clojure, JVM) reports
// 100 000–160 000 txns/s on list-append.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkElle } from '../checker/elle/index.ts';
import { readHistory } from '../history/read.ts';
import { ELLE_GEN_DEFAULTS, generateElleHistory } from '../scripts/gen-elle-history.ts';

const SIZES = [10_000, 100_000, 1_000_000];
const FAMILIES = { valid: 'serializable', invalid: 'no-conflict-check' } as const;
type Family = keyof typeof FAMILIES;
const MODELS = ['serializable', 'strict-serializable'];
const ELLE_TXNS_PER_S = '100 000–160 000';

interface SizeResult {
  family: Family;
  txns: number;
  model: string;
  valid: string;
  parseMs: number;
  checkMs: number;
  cpuMs: number;
  edges: number;
  anomalies: number;
  maxRssMb: number;
}

function historyFile(family: Family, txns: number): string {
  const engine = FAMILIES[family];
  const file = path.join(os.tmpdir(), `splitbrain-bench-elle-${txns}-seed1${family === 'valid' ? '' : `-${engine}`}.jsonl`);
  if (!existsSync(file)) generateElleHistory(file, { ...ELLE_GEN_DEFAULTS, engine, txnCount: txns, seed: 1 });
  return file;
}

/** child parses one size and checks it once per model. */
async function child(family: Family, txns: number): Promise<SizeResult[]> {
  const parseStart = performance.now();
  const history = await readHistory(historyFile(family, txns));
  const parseMs = performance.now() - parseStart;
  // Warm the JIT on a prefix first, as a long-running checker (or Elle's warmed JVM) would be.
  checkElle(history.slice(0, 20_000), { workload: 'list-append', consistencyModel: 'strict-serializable' });
  const out: SizeResult[] = [];
  for (const model of MODELS) {
    (globalThis as { gc?: () => void }).gc?.();
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const r = checkElle(history, { workload: 'list-append', consistencyModel: model, timeoutMs: 120_000 });
    const checkMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (r.txnCount !== txns) throw new Error(`bench:elle: expected ${txns} txns, checked ${r.txnCount}`);
    if (family === 'valid' && r.valid !== true) throw new Error(`bench:elle: the serializable store's history is ${String(r.valid)} under ${model}`);
    if (family === 'invalid' && r.valid !== false) throw new Error(`bench:elle: the broken store's history is ${String(r.valid)} under ${model}`);
    const anomalies = Object.values(r.anomalyCounts).reduce((a, b) => a + (b ?? 0), 0);
    out.push({ family, txns, model, valid: String(r.valid), parseMs, checkMs, cpuMs, edges: r.edgeCount, anomalies, maxRssMb: process.resourceUsage().maxRSS / 1024 });
  }
  return out;
}

function parent(): void {
  console.log(`bench:elle — list-append, simulated store (valid: serializable; invalid: no first-committer-wins), concurrency ${ELLE_GEN_DEFAULTS.concurrency}, ` +
    `${ELLE_GEN_DEFAULTS.keyCount} active keys, ${ELLE_GEN_DEFAULTS.writesPerKeyMax} writes per key, 1–${ELLE_GEN_DEFAULTS.mopsMax} micro-ops per txn`);
  console.log(`Elle reports ${ELLE_TXNS_PER_S} txns/s. Check time excludes parsing; peak RSS includes the parsed history.`);
  console.log(`Load average now: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs (wall times suffer under load).`);
  console.log('');
  console.log([
    'family'.padEnd(7), 'txns'.padStart(9), 'model'.padEnd(20), 'valid'.padEnd(6), 'parse s'.padStart(8), 'check s'.padStart(8), 'txns/s'.padStart(9),
    'cpu s'.padStart(7), 'txns/cpu-s'.padStart(10), 'edges'.padStart(9), 'anomalies'.padStart(9), 'peak RSS'.padStart(9),
  ].join('  '));
  const sizes = sizesFlag();
  for (const family of Object.keys(FAMILIES) as Family[]) for (const txns of sizes) {
    const text = execFileSync(process.execPath, ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), '--family', family, '--size', String(txns)], {
      encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'],
    });
    for (const r of JSON.parse(text) as SizeResult[]) {
      const rate = Math.round(r.txns / (r.checkMs / 1000));
      const cpuRate = Math.round(r.txns / (r.cpuMs / 1000));
      console.log([
        r.family.padEnd(7), String(r.txns).padStart(9), r.model.padEnd(20), r.valid.padEnd(6), (r.parseMs / 1000).toFixed(2).padStart(8),
        (r.checkMs / 1000).toFixed(2).padStart(8), String(rate).padStart(9), (r.cpuMs / 1000).toFixed(2).padStart(7),
        String(cpuRate).padStart(10), String(r.edges).padStart(9), String(r.anomalies).padStart(9), `${r.maxRssMb.toFixed(0)} MiB`.padStart(9),
      ].join('  '));
    }
  }
}

/** sizesFlag: `--sizes 10000,100000` limits the run (default every size); exit 3 on anything but positive integers. */
function sizesFlag(): number[] {
  const at = process.argv.indexOf('--sizes');
  if (at < 0) return SIZES;
  const sizes = (process.argv[at + 1] ?? '').split(',').map(Number);
  if (sizes.some((n) => !Number.isSafeInteger(n) || n <= 0)) {
    process.stderr.write(`--sizes: expected comma-separated positive integers, got "${process.argv[at + 1] ?? ''}"\n`);
    process.exit(3);
  }
  return sizes;
}

const sizeFlag = process.argv.indexOf('--size');
if (sizeFlag >= 0) {
  const family = process.argv[process.argv.indexOf('--family') + 1] as Family;
  process.stdout.write(JSON.stringify(await child(family, Number(process.argv[sizeFlag + 1]))));
} else {
  parent();
}
