// reports/store-index.ts — list the runs in a store and render the index page `serve` shows.
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Verdict } from '../checker/types.ts';
import { toVerdict } from './checker-results.ts';
import { escapeHtml } from './escape.ts';

/** RunSummary: one run directory of the store, as the index lists it. */
export interface RunSummary {
  test: string;
  run: string;
  valid: Verdict | null;
  startedAt?: string;
  seed?: string;
  anomalies: string[];
  hasReport: boolean;
  files: string[];
}

const RUNS_MAX = 5000;

async function realDirs(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    // `latest` links point at runs already listed; skipping symlinks also keeps the walk inside the store.
    if (entry.isDirectory() && !entry.isSymbolicLink()) names.push(entry.name);
  }
  return names.sort();
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** listRuns finds store/<test>/<run>/ directories (newest first), reading their verdicts. */
export async function listRuns(store: string): Promise<RunSummary[]> {
  if (!existsSync(store)) return [];
  const runs: RunSummary[] = [];
  for (const test of await realDirs(store)) {
    for (const run of await realDirs(path.join(store, test))) {
      if (runs.length >= RUNS_MAX) break;
      const dir = path.join(store, test, run);
      const files = (await readdir(dir)).sort();
      if (!files.includes('history.jsonl') && !files.includes('test.json') && !files.includes('results.json')) continue;
      const results = await readJson(path.join(dir, 'results.json'));
      const testJson = await readJson(path.join(dir, 'test.json'));
      const summary: RunSummary = {
        test, run, valid: toVerdict(results?.valid) ?? null, anomalies: [], hasReport: files.includes('report.html'), files,
      };
      if (Array.isArray(results?.anomalies)) summary.anomalies = results.anomalies.slice(0, 3).map(String);
      if (typeof testJson?.startedAt === 'string') summary.startedAt = testJson.startedAt;
      if (testJson?.seed !== undefined) summary.seed = String(testJson.seed);
      runs.push(summary);
    }
  }
  return runs.sort((a, b) => (b.startedAt ?? b.run).localeCompare(a.startedAt ?? a.run));
}

/** runUrl is the served path of a file in a run (each segment URL-encoded). */
export function runUrl(run: Pick<RunSummary, 'test' | 'run'>, file = ''): string {
  return `/runs/${encodeURIComponent(run.test)}/${encodeURIComponent(run.run)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

const VERDICT_TEXT = (v: Verdict | null): string => (v === true ? 'valid' : v === false ? 'INVALID' : v === 'unknown' ? 'unknown' : 'no result');
const VERDICT_CLASS = (v: Verdict | null): string => (v === true ? 'v-true' : v === false ? 'v-false' : v === 'unknown' ? 'v-unknown' : 'v-none');

const INDEX_CSS = `
body { margin: 0; background: #f5f7fa; color: #1c2733; font: 14px/1.45 system-ui, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 18px 20px; }
h1 { font-size: 20px; } table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #dde3ea; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #dde3ea; vertical-align: top; }
th { font-size: 12px; color: #5c7080; text-transform: uppercase; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; color: #fff; font-weight: 600; font-size: 12px; }
.v-true { background: #2e9e5b; } .v-false { background: #d64545; } .v-unknown { background: #e0a526; } .v-none { background: #9aa5b1; }
tr.v-false-row td:first-child { border-left: 4px solid #d64545; } tr.v-true-row td:first-child { border-left: 4px solid #2e9e5b; }
tr.v-unknown-row td:first-child { border-left: 4px solid #e0a526; }
a { color: #106ba3; } .files a { margin-right: 8px; font-size: 12.5px; } .muted { color: #5c7080; font-size: 12.5px; }
.anomaly { color: #a82a2a; font-size: 12.5px; overflow-wrap: anywhere; }`;

/** renderIndexHtml renders the store index; every name and value is HTML-escaped. */
export function renderIndexHtml(store: string, runs: readonly RunSummary[]): string {
  const rows = runs.map((r) => {
    const report = `<a href="${escapeHtml(runUrl(r, 'report.html'))}">${r.hasReport ? 'report' : 'render report'}</a>`;
    const files = r.files.filter((f) => f !== 'report.html').map((f) => `<a href="${escapeHtml(runUrl(r, f))}">${escapeHtml(f)}</a>`).join('');
    const anomalies = r.anomalies.map((a) => `<div class="anomaly">${escapeHtml(a.length > 200 ? `${a.slice(0, 200)}…` : a)}</div>`).join('');
    return `<tr class="${VERDICT_CLASS(r.valid)}-row"><td>${escapeHtml(r.test)}</td><td>${escapeHtml(r.run)}<div class="muted">${escapeHtml(r.startedAt ?? '')}${r.seed === undefined ? '' : ` · seed ${escapeHtml(r.seed)}`}</div></td>` +
      `<td><span class="badge ${VERDICT_CLASS(r.valid)}">${VERDICT_TEXT(r.valid)}</span>${anomalies}</td><td>${report}</td><td class="files">${files}</td></tr>`;
  });
  const body = runs.length === 0 ? `<p>No runs in ${escapeHtml(store)} yet.</p>` :
    `<table><tr><th>test</th><th>run</th><th>verdict</th><th>report</th><th>files</th></tr>${rows.join('\n')}</table>`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>splitbrain store</title><style>${INDEX_CSS}</style></head>` +
    `<body><main><h1>splitbrain runs</h1><p class="muted">${runs.length} runs in ${escapeHtml(path.resolve(store))}</p>${body}</main></body></html>\n`;
}

/** isRunDir: whether a directory looks like a stored run (used before rendering on demand). */
export async function isRunDir(dir: string): Promise<boolean> {
  try {
    return (await lstat(dir)).isDirectory() && existsSync(path.join(dir, 'history.jsonl'));
  } catch {
    return false;
  }
}
