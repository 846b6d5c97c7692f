// nemesis/schedule-file.test.ts — YAML schedules: parsing, the shipped example, and errors naming file, entry and key.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNemesisOp, usesClock } from './ops.ts';
import { loadScheduleFile, parseDurationMs, parseScheduleText } from './schedule-file.ts';

const NODES = ['n1', 'n2', 'n3', 'vs'];
const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.resolve(HERE, '../examples/primary-cut-from-viewserver.yaml');
/** Each rewritten example's schedule as its flat file (one entry per op, before blocks) loaded: one op a line. */
const FLAT = path.join(HERE, 'testdata', 'flat-schedules');

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

  describe('repetition blocks', () => {
    it('repeat the steps from each episode start, from `from` while before `until`', () => {
      const ops = parseScheduleText(`
- {at: 0.5s, do: heal}
- every: 2s
  from: 1s
  until: 6s
  steps:
    - {at: 0s, do: kill, target: primary}
    - {at: 1.5s, do: start}
- {at: 7s, do: clock-reset}
`, 'block.yaml', { nodes: NODES });
      expect(ops.map((o) => [o.atMs, o.f])).toEqual([
        [500, 'stop-partition'],
        [1000, 'kill'], [2500, 'start'], [3000, 'kill'], [4500, 'start'], [5000, 'kill'], [6500, 'start'],
        [7000, 'reset-clock'],
      ]);
      // Each episode's op is its own value: the Nemesis may keep or change one without touching another.
      expect(ops[1].value).toEqual({ target: 'primary' });
      expect(ops[1].value).not.toBe(ops[3].value);
    });

    it('rewritten examples expand to exactly the flat schedules they replaced', () => {
      const files = fs.readdirSync(FLAT);
      expect(files).toContain('zoo-paxos-freeze-leader-restart-others.jsonl');
      for (const name of files) {
        const example = path.resolve(HERE, '../examples', name.replace(/^zoo-/, 'zoo/').replace(/\.jsonl$/, '.yaml'));
        const flat = fs.readFileSync(path.join(FLAT, name), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as unknown);
        expect(loadScheduleFile(example, { nodes: NODES }), name).toEqual(flat);
      }
    });

    it('errors name the file, the entry, the step and the key', () => {
      const block = (keys: string, steps = '    - {at: 0s, do: heal}'): string => `- {at: 0s, do: heal}\n- ${keys.split('\n').join('\n  ')}\n  steps:\n${steps}`;
      expect(errorOf(block('every: 0s\nuntil: 5s'))).toBe('sched.yaml:2: entry 1, key every: expected a duration above 0, like 50ms or 1s');
      expect(errorOf(block('every: 1s'))).toMatch(/^sched\.yaml:2: entry 1, key until: missing; expected a duration/);
      expect(errorOf(block('every: 1s\nfrom: 5s\nuntil: 5s'))).toBe('sched.yaml:4: entry 1, key until: expected a time after from (5000 ms)');
      expect(errorOf(block('every: 1s\nuntil: 5s\ntimes: 3'))).toBe('sched.yaml:2: entry 1: unexpected key times; a repetition block takes every, from, until, steps');
      expect(errorOf(block('every: 1s\nuntil: 5s', '    - {at: 0s, do: heal}\n    - {at: 0.5s, do: kill, target: everyone}'))).toBe('sched.yaml:6: entry 1, step 1, key target: expected one of one, minority, majority, primary, all');
      expect(errorOf(block('every: 1s\nuntil: 5s', '    - {at: 0s, do: kill, nodes: [n9]}'))).toBe('sched.yaml:5: entry 1, step 0, key nodes: unknown node "n9"; expected one of n1, n2, n3, vs, primary');
      expect(errorOf(block('every: 1s\nuntil: 5s', '    - {at: 0.5s, do: heal}\n    - {at: 0.2s, do: heal}'))).toBe("sched.yaml:6: entry 1, step 1, key at: expected a time at or after the previous step's (500 ms)");
      expect(errorOf(block('every: 1s\nuntil: 5s', '    - {at: 1s, do: heal}'))).toBe('sched.yaml:5: entry 1, step 0, key at: expected a time before every (1000 ms), so that episodes do not overlap');
      expect(errorOf(block('every: 1s\nuntil: 5s', '    - {every: 1s, until: 2s, steps: []}'))).toBe('sched.yaml:5: entry 1, step 0: blocks do not nest');
      expect(errorOf(block('every: 1s\nuntil: 5s', '    []'))).toBe('sched.yaml:4: entry 1, key steps: expected at least one step');
      expect(errorOf('- {at: 3s, do: heal}\n- {every: 1s, from: 2s, until: 5s, steps: [{at: 0s, do: heal}]}')).toBe("sched.yaml:2: entry 1, key from: expected a time at or after the previous entry's (3000 ms)");
      expect(errorOf('- {every: 1ms, until: 1m, steps: [{at: 0s, do: heal}]}')).toBe('sched.yaml:1: entry 0, key every: the block expands to 60000 ops; at most 10000');
    });
  });
});
