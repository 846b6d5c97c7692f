// test/support/report-fixture.ts — a small failing run directory (stale read under a partition) for report tests.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Op } from '../../history/op.ts';
import { registerWorkload } from '../../workloads/register.ts';

/** EVIL_VALUES: strings a system under test could return that must never become markup. */
export const EVIL_VALUES: readonly string[] = [
  '</script><script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned = 2">',
  `"quotes' and \`backticks\` <!-- & &amp; \u2028`,
  'x'.repeat(5000),
];

const MS = 1e6;

/**
 * fixtureHistory: on key 1 process 0 writes 1, a partition starts, process 1 writes 2 (ok),
 * then process 2 reads 1 after that write completed: not linearizable. Other keys carry the
 * EVIL_VALUES (linearizably), and a kill/start and a pause/resume pair add more fault kinds.
 */
export function fixtureHistory(): Op[] {
  const ops: Omit<Op, 'index'>[] = [];
  const at = (ms: number, op: Omit<Op, 'index' | 'time'>): void => { ops.push({ time: Math.round(ms * MS), ...op }); };
  at(0, { type: 'invoke', process: 0, f: 'write', key: 1, value: 1 });
  at(8, { type: 'ok', process: 0, f: 'write', key: 1, value: 1, node: 'n1' });
  at(10, { type: 'invoke', process: 'nemesis', f: 'start-partition', value: { topology: 'majority' } });
  at(11, { type: 'info', process: 'nemesis', f: 'start-partition', value: { grudge: { n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] } } });
  at(12, { type: 'invoke', process: 1, f: 'write', key: 1, value: 2 });
  at(20, { type: 'ok', process: 1, f: 'write', key: 1, value: 2, node: 'n2' });
  at(24, { type: 'invoke', process: 2, f: 'read', key: 1, value: null });
  at(31, { type: 'ok', process: 2, f: 'read', key: 1, value: 1, node: 'n1' });
  at(26, { type: 'invoke', process: 3, f: 'cas', key: 1, value: [2, 3] });
  at(60, { type: 'info', process: 3, f: 'cas', key: 1, value: [2, 3], error: 'timeout' });
  at(40, { type: 'invoke', process: 'nemesis', f: 'stop-partition' });
  at(41, { type: 'info', process: 'nemesis', f: 'stop-partition', value: 'healed' });
  let t = 45;
  EVIL_VALUES.forEach((value, i) => {
    at(t, { type: 'invoke', process: 0, f: 'write', key: `evil-${i}<b>`, value });
    at(t + 3, { type: 'ok', process: 0, f: 'write', key: `evil-${i}<b>`, value, node: '<n1>' });
    at(t + 4, { type: 'invoke', process: 1, f: 'read', key: `evil-${i}<b>`, value: null });
    at(t + 7, { type: 'ok', process: 1, f: 'read', key: `evil-${i}<b>`, value });
    t += 8;
  });
  at(50, { type: 'invoke', process: 'nemesis', f: 'kill', value: { nodes: ['n3'] } });
  at(52, { type: 'info', process: 'nemesis', f: 'kill', value: { killed: ['n3'] } });
  at(70, { type: 'invoke', process: 'nemesis', f: 'start', value: { nodes: ['n3'] } });
  at(72, { type: 'info', process: 'nemesis', f: 'start', value: { started: ['n3'] } });
  at(75, { type: 'invoke', process: 'nemesis', f: 'pause', value: { target: 'one' } });
  at(76, { type: 'info', process: 'nemesis', f: 'pause', value: { paused: ['n2'] } });
  at(85, { type: 'invoke', process: 'nemesis', f: 'resume' });
  at(86, { type: 'info', process: 'nemesis', f: 'resume', value: { resumed: ['n2'] } });
  at(80, { type: 'invoke', process: 4, f: 'read', key: 1, value: null });
  at(84, { type: 'fail', process: 4, f: 'read', key: 1, error: 'no leader "<here>"' });
  ops.sort((a, b) => (a.time as number) - (b.time as number));
  return ops.map((op, index) => ({ index, ...op }));
}

/**
 * crowdedHistory: three processes each write key 1 ten times back to back (ops 0.1 ms long,
 * 0.01 ms apart, with long values) under a partition, while a fourth reads a value never
 * written: the counterexample draws 31 bars close in time, with labels wider than their bars.
 */
export function crowdedHistory(): Op[] {
  const ops: Omit<Op, 'index'>[] = [];
  const at = (ms: number, op: Omit<Op, 'index' | 'time'>): void => { ops.push({ time: Math.round(ms * MS), ...op }); };
  at(0.001, { type: 'invoke', process: 'nemesis', f: 'start-partition', value: { topology: 'majority' } });
  at(0.002, { type: 'info', process: 'nemesis', f: 'start-partition', value: { nodes: ['n1', 'n2', 'n3'], grudge: { n1: ['n2', 'n3'], n2: ['n1'], n3: ['n1'] }, topology: 'majority' } });
  at(0.005, { type: 'invoke', process: 3, f: 'read', key: 1, value: null });
  for (let i = 0; i < 10; i++) {
    for (let process = 0; process < 3; process++) {
      const startMs = 0.01 + i * 0.11 + process * 0.03;
      const value = `value-${process}-${i}-long-enough-to-crowd`;
      at(startMs, { type: 'invoke', process, f: 'write', key: 1, value });
      at(startMs + 0.1, { type: 'ok', process, f: 'write', key: 1, value });
    }
  }
  at(1.3, { type: 'ok', process: 3, f: 'read', key: 1, value: 'never-written' });
  ops.sort((a, b) => (a.time as number) - (b.time as number));
  return ops.map((op, index) => ({ index, ...op }));
}

/**
 * writeFixtureRun writes store-shaped files into `dir`: test.json, history.jsonl and a
 * results.json from the real register workload checker, plus a set-style element result
 * (the shape issue 9's checkers fill) and an unknown checker result. `history` defaults to
 * fixtureHistory().
 */
export async function writeFixtureRun(dir: string, history: Op[] = fixtureHistory()): Promise<Op[]> {
  await mkdir(path.join(dir, 'logs'), { recursive: true });
  await writeFile(path.join(dir, 'history.jsonl'), history.map((op) => JSON.stringify(op)).join('\n') + '\n');
  const checker = await registerWorkload.check(history, { timeoutMs: 10_000 });
  const results = {
    valid: checker.valid, testName: 'fixture', seed: 42, anomalies: checker.anomalies, interrupted: false,
    opCount: history.length, checker,
    set: {
      valid: false,
      lost: [{ element: '<lost>', key: 1, opIndexes: [0], detail: 'acknowledged write never read' }],
      unexpected: ['</script>'],
      stale: [],
    },
    mystery: { valid: 'unknown', note: '<b>not a known checker</b>' },
  };
  await writeFile(path.join(dir, 'results.json'), JSON.stringify(results, null, 2));
  const test = {
    name: 'fixture', seed: 42, options: { workload: 'register', nemesis: ['partition', 'kill'], concurrency: 5, name: '<fixture>' },
    command: "npm run jepsen -- test --workload register --seed 42 --name '</script>'",
    argv: ['test', '--seed', '42'], startedAt: '2026-11-22T00:00:00.000Z', versions: { node: 'v20' },
  };
  await writeFile(path.join(dir, 'test.json'), JSON.stringify(test, null, 2));
  await writeFile(path.join(dir, 'logs', 'n1.log'), 'node n1 log line <script>\n');
  return history;
}
