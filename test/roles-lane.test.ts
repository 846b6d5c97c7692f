// test/roles-lane.test.ts — a primary/backup split brain as the roles lane shows it: two nodes acting as primary at once, in roles.jsonl and the report.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../control/config.ts';
import { localParts } from '../control/runner/parts.ts';
import { runTest } from '../control/runner/run-test.ts';
import { chromiumAvailable, launchChromium } from '../reports/browser.ts';
import { rolesData } from '../reports/roles-data.ts';

const tempDir = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-roles-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));
const runBrowser = chromiumAvailable() || process.env.CI !== undefined;

/** SPLIT: cut n1 from n2 (clients beside each), heal later. */
const SPLIT = `- at: 1s
  do: partition
  grudge: { n1: [n2], n2: [n1] }
- at: 6s
  do: heal
`;

describe('roles lane', () => {
  it('a primary/backup split brain: roles.jsonl shows n1 and n2 acting as primary at once, and the report draws it', async () => {
    const schedule = path.join(tempDir, 'split.yaml');
    writeFileSync(schedule, SPLIT);
    const opts = resolveOptions({
      db: 'primary-backup', workload: 'register', nodes: '2', partitionClients: true, nemesisSchedule: schedule,
      timeLimit: '7', concurrency: '4', rate: '80', keyCount: '2', recoveryS: '1', seed: '3', checkTimeout: '20', store: path.join(tempDir, 'store'),
    });
    const outcome = await runTest(opts, localParts());
    expect(outcome.results.error).toBeUndefined();
    expect(outcome.valid).toBe(false);

    const roles = rolesData(readFileSync(outcome.run.rolesJsonl, 'utf8'), 10);
    expect(roles.lanes.map((l) => l.node)).toEqual(['n1', 'n2']);
    // Both acted as primary while the partition was in force (1 s .. 6 s). Clients beside n2 make
    // it coordinate writes from the start: in this design whoever receives a write acts as primary.
    const split = roles.overlaps.filter((o) => o.nodes.join() === 'n1,n2' && o.startS < 6 && o.endS > 1);
    expect(split.length).toBeGreaterThan(0);

    const html = readFileSync(path.join(outcome.run.dir, 'report.html'), 'utf8');
    const data = JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1].replace(/\\u003c/g, '<')) as {
      roles: { overlaps: { nodes: string[] }[] } | null;
      counterexamples: { views: { ops: { node?: string }[] }[] }[];
    };
    expect(data.roles?.overlaps.some((o) => o.nodes.join() === 'n1,n2')).toBe(true);
    // The counterexample names the node each op went to: both primaries answered.
    const nodes = new Set(data.counterexamples.flatMap((c) => c.views.flatMap((v) => v.ops.map((op) => op.node))));
    expect([...nodes].filter((n) => n !== undefined).length).toBeGreaterThan(0);

    if (!runBrowser) return;
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e: Error) => errors.push(e.message));
      await page.goto(`file://${path.join(outcome.run.dir, 'report.html')}`);
      await page.waitForSelector('#roles .role-seg');
      expect(await page.locator('#roles .role-lane-label').allTextContents()).toEqual(['n1', 'n2']);
      expect(await page.locator('#roles [data-node="n2"][data-role="primary"]').count()).toBeGreaterThan(0);
      expect(await page.locator('#roles .role-overlap').count()).toBeGreaterThan(0);
      expect((await page.locator('#roles .role-overlaps li').first().textContent()) ?? '').toMatch(/^n1, n2 each believed they led at once/);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
