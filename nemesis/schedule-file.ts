// nemesis/schedule-file.ts — load a YAML schedule file: an exact, scripted sequence of nemesis ops.
//
//   - at: 5s                       # when, from the start of the main phase (5s, 500ms, 1.5m, or seconds)
//     do: partition                # partition | heal | kill | start | pause | resume
//     grudge: {primary: [vs], vs: [primary]}     #   | clock-bump | clock-strobe | clock-reset
//   - at: 15s
//     do: heal
//
// partition takes one of topology (one, primary, majority, random-halves, majorities-ring,
// bridge), grudge (node: [nodes whose packets it drops]) or components ([[n1], [n2, n3]]: cut
// between groups). kill and pause take nodes: [...] or target (one, minority, majority,
// primary, all); start, resume and clock-reset take optional nodes (default: every node the
// nemesis faulted). clock-bump takes nodes|target and ms (signed); clock-strobe also period
// and duration. `primary` in any node list means the primary/leader when the op runs.
// Errors name the file, the entry index and key, and what was expected.
import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PRIMARY, TARGETS, TOPOLOGIES } from './ops.ts';
import type { NemesisOp, ScheduledNemesisOp } from './types.ts';

/** parseDurationMs reads "5s", "500ms", "1.5m" or a bare number of seconds; null if malformed. */
export function parseDurationMs(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v * 1000) : null;
  if (typeof v !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(v);
  if (m === null) return null;
  const scale = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000;
  return Math.round(Number(m[1]) * scale);
}

const DURATION_HINT = 'expected a duration like 5s, 500ms or 1.5m';
const duration = z.custom<string | number>((v) => parseDurationMs(v) !== null, { message: DURATION_HINT });
const nodes = z.array(z.string().min(1), { message: 'expected a list of node names' }).min(1, 'expected at least one node');
const topology = z.enum(TOPOLOGIES, { message: `expected one of ${TOPOLOGIES.join(', ')}` });
const target = z.enum(TARGETS, { message: `expected one of ${TARGETS.join(', ')}` });
const grudge = z.record(z.string(), nodes, { message: 'expected a map node: [nodes whose packets it drops]' });
const components = z.array(nodes, { message: 'expected a list of node lists' }).min(2, 'expected at least two components');
const ms = z.number({ message: 'expected a number of milliseconds' }).finite();

/** ENTRY_FIELDS: the keys each `do` accepts besides `at` and `do`. */
const ENTRY_FIELDS = {
  partition: { topology: topology.optional(), grudge: grudge.optional(), components: components.optional() },
  heal: {},
  kill: { nodes: nodes.optional(), target: target.optional() },
  start: { nodes: nodes.optional() },
  pause: { nodes: nodes.optional(), target: target.optional() },
  resume: { nodes: nodes.optional() },
  'clock-bump': { nodes: nodes.optional(), target: target.optional(), ms },
  'clock-strobe': { nodes: nodes.optional(), target: target.optional(), ms, period: duration, duration },
  'clock-reset': { nodes: nodes.optional() },
} as const;

type DoName = keyof typeof ENTRY_FIELDS;
const DO_NAMES = Object.keys(ENTRY_FIELDS) as DoName[];

/** ScheduleFileError: a bad schedule file; the message names file, entry, key and expectation. */
export class ScheduleFileError extends Error {}

/** LoadScheduleOptions: the node names entries may use (besides `primary`); unchecked if absent. */
export interface LoadScheduleOptions {
  nodes?: readonly string[];
}

/** loadScheduleFile reads and validates a YAML schedule file. */
export function loadScheduleFile(file: string, options: LoadScheduleOptions = {}): ScheduledNemesisOp[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScheduleFileError(`${file}: cannot read: ${(err as Error).message}`);
  }
  return parseScheduleText(text, file, options);
}

/** parseScheduleText validates schedule YAML; `file` only labels errors. */
export function parseScheduleText(text: string, file: string, options: LoadScheduleOptions = {}): ScheduledNemesisOp[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ScheduleFileError(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!Array.isArray(doc)) throw new ScheduleFileError(`${file}: expected a list of entries (- at: 5s / do: partition ...)`);
  const ops: ScheduledNemesisOp[] = [];
  doc.forEach((entry: unknown, i) => {
    const where = (key?: string): string => `${file}: entry ${i}${key === undefined ? '' : `, key ${key}`}`;
    const op = parseEntry(entry, where);
    const previous = ops[ops.length - 1];
    if (previous !== undefined && op.atMs < previous.atMs) {
      throw new ScheduleFileError(`${where('at')}: expected a time at or after the previous entry's (${previous.atMs} ms)`);
    }
    if (options.nodes !== undefined) checkNodeNames(op, options.nodes, where);
    ops.push(op);
  });
  return ops;
}

function parseEntry(entry: unknown, where: (key?: string) => string): ScheduledNemesisOp {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ScheduleFileError(`${where()}: expected a map with at and do`);
  const raw = entry as Record<string, unknown>;
  if (!DO_NAMES.includes(raw.do as DoName)) throw new ScheduleFileError(`${where('do')}: expected one of ${DO_NAMES.join(', ')}`);
  const name = raw.do as DoName;
  const schema = z.strictObject({ at: duration, do: z.literal(name), ...ENTRY_FIELDS[name] });
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      const allowed = ['at', 'do', ...Object.keys(ENTRY_FIELDS[name])].join(', ');
      throw new ScheduleFileError(`${where()}: unexpected key ${issue.keys.join(', ')}; do: ${name} takes ${allowed}`);
    }
    const key = issue.path.map(String).join('.');
    const missing = issue.path.length === 1 && !(String(issue.path[0]) in raw);
    const message = missing ? `missing; ${issue.message}` : issue.message;
    throw new ScheduleFileError(`${where(key === '' ? undefined : key)}: ${message}`);
  }
  const e = result.data as Record<string, unknown>;
  return { atMs: parseDurationMs(e.at)!, ...toOp(name, e, where) };
}

/** toOp maps a validated entry onto the NemesisOp the Nemesis performs. */
function toOp(name: DoName, e: Record<string, unknown>, where: (key?: string) => string): NemesisOp {
  const one = (a: string, b: string): void => {
    if ((e[a] === undefined) === (e[b] === undefined)) throw new ScheduleFileError(`${where()}: do: ${name} expects exactly one of ${a} or ${b}`);
  };
  const pickSel = (): Record<string, unknown> => {
    one('nodes', 'target');
    return e.nodes !== undefined ? { nodes: e.nodes } : { target: e.target };
  };
  const optNodes = (f: string): NemesisOp => (e.nodes === undefined ? { f } : { f, value: { nodes: e.nodes } });
  switch (name) {
    case 'partition': {
      const given = ['topology', 'grudge', 'components'].filter((k) => e[k] !== undefined);
      if (given.length !== 1) throw new ScheduleFileError(`${where()}: do: partition expects exactly one of topology, grudge or components`);
      const k = given[0];
      return { f: 'start-partition', value: { [k]: e[k] } };
    }
    case 'heal':
      return { f: 'stop-partition' };
    case 'kill':
    case 'pause':
      return { f: name, value: pickSel() };
    case 'start':
    case 'resume':
      return optNodes(name);
    case 'clock-bump':
      return { f: 'bump-clock', value: { ...pickSel(), deltaMs: e.ms } };
    case 'clock-strobe':
      return {
        f: 'strobe-clock',
        value: { ...pickSel(), deltaMs: e.ms, periodMs: parseDurationMs(e.period)!, durationMs: parseDurationMs(e.duration)! },
      };
    case 'clock-reset':
      return optNodes('reset-clock');
    default: {
      const never: never = name;
      throw new Error(`unknown do ${String(never)}`);
    }
  }
}

/** checkNodeNames rejects node names the cluster does not have. */
function checkNodeNames(op: NemesisOp, known: readonly string[], where: (key?: string) => string): void {
  const v = (op.value ?? {}) as { nodes?: string[]; grudge?: Record<string, string[]>; components?: string[][] };
  const check = (key: string, names: string[]): void => {
    for (const n of names) {
      if (n !== PRIMARY && !known.includes(n)) {
        throw new ScheduleFileError(`${where(key)}: unknown node ${JSON.stringify(n)}; expected one of ${[...known, PRIMARY].join(', ')}`);
      }
    }
  };
  if (v.nodes !== undefined) check('nodes', v.nodes);
  if (v.grudge !== undefined) for (const [k, vs] of Object.entries(v.grudge)) check('grudge', [k, ...vs]);
  if (v.components !== undefined) check('components', v.components.flat());
}
