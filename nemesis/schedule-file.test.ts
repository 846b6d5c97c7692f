// nemesis/schedule-file.test.ts — YAML schedules: parsing, the shipped example, and errors naming file, entry and key.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNemesisOp, usesClock } from './ops.ts';
import { loadScheduleFile, parseDurationMs, parseScheduleText } from './schedule-file.ts';

const NODES = ['n1', 'n2', 'n3', 'vs'];
const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../examples/primary-cut-from-viewserver.yaml');

function errorOf(text: string): string {
  try {
    parseScheduleText(text, 'sched.yaml', { nodes: NODES });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the schedule to be rejected');
}

describe('schedule files', () => {
  it('loads the shipped primary-cut-from-viewserver example', () => {
    const ops = loadScheduleFile(EXAMPLE, { nodes: NODES });
    expect(ops).toEqual([
      { atMs: 5000, f: 'start-partition', value: { grudge: { primary: ['vs'], vs: ['primary'] } } },
      { atMs: 15_000, f: 'stop-partition' },
    ]);
    expect(usesClock(ops)).toBe(false);
  });

  it('maps every do onto a NemesisOp the Nemesis accepts', () => {
    const ops = parseScheduleText(`
- {at: 1s, do: partition, topology: majorities-ring}
- {at: 1.5s, do: partition, components: [[n1], [n2, n3, vs]]}
- {at: 2s, do: heal}
- {at: 2500ms, do: kill, target: primary}
- {at: 3, do: start}
- {at: 4s, do: pause, nodes: [n2, n3]}
- {at: 5s, do: resume, nodes: [n2]}
- {at: 6s, do: clock-bump, nodes: [n1], ms: -250}
- {at: 7s, do: clock-strobe, target: one, ms: 200, period: 50ms, duration: 1s}
- {at: 0.2m, do: clock-reset}
`, 'all.yaml', { nodes: NODES });
    expect(ops.map((o) => [o.atMs, o.f])).toEqual([
      [1000, 'start-partition'], [1500, 'start-partition'], [2000, 'stop-partition'], [2500, 'kill'], [3000, 'start'],
      [4000, 'pause'], [5000, 'resume'], [6000, 'bump-clock'], [7000, 'strobe-clock'], [12_000, 'reset-clock'],
    ]);
    expect(ops[8].value).toEqual({ target: 'one', deltaMs: 200, periodMs: 50, durationMs: 1000 });
    for (const { atMs: _a, ...op } of ops) expect(() => parseNemesisOp(op)).not.toThrow();
    expect(usesClock(ops)).toBe(true);
  });

  it('errors name the file, the entry, the key and what was expected', () => {
    expect(errorOf('- {at: 5s, do: explode}')).toBe('sched.yaml:1: entry 0, key do: expected one of partition, heal, kill, start, pause, resume, clock-bump, clock-strobe, clock-reset, packet, packet-heal, crash, restart-crashed, corrupt, restart-corrupted, remove-member, add-member, replace, add-fresh');
    expect(errorOf('- {at: 1s, do: heal}\n- {at: soon, do: heal}')).toBe('sched.yaml:2: entry 1, key at: expected a duration like 5s, 500ms or 1.5m');
    expect(errorOf('- {do: heal}')).toMatch(/^sched\.yaml:1: entry 0, key at: missing; expected a duration/);
    expect(errorOf('- {at: 1s, do: kill, target: everyone}')).toBe('sched.yaml:1: entry 0, key target: expected one of one, minority, majority, primary, all');
    expect(errorOf('- {at: 1s, do: kill}')).toBe('sched.yaml:1: entry 0: do: kill expects exactly one of nodes or target');
    expect(errorOf('- {at: 1s, do: partition, topology: one, grudge: {n1: [n2]}}')).toBe('sched.yaml:1: entry 0: do: partition expects exactly one of topology, grudge or components');
    expect(errorOf('- {at: 1s, do: heal, nodes: [n1]}')).toBe('sched.yaml:1: entry 0: unexpected key nodes; do: heal takes at, do');
    expect(errorOf('- {at: 1s, do: partition, grudge: {n9: [n1]}}')).toMatch(/^sched\.yaml:1: entry 0, key grudge: unknown node "n9"; expected one of n1, n2, n3, vs, primary$/);
    expect(errorOf('- {at: 1s, do: clock-bump, nodes: [n1]}')).toMatch(/^sched\.yaml:1: entry 0, key ms: missing; expected a number/);
    expect(errorOf('- {at: 5s, do: heal}\n- {at: 4s, do: heal}')).toBe("sched.yaml:2: entry 1, key at: expected a time at or after the previous entry's (5000 ms)");
    expect(errorOf('at: 5s')).toMatch(/^sched\.yaml: expected a list of entries/);
    expect(errorOf('- [unclosed')).toMatch(/^sched\.yaml:1: not valid YAML/);
  });

  it('a missing file is named', () => {
    expect(() => loadScheduleFile('/nonexistent/x.yaml')).toThrow(/^\/nonexistent\/x\.yaml: cannot read/);
  });

  it('parses durations', () => {
    expect(parseDurationMs('5s')).toBe(5000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1.5m')).toBe(90_000);
    expect(parseDurationMs(2)).toBe(2000);
    expect(parseDurationMs('-1s')).toBeNull();
    expect(parseDurationMs('5 parsecs')).toBeNull();
  });
});
