// test/verdict-convergence.test.ts — the CLI verdict line of a last-writer-wins store names both findings: linearizability and convergence.
import { describe, expect, it } from 'vitest';
import { VERDICT_COLUMNS_MAX, verdictLines } from '../control/verdict-lines.ts';
import type { Op, Stamp } from '../history/op.ts';
import { registerWorkload } from '../workloads/register.ts';

/** gossipHistory: n1 writes 1, n2 reads the stale null during a partition, then both replicas are read after the heal. */
function gossipHistory(finalOnN2: { value: number | null; stamp: Stamp | null }): Op[] {
  const ops: Omit<Op, 'index' | 'time'>[] = [
    { type: 'invoke', process: 'nemesis', f: 'start-partition' },
    { type: 'info', process: 'nemesis', f: 'start-partition', value: 'cut' },
    { type: 'invoke', process: 0, f: 'write', key: 0, value: 1, node: 'n1' },
    { type: 'ok', process: 0, f: 'write', key: 0, value: 1, node: 'n1', stamp: [1, 'n1'] },
    { type: 'invoke', process: 1, f: 'read', key: 0, value: null, node: 'n2' },
    { type: 'ok', process: 1, f: 'read', key: 0, value: null, node: 'n2', stamp: null },
    { type: 'invoke', process: 'nemesis', f: 'stop-partition' },
    { type: 'info', process: 'nemesis', f: 'stop-partition', value: 'healed' },
    { type: 'invoke', process: 0, f: 'read', key: 0, value: null, node: 'n1' },
    { type: 'ok', process: 0, f: 'read', key: 0, value: 1, node: 'n1', stamp: [1, 'n1'] },
    { type: 'invoke', process: 1, f: 'read', key: 0, value: null, node: 'n2' },
    { type: 'ok', process: 1, f: 'read', key: 0, value: finalOnN2.value, node: 'n2', stamp: finalOnN2.stamp },
  ];
  return ops.map((op, index) => ({ ...op, index, time: (index + 1) * 1_000_000 }));
}

async function line(history: Op[]): Promise<string[]> {
  const checker = await registerWorkload.check(history, {});
  return verdictLines({ valid: checker.valid, anomalies: checker.anomalies, checker }, { title: 'gossip-register-partition seed 1' });
}

describe('verdict line for a last-writer-wins store', () => {
  it('converged: "not linearizable (N stale reads), converged", one line within the columns, the stale read as the example', async () => {
    const lines = await line(gossipHistory({ value: 1, stamp: [1, 'n1'] }));
    expect(lines[0]).toBe('INVALID gossip-register-partition seed 1: not linearizable (1 stale read), converged on 2 replicas');
    expect(lines[0].length).toBeLessThanOrEqual(VERDICT_COLUMNS_MAX);
    expect(lines[1]).toMatch(/^ {2}- nonlinearizable read \(stale or divergent value\) on key 0/);
  });

  it('not converged: "did not converge on K keys (L lost writes)" first, naming what is wrong, the divergence as the first example', async () => {
    const lines = await line(gossipHistory({ value: null, stamp: null }));
    expect(lines[0]).toBe('INVALID gossip-register-partition seed 1: did not converge on 1 key (1 lost write); not linearizable');
    expect(lines[0].length).toBeLessThanOrEqual(VERDICT_COLUMNS_MAX);
    expect(lines.find((l) => l.startsWith('  - '))).toMatch(/^ {2}- replicas did not converge on 1 key\(s\): key 0/);
  });
});
