// test/reports-render.test.ts — report.html for a failing run: self-contained, escaped, complete data.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { registerReportCommand } from '../control/commands/report.ts';
import { UsageError } from '../control/exit-codes.ts';
import { EVIL_VALUES, writeFixtureRun } from './support/report-fixture.ts';
import { drawnOps, timeAxisOf } from '../reports/history-data.ts';
import { buildReportData, type ReportData } from '../reports/report-data.ts';
import { loadRun, renderReport } from '../reports/render.ts';
import { timelineData } from '../reports/timeline-data.ts';

const temp = mkdtempSync(path.join(os.tmpdir(), 'splitbrain-report-test-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function embeddedData(html: string): ReportData {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (match === null) throw new Error('no data block');
  return JSON.parse(match[1]) as ReportData;
}

describe('renderReport', () => {
  it('writes one self-contained page whose data carries hostile values only as escaped JSON', async () => {
    const dir = path.join(temp, 'store', 'fixture', 'run1');
    await writeFixtureRun(dir);
    const file = await renderReport(dir);
    const html = readFileSync(file, 'utf8');
    // Exactly three script elements: the data and two of ours (uPlot, the page). No external resources.
    expect(html.match(/<script/gi)).toHaveLength(3);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).not.toContain('<script>window.__pwned');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain("'</script>'");
    const data = embeddedData(html);
    const values = data.timeline.ops.flatMap((op) => [op.v, op.r, op.k, op.n]).filter((v) => v !== undefined);
    expect(values).toContain(JSON.stringify(EVIL_VALUES[0]));
    expect(values).toContain(JSON.stringify(EVIL_VALUES[1]));
    expect(values.some((v) => v.startsWith(JSON.stringify(EVIL_VALUES[3]).slice(0, 300)) && v.includes('more chars'))).toBe(true);
    expect(statSync(file).size).toBeLessThan(400_000);
  });

  it('puts every part of the report in the data: verdicts, command, faults, counterexample, element tables', async () => {
    const dir = path.join(temp, 'store', 'fixture', 'run2');
    await writeFixtureRun(dir);
    const data = buildReportData(await loadRun(dir));
    expect(data.verdict).toBe(false);
    expect(data.header.verdicts.map((v) => v.path)).toEqual(['', 'checker', 'set', 'mystery', 'checker.linearizable']);
    expect(data.header.command).toContain('--seed 42');
    expect(data.header.seed).toBe(42);
    expect(data.faults.map((f) => f.kind)).toEqual(['partition', 'kill', 'pause']);
    expect(data.counterexamples).toHaveLength(1);
    const [view] = data.counterexamples[0].views;
    expect(view.key).toBe('1');
    const failing = view.ops.filter((op) => op.failing);
    expect(failing.map((op) => op.text)).toEqual(['read 1 [key 1]']);
    expect(view.statesBefore.join(' ')).toMatch(/register = 3/);
    // The shrunk set is drawn and named first in the text.
    const marked = view.ops.filter((op) => op.inMinimalSet);
    expect(marked.length).toBeGreaterThan(0);
    expect(view.lines[0]).toMatch(new RegExp(`^(These ${marked.length} ops cannot be ordered|This op cannot be linearized): op ${marked[0].id} `));
    // Linearization points respect the order found and each lies inside its op's interval.
    const byId = new Map(view.ops.map((op) => [op.id, op]));
    view.points.forEach((p, k) => {
      const op = byId.get(p.id);
      expect(op).toBeDefined();
      expect(p.atS).toBeGreaterThanOrEqual(op!.startS);
      if (op!.endS !== null) expect(p.atS).toBeLessThanOrEqual(op!.endS);
      if (k > 0) expect(p.atS).toBeGreaterThanOrEqual(view.points[k - 1].atS);
    });
    expect(data.elements.map((e) => e.tables.map((t) => t.name))).toEqual([['lost', 'unexpected', 'stale']]);
    expect(data.others.map((o) => o.path)).toEqual(['mystery']);
    expect(data.latency.t.length).toBe(data.axis.clientOpCount);
  });

  it('`report DIR` re-renders a stored run and rejects a missing directory as a usage error (exit 3)', async () => {
    const dir = path.join(temp, 'store', 'fixture', 'run3');
    await writeFixtureRun(dir);
    const program = (): Command => {
      const p = new Command('splitbrain').exitOverride();
      registerReportCommand(p);
      return p;
    };
    await program().parseAsync(['report', dir], { from: 'user' });
    expect(statSync(path.join(dir, 'report.html')).size).toBeGreaterThan(10_000);
    await expect(program().parseAsync(['report', path.join(temp, 'nope')], { from: 'user' })).rejects.toBeInstanceOf(UsageError);
  });

  it('renders a run whose results.json is missing or broken, saying so', async () => {
    const dir = path.join(temp, 'broken');
    await writeFixtureRun(dir);
    rmSync(path.join(dir, 'results.json'));
    rmSync(path.join(dir, 'test.json'));
    const data = buildReportData(await loadRun(dir));
    expect(data.verdict).toBeNull();
    expect(data.warnings).toEqual(['test.json is missing', 'results.json is missing']);
    expect(data.timeline.ops.length).toBeGreaterThan(0);
  });
});

describe('timelineData', () => {
  it('caps the window around the focus op and says so', async () => {
    const dir = path.join(temp, 'cap');
    const history = await writeFixtureRun(dir);
    const paired = drawnOps(history, timeAxisOf(history));
    const focus = paired[paired.length - 3].invoke.index;
    const window = timelineData(paired, focus, 5);
    expect(window.ops).toHaveLength(5);
    expect(window.capped).toBe(true);
    expect(window.total).toBe(paired.length);
    expect(window.ops.some((op) => op.i === focus)).toBe(true);
    expect(timelineData(paired, undefined, 1000).capped).toBe(false);
  });
});
