// bench/report.ts — report generation time, file size and browser render time for a 100k-op history (npm run bench:report).
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readHistory } from '../history/read.ts';
import type { Op } from '../history/op.ts';
import type { LinearizabilityResult, OperationView } from '../checker/linearizable/result.ts';
import { generateHistory } from '../scripts/gen-history.ts';
import { chromiumAvailable, launchChromium } from '../reports/browser.ts';
import { renderReport } from '../reports/render.ts';

const OPS = Number(process.env.BENCH_OPS ?? 100_000);
const GOAL_MS = 5000;
const GOAL_BYTES = 20 * 2 ** 20;
const FAULT_EVERY_S = 3;

/** withNemesis interleaves partition and kill intervals into a generated history and renumbers it. */
function withNemesis(history: Op[]): Op[] {
  const endNs = history[history.length - 1].time ?? 0;
  const nemesis: Omit<Op, 'index'>[] = [];
  const kinds = [['start-partition', 'stop-partition'], ['kill', 'start'], ['pause', 'resume'], ['bump-clock', 'reset-clock']];
  for (let k = 0, t = 1e9; t + 2e9 < endNs; k += 1, t += FAULT_EVERY_S * 1e9) {
    const [open, close] = kinds[k % kinds.length];
    nemesis.push({ time: t, type: 'invoke', process: 'nemesis', f: open, value: { nodes: ['n1'] } });
    nemesis.push({ time: t + 1e6, type: 'info', process: 'nemesis', f: open, value: { nodes: ['n1'] } });
    nemesis.push({ time: t + 15e8, type: 'invoke', process: 'nemesis', f: close });
    nemesis.push({ time: t + 15e8 + 1e6, type: 'info', process: 'nemesis', f: close });
  }
  const merged = [...history, ...nemesis].sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  return merged.map((op, index) => ({ ...op, index }));
}

/** fakeResults: a failing linearizability result with a 5000-step prefix (the report's worst realistic case). */
function fakeResults(history: Op[]): unknown {
  const views: OperationView[] = [];
  const invokes = history.filter((op) => op.type === 'invoke' && op.key === 0).slice(0, 5001);
  invokes.forEach((op, id) => views.push({
    id, process: op.process, f: op.f, key: op.key, input: op.value, output: op.value, outcome: 'ok',
    invokeIndex: op.index, returnIndex: op.index + 1, invokeTime: op.time, returnTime: (op.time ?? 0) + 1e5, text: `${op.f} ${JSON.stringify(op.value)}`,
  }));
  const failing = views[views.length - 1];
  const linearizable: LinearizabilityResult = {
    kind: 'linearizable', valid: false, model: 'multi-register', partitions: 8, partitionsChecked: 8, opCount: OPS, elapsedMs: 1234,
    failures: [{
      key: 0, partitionOpCount: views.length, prefix: views.slice(0, -1).map((v) => ({ id: v.id, stateAfter: `register = ${String(v.id % 5)}` })),
      failingOpIds: [failing.id], candidateIds: [], statesBefore: ['register = 1', 'register = 2'], windowIds: [], ops: views, lines: ['fake failure for the bench'],
    }],
  };
  const lost = Array.from({ length: 2000 }, (_, i) => ({ element: i, opIndexes: [i * 10] }));
  return { valid: false, anomalies: ['nonlinearizable key 0'], checker: { valid: false, anomalies: [], linearizable }, set: { valid: false, lost } };
}

async function browserRenderMs(file: string): Promise<number | null> {
  if (!chromiumAvailable()) return null;
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const startMs = performance.now();
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    await page.waitForFunction(() => (globalThis as unknown as { __report?: { timeline: unknown } }).__report?.timeline != null, null, { timeout: 60_000 });
    return performance.now() - startMs;
  } finally {
    await browser.close();
  }
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-bench-report-'));
try {
  const historyPath = path.join(dir, 'history.jsonl');
  generateHistory(historyPath, { ops: OPS, keys: 8, concurrency: 10, infoRate: 0.02, seed: 1 });
  const history = withNemesis(await readHistory(historyPath, { format: 'jsonl' }));
  writeFileSync(historyPath, history.map((op) => JSON.stringify(op)).join('\n') + '\n');
  writeFileSync(path.join(dir, 'results.json'), JSON.stringify(fakeResults(history)));
  writeFileSync(path.join(dir, 'test.json'), JSON.stringify({ name: 'bench-report', seed: 1, command: 'npm run bench:report', options: { ops: OPS } }));
  const startMs = performance.now();
  const file = await renderReport(dir);
  const generationMs = performance.now() - startMs;
  const bytes = statSync(file).size;
  const renderMs = await browserRenderMs(file);
  const mb = (bytes / 2 ** 20).toFixed(2);
  process.stdout.write(`report for ${OPS} ops (${history.length} history entries): generated in ${Math.round(generationMs)} ms, ${mb} MiB` +
    (renderMs === null ? ', browser render not measured (no /usr/bin/chromium)' : `, drawn in chromium in ${Math.round(renderMs)} ms`) + '\n');
  const ok = generationMs < GOAL_MS && bytes < GOAL_BYTES && (renderMs === null || renderMs < GOAL_MS);
  process.stdout.write(`goal (under ${GOAL_MS} ms and ${GOAL_BYTES / 2 ** 20} MiB): ${ok ? 'met' : 'MISSED'}\n`);
  process.exitCode = ok ? 0 : 1;
  // BENCH_REPORT_OUT keeps a copy of the report to look at.
  if (process.env.BENCH_REPORT_OUT !== undefined) copyFileSync(file, process.env.BENCH_REPORT_OUT);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
