// test/browser-report.test.ts — a failing run's report and the serve index in Debian's chromium.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, type Chromium } from '../reports/browser.ts';
import { crowdedHistory, EVIL_VALUES, writeFixtureRun } from './support/report-fixture.ts';
import { renderReport } from '../reports/render.ts';
import { startServer } from '../reports/serve.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = path.join(repoRoot, 'test-artifacts');
const available = chromiumAvailable();
// In CI a missing browser is a failure (the tests run and cannot launch it); locally they skip.
const runBrowser = available || process.env.CI !== undefined;
if (!runBrowser) console.warn('browser tests skipped: /usr/bin/chromium is absent (apt-get install -y chromium)');

interface PageReport {
  charts: { faultBands: number; bbox: { left: number; top: number }; valToPos(v: number, scale: string, canvas?: boolean): number; ctx: { getImageData(x: number, y: number, w: number, h: number): { data: number[] } } }[];
  timeline: { positionOf(index: number): { x: number; y: number } | null } | null;
}

/** watch collects console errors and uncaught exceptions of a page. */
function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

async function waitDrawn(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as unknown as { __report?: PageReport }).__report?.timeline != null, null, { timeout: 10_000 });
}

describe.skipIf(!runBrowser)('report pages in chromium', () => {
  const temp = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-browser-test-'));
  const store = path.join(temp, 'store');
  const runDir = path.join(store, 'register-fixture', '20261122T000000.000Z');
  let browser: Chromium;
  let historyIndexOf: (predicate: (op: { f: string; key?: unknown; value?: unknown; type: string }) => boolean) => number;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    const history = await writeFixtureRun(runDir);
    historyIndexOf = (predicate) => {
      const op = history.find((o) => o.type === 'invoke' && predicate(o));
      if (op === undefined) throw new Error('fixture op not found');
      return op.index;
    };
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(temp, { recursive: true, force: true });
  });

  it('shows the counterexample, nemesis shading and hostile values as text, with no console errors', async () => {
    const file = await renderReport(runDir);
    const page = await browser.context.newPage();
    const errors = watch(page);
    await page.goto(`file://${file}`);
    await waitDrawn(page);

    expect(await page.locator('#summary .verdict-big').innerText()).toBe('INVALID');
    const cx = page.locator('.counterexample').first();
    expect(await cx.isVisible()).toBe(true);
    expect(await cx.innerText()).toMatch(/cannot be linearized/);
    expect(await cx.innerText()).toMatch(/register = 3/);
    expect(await cx.locator('.cx-op.failing').count()).toBe(1);
    expect(await cx.locator('.cx-op.failing').isVisible()).toBe(true);
    expect(await cx.locator('.lin-point').count()).toBeGreaterThanOrEqual(3);

    // Nemesis shading: the legend names the faults, and the partition strip is painted on the latency chart.
    expect(await page.locator('#charts .fault-legend').first().innerText()).toContain('network partition');
    const strip = await page.evaluate(() => {
      const report = (globalThis as unknown as { __report: PageReport }).__report;
      const u = report.charts[0];
      const rgbAt = (s: number): number[] => {
        const pixel = u.ctx.getImageData(Math.round(u.valToPos(s, 'x', true)), Math.round(u.bbox.top + 2), 1, 1).data;
        return [pixel[0], pixel[1], pixel[2], pixel[3]];
      };
      // 25 ms is inside the partition (10..41 ms); 43 ms is between faults.
      return { bands: u.faultBands, inside: rgbAt(0.025), outside: rgbAt(0.043) };
    });
    expect(strip.bands).toBe(3);
    // The partition colour #d9822b (orange): red well above blue; outside any fault nothing is painted there.
    const [r, g, b, alpha] = strip.inside;
    expect(alpha).toBeGreaterThan(200);
    expect(r - b, `partition strip pixel ${strip.inside.join(',')}`).toBeGreaterThan(90);
    expect(r).toBeGreaterThan(g);
    expect(strip.outside[3], `gap pixel ${strip.outside.join(',')}`).toBeLessThan(20);

    // Hovering the timeline shows the full op; hostile values appear literally, never as markup.
    const evilIndex = historyIndexOf((o) => o.f === 'write' && o.value === EVIL_VALUES[0]);
    const at = await page.evaluate((i) => (globalThis as unknown as { __report: PageReport }).__report.timeline!.positionOf(i), evilIndex);
    expect(at).not.toBeNull();
    await page.locator('#timeline').scrollIntoViewIfNeeded();
    const moved = await page.evaluate((i) => (globalThis as unknown as { __report: PageReport }).__report.timeline!.positionOf(i), evilIndex);
    await page.mouse.move(moved!.x, moved!.y);
    const tip = page.locator('.tooltip');
    await tip.waitFor({ state: 'visible', timeout: 5000 });
    expect(await tip.innerText()).toContain(EVIL_VALUES[0]);
    expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);

    await page.screenshot({ path: path.join(artifacts, 'report-failing-run.png'), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
  }, 20_000);

  it('lays out counterexample labels of ops close in time without overlap, and says faults in words', async () => {
    const dir = path.join(temp, 'crowded');
    await writeFixtureRun(dir, crowdedHistory());
    const file = await renderReport(dir);
    const page = await browser.context.newPage();
    const errors = watch(page);
    await page.goto(`file://${file}`);
    await waitDrawn(page);
    const cx = page.locator('.counterexample').first();
    await cx.scrollIntoViewIfNeeded();
    const boxes = await cx.locator('svg .cx-label').evaluateAll((nodes) => nodes.map((n) => {
      const r = n.getBoundingClientRect();
      return { text: n.textContent ?? '', x1: r.left, x2: r.right, y1: r.top, y2: r.bottom };
    }));
    // The layout has work to do: several op labels and linearization numbers.
    expect(await cx.locator('.cx-op').count()).toBeGreaterThan(8);
    expect(boxes.length).toBeGreaterThan(8);
    const overlaps: string[] = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        if (a.x1 < b.x2 - 0.5 && b.x1 < a.x2 - 0.5 && a.y1 < b.y2 - 0.5 && b.y1 < a.y2 - 0.5) overlaps.push(`${a.text} / ${b.text}`);
      }
    }
    expect(overlaps).toEqual([]);
    // Every op either carries its text or is listed in the numbered key.
    const keyed = await cx.locator('.cx-key-list li').count();
    const inline = boxes.filter((b) => !b.text.startsWith('#') && !/^\d+$/.test(b.text)).length;
    expect(inline + keyed).toBe(await cx.locator('.cx-op').count());

    // The fault table says the partition in words, the JSON behind a disclosure.
    const faults = page.locator('#faults table');
    expect(await faults.innerText()).toContain('partition: n1 | n2 n3 (majority)');
    const json = faults.locator('details code').first();
    expect(await json.isVisible()).toBe(false);
    await faults.locator('details summary').first().click();
    expect(await json.innerText()).toContain('"grudge"');
    await page.screenshot({ path: path.join(artifacts, 'report-crowded-counterexample.png'), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
  }, 30_000);

  it('serves an index of the store that links to the report, with no console errors', async () => {
    const server = await startServer({ store });
    try {
      const page = await browser.context.newPage();
      const errors = watch(page);
      await page.goto(server.url);
      const row = page.locator('tr', { hasText: 'register-fixture' });
      await row.waitFor({ state: 'visible', timeout: 5000 });
      expect(await row.locator('.badge').innerText()).toBe('INVALID');
      await page.screenshot({ path: path.join(artifacts, 'serve-index.png'), fullPage: true });
      await row.locator('a', { hasText: 'report' }).first().click();
      await waitDrawn(page);
      expect(await page.locator('.counterexample').first().isVisible()).toBe(true);
      await page.close();
      // The report is served under a CSP that forbids the network: a violation would be a console error.
      expect(errors).toEqual([]);
    } finally {
      await server.close();
    }
  }, 20_000);
});
