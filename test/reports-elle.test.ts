// test/reports-elle.test.ts — the report's Elle section: data shaped from results.json, escaping, and the cycle drawn in chromium.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { Op } from '../history/op.ts';
import { chromiumAvailable, launchChromium } from '../reports/browser.ts';
import { ANOMALIES_SHOWN_MAX, elleView, isElleResult } from '../reports/elle-view.ts';
import { EVIL_VALUES } from './support/report-fixture.ts';
import { buildReportData, type ReportData } from '../reports/report-data.ts';
import { renderReport } from '../reports/render.ts';
import { HistoryBuilder } from './support/history-builder.ts';
import { listAppendWorkload } from '../workloads/list-append.ts';

const temp = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-elle-report-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** EVIL_KEY / EVIL_VALUE: a key and an appended value a hostile store could hand back. */
const EVIL_KEY = EVIL_VALUES[0];
const EVIL_VALUE = EVIL_VALUES[1];

/** writeSkewHistory: two txns read keys EVIL_KEY and 1 empty and each appends to one: G2-item. */
function writeSkewHistory(): Op[] {
  return new HistoryBuilder()
    .invoke(0, 'txn', [['r', EVIL_KEY, null], ['r', 1, null], ['append', EVIL_KEY, EVIL_VALUE]], 0)
    .invoke(1, 'txn', [['r', EVIL_KEY, null], ['r', 1, null], ['append', 1, 2]], 0)
    .complete(0, 'ok', 1, [['r', EVIL_KEY, []], ['r', 1, []], ['append', EVIL_KEY, EVIL_VALUE]])
    .complete(1, 'ok', 1, [['r', EVIL_KEY, []], ['r', 1, []], ['append', 1, 2]])
    .op(2, 'txn', [['r', EVIL_KEY, null], ['r', 1, null]], 2, 'ok', 3, [['r', EVIL_KEY, [EVIL_VALUE]], ['r', 1, [2]]])
    .ops;
}

/** writeElleRun stores a checked list-append run the way the runner does (results.checker.elle). */
async function writeElleRun(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const history = writeSkewHistory();
  const checker = await listAppendWorkload.check(history, { consistencyModel: 'serializable' });
  writeFileSync(path.join(dir, 'history.jsonl'), history.map((op) => JSON.stringify(op)).join('\n') + '\n');
  writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ valid: checker.valid, anomalies: checker.anomalies, checker }));
  writeFileSync(path.join(dir, 'test.json'), JSON.stringify({ name: 'raft-list-append-none', seed: 1, options: { workload: 'list-append', consistencyModel: 'serializable' } }));
}

function embeddedData(html: string): ReportData {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (match === null) throw new Error('no data block');
  return JSON.parse(match[1]) as ReportData;
}

describe('Elle section data', () => {
  it('takes the Elle result out of "other results", with verdict, models, anomalies and the cycle', async () => {
    const dir = path.join(temp, 'store', 'elle', 'run1');
    await writeElleRun(dir);
    const html = readFileSync(await renderReport(dir), 'utf8');
    expect(html).not.toContain('<script>window.__pwned');
    expect(html).not.toContain('<img src=x');
    const data = embeddedData(html);
    expect(data.verdict).toBe(false);
    expect(data.others.map((o) => o.path)).not.toContain('checker.elle');
    expect(data.elle).toHaveLength(1);
    const { path: where, view } = data.elle[0];
    expect(where).toBe('checker.elle');
    expect(view).toMatchObject({ valid: false, workload: 'list-append', consistencyModel: 'serializable', notModels: ['repeatable-read'], forbiddenTypes: ['G2-item'] });
    expect(data.header.verdicts.find((v) => v.path === 'checker.elle')?.summary).toMatch(/found G2-item; not repeatable-read/);
    const g2 = view.anomalies.find((a) => a.type === 'G2-item');
    expect(g2?.txns.map((t) => t.id).sort()).toEqual([0, 1]);
    expect(g2?.edges.map((e) => e.edge)).toEqual(['rw', 'rw']);
    expect(g2?.edges.map((e) => e.key).sort()).toEqual(['1', EVIL_KEY].sort());
    expect(g2?.explanation).toMatch(/However, T\d < T\d < T\d: a cycle with two or more anti-dependency \(rw\) edges/);
    // The hostile value travels as data, to be set as text.
    expect(g2?.txns.some((t) => t.mops.includes(EVIL_VALUE))).toBe(true);
  });

  it('rejects malformed results and bounds what it keeps', () => {
    expect(isElleResult({ workload: 'list-append', consistencyModel: 'x', anomalyTypes: [], notModels: [], anomalies: [{ type: 1 }] })).toBe(false);
    expect(isElleResult({ valid: true, anomalies: [] })).toBe(false);
    const anomaly = { type: 'G0', explanation: 'x'.repeat(100_000), txns: [], cycle: [] };
    const result = { workload: 'rw-register', consistencyModel: 'serializable', anomalyTypes: ['G0'], notModels: ['read-uncommitted'], anomalies: new Array(100).fill(anomaly), anomalyCounts: { G0: 100 } };
    expect(isElleResult(result)).toBe(true);
    const view = elleView(result, false);
    expect(view.anomalies).toHaveLength(ANOMALIES_SHOWN_MAX);
    expect(view.anomaliesOmitted).toBe(100 - ANOMALIES_SHOWN_MAX);
    expect(view.anomalies[0].explanation.length).toBeLessThan(20_000);
    expect(view.counts).toEqual([{ type: 'G0', count: 100 }]);
  });

  it('a register run has no Elle section', () => {
    const data = buildReportData({ name: 'r', results: { valid: true, anomalies: [] }, history: [], warnings: [] });
    expect(data.elle).toEqual([]);
  });
});

const runBrowser = chromiumAvailable() || process.env.CI !== undefined;

describe.skipIf(!runBrowser)('Elle section in chromium', () => {
  it('draws the cycle with labelled edges and shows hostile keys and values as text', async () => {
    const dir = path.join(temp, 'store', 'elle', 'run2');
    await writeElleRun(dir);
    const file = await renderReport(dir);
    const browser = await launchChromium();
    try {
      const page: Page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`file://${file}`);
      await page.waitForFunction(() => (globalThis as unknown as { __report?: { elle?: unknown } }).__report?.elle !== undefined, null, { timeout: 10_000 });
      const section = page.locator('#elle');
      expect(await section.locator('.badge').first().innerText()).toBe('INVALID');
      const text = await section.innerText();
      expect(text).toContain('Not: repeatable-read');
      expect(text).toContain('G2-item ×1 (forbidden)');
      const box = section.locator('.elle-anomaly').first();
      expect(await box.locator('.elle-txn').count()).toBe(2);
      expect(await box.locator('.elle-edge').count()).toBe(2);
      const labels = await box.locator('.elle-edge-label').allTextContents();
      expect(labels.sort()).toEqual(['rw key 1 = 2', `rw key ${EVIL_KEY}`.slice(0, 31) + '…']);
      expect(await box.locator('.elle-explanation').innerText()).toContain(JSON.stringify(EVIL_VALUE));
      expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.locator('img').count()).toBe(0);
      await box.screenshot({ path: path.join(process.env.ELLE_SHOT_DIR ?? temp, 'elle-cycle.png') });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 20_000);
});
