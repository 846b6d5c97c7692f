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
// Errors name the file and line, the entry index and key, and what was expected; every op is
// also checked by the Nemesis's own schema (parseNemesisOp), so nothing the Nemesis would
// refuse mid-run (a strobe period of 0, say) gets past loading.
import * as fs from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { parseNemesisOp, PRIMARY, TARGETS, TOPOLOGIES } from './ops.ts';
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
/** positiveDuration: a period or length; 0 would make the op do nothing at all. */
const positiveDuration = z.custom<string | number>((v) => (parseDurationMs(v) ?? 0) > 0, { message: 'expected a duration above 0, like 50ms or 1s' });
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
  'clock-strobe': { nodes: nodes.optional(), target: target.optional(), ms, period: positiveDuration, duration: positiveDuration },
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

/** OP_KEYS_IN_FILE: the file's key for each NemesisOp value field whose name differs. */
const OP_KEYS_IN_FILE: Record<string, string> = { deltaMs: 'ms', periodMs: 'period', durationMs: 'duration' };

/** lineOf is the 1-based line where a YAML node starts (1 when it has no position). */
function lineOf(node: YamlNode | null | undefined, lines: LineCounter): number {
  return node?.range === undefined || node.range === null ? 1 : lines.linePos(node.range[0]).line;
}

/** locator returns, for entry i, a function naming file:line, the entry and (optionally) a key. */
function locator(file: string, root: unknown, lines: LineCounter): (i: number) => (key?: string) => string {
  return (i) => (key) => {
    const entry = isSeq(root) ? (root.items[i] as YamlNode | undefined) : undefined;
    let node: YamlNode | null | undefined = entry;
    if (key !== undefined && isMap(entry)) {
      const top = key.split('.')[0];
      const pair = entry.items.find((p) => isScalar(p.key) && String(p.key.value) === top);
      if (pair !== undefined) node = pair.key as YamlNode;
    }
    return `${file}:${lineOf(node, lines)}: entry ${i}${key === undefined ? '' : `, key ${key}`}`;
  };
}

/** parseScheduleText validates schedule YAML; `file` only labels errors. */
export function parseScheduleText(text: string, file: string, options: LoadScheduleOptions = {}): ScheduledNemesisOp[] {
  const lines = new LineCounter();
  const parsed = parseDocument(text, { lineCounter: lines });
  if (parsed.errors.length > 0) {
    const first = parsed.errors[0];
    throw new ScheduleFileError(`${file}:${first.linePos?.[0].line ?? 1}: not valid YAML: ${first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const doc: unknown = parsed.toJS();
  if (!Array.isArray(doc)) throw new ScheduleFileError(`${file}: expected a list of entries (- at: 5s / do: partition ...)`);
  const locate = locator(file, parsed.contents, lines);
  const ops: ScheduledNemesisOp[] = [];
  doc.forEach((entry: unknown, i) => {
    const where = locate(i);
    const op = parseEntry(entry, where);
    checkAgainstNemesis(op, where);
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

/** checkAgainstNemesis runs the Nemesis's own validation now, naming the file's key on failure. */
function checkAgainstNemesis(op: ScheduledNemesisOp, where: (key?: string) => string): void {
  const { atMs: _atMs, ...nemesisOp } = op;
  try {
    parseNemesisOp(nemesisOp);
  } catch (err) {
    // "nemesis op "f": value.periodMs: message" → key period, message.
    const m = /^nemesis op "[^"]*": (?:value\.)?([A-Za-z]+)[^:]*: (.*)$/.exec((err as Error).message);
    if (m === null) throw new ScheduleFileError(`${where()}: ${(err as Error).message}`);
    const key = OP_KEYS_IN_FILE[m[1]] ?? m[1];
    throw new ScheduleFileError(`${where(key === 'value' || key === 'op' ? undefined : key)}: ${m[2]}`);
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
