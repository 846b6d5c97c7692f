// reports/render.ts — write a run's report.html: one self-contained file (data, CSS, JS, uPlot inlined).
import { constants, existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { HistoryParseError } from '../history/errors.ts';
import { readLocatedHistory } from '../history/located.ts';
import type { Op } from '../history/op.ts';
import { isReallyInside } from './confine.ts';
import { escapeHtml, inlineScript, inlineStyle, scriptJson } from './escape.ts';
import { buildReportData, type ReportData, type RunInput } from './report-data.ts';
import { SHRINK_FILE } from './shrink-view.ts';

/** REPORT_FILE: the report's name inside a run directory. */
export const REPORT_FILE = 'report.html';

interface Assets {
  uplotJs: string;
  uplotCss: string;
  pageJs: string;
  pageCss: string;
}

/** CLIENT_SCRIPTS: the page's scripts in load order (core.js first: the others use what it defines). */
const CLIENT_SCRIPTS = ['core.js', 'charts.js', 'roles.js', 'timeline.js', 'counterexample.js', 'elle.js', 'shrink.js', 'page.js'];

let assetsCache: Assets | undefined;

/** loadAssets reads uPlot from node_modules and the page's own script and style (once). */
async function loadAssets(): Promise<Assets> {
  if (assetsCache !== undefined) return assetsCache;
  const require = createRequire(import.meta.url);
  const uplotDir = path.dirname(require.resolve('uplot/package.json'));
  const here = path.dirname(new URL(import.meta.url).pathname);
  const [uplotJs, uplotCss, pageCss, ...pageScripts] = await Promise.all([
    readFile(path.join(uplotDir, 'dist', 'uPlot.iife.min.js'), 'utf8'),
    readFile(path.join(uplotDir, 'dist', 'uPlot.min.css'), 'utf8'),
    readFile(path.join(here, 'client', 'report.css'), 'utf8'),
    ...CLIENT_SCRIPTS.map((name) => readFile(path.join(here, 'client', name), 'utf8')),
  ]);
  assetsCache = { uplotJs, uplotCss, pageJs: pageScripts.join('\n'), pageCss };
  return assetsCache;
}

/** buildReportHtml renders the page for `data`. Every untrusted value travels inside the JSON block. */
export async function buildReportHtml(data: ReportData): Promise<string> {
  const assets = await loadAssets();
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`splitbrain: ${data.title}`)}</title>`,
    `<style>${inlineStyle(assets.uplotCss)}</style>`,
    `<style>${inlineStyle(assets.pageCss)}</style>`,
    '</head><body>',
    '<noscript><p>This report draws itself with JavaScript; results.json and history.jsonl sit next to it.</p></noscript>',
    '<main id="report"></main>',
    `<script type="application/json" id="report-data">${scriptJson(data)}</script>`,
    `<script>${inlineScript(assets.uplotJs)}</script>`,
    `<script>${inlineScript(assets.pageJs)}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** LoadRunOptions: `confineTo` (a real path) refuses run files whose real path lies outside it. */
export interface LoadRunOptions {
  confineTo?: string;
}

// readable says whether a run file may be read: it exists and, when confined, really lies inside.
async function readable(file: string, opts: LoadRunOptions, warnings: string[]): Promise<boolean> {
  if (!existsSync(file)) {
    warnings.push(`${path.basename(file)} is missing`);
    return false;
  }
  if (opts.confineTo !== undefined && !(await isReallyInside(opts.confineTo, file))) {
    warnings.push(`${path.basename(file)} links outside the store: not read`);
    return false;
  }
  return true;
}

/** readJsonFile parses a JSON file; a missing or broken file becomes undefined plus a warning. */
async function readJsonFile(file: string, opts: LoadRunOptions, warnings: string[]): Promise<unknown> {
  if (!(await readable(file, opts, warnings))) return undefined;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (error) {
    warnings.push(`${path.basename(file)}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

/** ROLES_FILE: each node's view of who leads over time (written by the runner; older runs have none). */
export const ROLES_FILE = 'roles.jsonl';
const ROLES_BYTES_MAX = 64 * 1024 * 1024;

/** readRoles reads roles.jsonl's text; absent is not a problem (older runs, check of a bare history). */
async function readRoles(file: string, opts: LoadRunOptions, warnings: string[]): Promise<string | undefined> {
  if (!existsSync(file)) return undefined;
  if (!(await readable(file, opts, warnings))) return undefined;
  const text = await readFile(file, 'utf8');
  if (text.length > ROLES_BYTES_MAX) {
    warnings.push(`${ROLES_FILE}: larger than ${ROLES_BYTES_MAX} bytes; the roles lane is not drawn`);
    return undefined;
  }
  return text;
}

/**
 * loadRun reads a run directory's test.json, results.json, roles.jsonl and history (whatever is there). A
 * malformed history is kept as `historyError` and a warning; the report shows the rest.
 */
export async function loadRun(runDir: string, opts: LoadRunOptions = {}): Promise<RunInput> {
  const warnings: string[] = [];
  const historyPath = path.join(runDir, 'history.jsonl');
  let history: Op[] = [];
  let historyError: Error | undefined;
  if (await readable(historyPath, opts, warnings)) {
    try {
      history = (await readLocatedHistory(historyPath, { format: 'jsonl' })).ops;
    } catch (error) {
      if (!(error instanceof HistoryParseError)) throw error;
      historyError = error;
      warnings.push(`history.jsonl: ${error.message}`);
    }
  }
  const [test, results, roles] = await Promise.all([
    readJsonFile(path.join(runDir, 'test.json'), opts, warnings),
    readJsonFile(path.join(runDir, 'results.json'), opts, warnings),
    readRoles(path.join(runDir, ROLES_FILE), opts, warnings),
  ]);
  const name = path.basename(path.dirname(path.resolve(runDir)));
  const shrinkPath = path.join(runDir, SHRINK_FILE);
  // Absent is normal: only `sim --shrink` writes it.
  const shrink = existsSync(shrinkPath) ? await readJsonFile(shrinkPath, opts, warnings) : undefined;
  return { name, test, results, history, warnings, historyError, roles, ...(shrink === undefined ? {} : { shrink: { record: shrink, dir: runDir } }) };
}

/**
 * renderReport writes report.html into `runDir` from the files stored there and returns the
 * report's path. Throws when `runDir` is not a directory. With `confineTo`, files whose real
 * path leaves that directory are not read (serve passes the store).
 */
export async function renderReport(runDir: string, opts: LoadRunOptions = {}): Promise<string> {
  if (!existsSync(runDir)) throw new Error(`report: ${runDir}: no such directory`);
  return writeReport(runDir, await loadRun(runDir, opts));
}

/** writeReport writes report.html for a run already loaded from `runDir`; returns its path. */
export async function writeReport(runDir: string, run: RunInput): Promise<string> {
  const html = await buildReportHtml(buildReportData(run));
  const file = path.join(runDir, REPORT_FILE);
  try {
    // O_NOFOLLOW: a report.html that is a symlink is refused (ELOOP), never written through.
    await writeFile(file, html, { flag: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW });
  } catch (error) {
    // A full disk would leave a torn page; none is better (serve renders it again on demand).
    if ((error as NodeJS.ErrnoException).code !== 'ELOOP') await rm(file, { force: true });
    throw error;
  }
  return file;
}
