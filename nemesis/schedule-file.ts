// nemesis/schedule-file.ts — load a YAML schedule file: an exact, scripted sequence of nemesis ops.
//
//   - at: 5s                       # when, from the start of the main phase (5s, 500ms, 1.5m, or seconds)
//     do: partition                # a `do:` of some fault kind (DO_NAMES; each kind's module in
//     grudge: {primary: [vs], vs: [primary]}    # faults/ declares its own and their keys)
//   - at: 15s
//     do: heal
//
// A block repeats an episode: its steps' times are from the start of each episode, and episodes
// start at `from` (default 0), then every `every`, while the start is before `until`:
//
//   - every: 2.2s                  # one episode each 2.2 s: 1 s, 3.2 s, ... 27.4 s (before 29 s)
//     from: 1s
//     until: 29s
//     steps:
//       - {at: 0s, do: pause, target: primary}
//       - {at: 1.3s, do: resume}   # every step before `every`: episodes do not overlap
//
// `primary` in any node list means the primary/leader when the op runs. Errors name the file
// and line, the entry index and key, and what was expected; every op is also checked by the
// Nemesis's own schema (parseNemesisOp), so nothing the Nemesis would refuse mid-run (a strobe
// period of 0, say) gets past loading.
import * as fs from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { DO_NAMES, faultOfF, yamlEntryOf } from './faults/registry.ts';
import { fileDuration, filePositiveDuration, parseDurationMs, PRIMARY } from './faults/shapes.ts';
import { parseNemesisOp } from './ops.ts';
import type { NemesisOp, ScheduledNemesisOp } from './types.ts';

export { parseDurationMs };

/** ScheduleFileError: a bad schedule file; the message names file, entry, key and expectation. */
export class ScheduleFileError extends Error {}

/**
 * LoadScheduleOptions: the node names entries may use (besides `primary`); unchecked if absent.
 * `refusal` names why the system under test refuses a fault kind on a node (null: it does not).
 */
export interface LoadScheduleOptions {
  nodes?: readonly string[];
  refusal?: (kind: string, node: string) => string | null;
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

/** Where names, for an error, file:line, the entry (and step) and optionally a key. */
type Where = (key?: string) => string;

/** lineOf is the 1-based line where a YAML node starts (1 when it has no position). */
function lineOf(node: YamlNode | null | undefined, lines: LineCounter): number {
  return node?.range === undefined || node.range === null ? 1 : lines.linePos(node.range[0]).line;
}

/** whereIn names a map of the file (`node`, labelled `label`), at the line of `key` when it has one. */
function whereIn(file: string, lines: LineCounter, node: unknown, label: string): Where {
  return (key) => {
    let at = node as YamlNode | undefined;
    if (key !== undefined && isMap(node)) {
      const top = key.split('.')[0];
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === top);
      if (pair !== undefined) at = pair.key as YamlNode;
    }
    return `${file}:${lineOf(at, lines)}: ${label}${key === undefined ? '' : `, key ${key}`}`;
  };
}

/** seqItem: item i of a YAML sequence node (undefined when `node` is none). */
function seqItem(node: unknown, i: number): unknown {
  return isSeq(node) ? node.items[i] : undefined;
}

/** EXPANDED_OPS_MAX: the most ops a file may expand to (a block with a tiny `every` would otherwise have no end). */
const EXPANDED_OPS_MAX = 10_000;

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
  const ops: ScheduledNemesisOp[] = [];
  doc.forEach((entry: unknown, i) => {
    const node = seqItem(parsed.contents, i);
    const where = whereIn(file, lines, node, `entry ${i}`);
    const step = (raw: unknown, stepWhere: Where): ScheduledNemesisOp => {
      const op = parseEntry(raw, stepWhere);
      checkAgainstNemesis(op, stepWhere);
      if (options.nodes !== undefined) checkNodeNames(op, options.nodes, stepWhere);
      if (options.refusal !== undefined) checkRefusals(op, options.refusal, stepWhere);
      return op;
    };
    const block = isBlock(entry);
    const expanded = block
      ? parseBlock(entry as Record<string, unknown>, where, (j) => whereIn(file, lines, seqItem(isMap(node) ? node.get('steps', true) : undefined, j), `entry ${i}, step ${j}`), step)
      : [step(entry, where)];
    const previous = ops[ops.length - 1];
    if (previous !== undefined && expanded[0].atMs < previous.atMs) {
      throw new ScheduleFileError(`${where(block ? 'from' : 'at')}: expected a time at or after the previous entry's (${previous.atMs} ms)`);
    }
    if (ops.length + expanded.length > EXPANDED_OPS_MAX) throw new ScheduleFileError(`${where(block ? 'every' : undefined)}: the file expands to more than ${EXPANDED_OPS_MAX} ops`);
    ops.push(...expanded);
  });
  return ops;
}

/** isBlock: the entry is a repetition block (every/steps), not one op. */
function isBlock(entry: unknown): boolean {
  return typeof entry === 'object' && entry !== null && !Array.isArray(entry) && ('every' in entry || 'steps' in entry);
}

const blockSchema = z.strictObject({
  every: filePositiveDuration,
  from: fileDuration.optional(),
  until: fileDuration,
  steps: z.array(z.unknown(), { message: 'expected a list of steps (- at: 0s / do: ...)' }).min(1, 'expected at least one step'),
});

/**
 * parseBlock validates a repetition block and expands it: each step (parsed by `step`, times
 * from the episode's start) once per episode, episodes at from, from + every, ... before until.
 */
function parseBlock(raw: Record<string, unknown>, where: Where, stepWhere: (j: number) => Where, step: (raw: unknown, where: Where) => ScheduledNemesisOp): ScheduledNemesisOp[] {
  const block = checked(blockSchema, raw, where, 'a repetition block takes every, from, until, steps');
  const everyMs = parseDurationMs(block.every)!;
  const fromMs = block.from === undefined ? 0 : parseDurationMs(block.from)!;
  const untilMs = parseDurationMs(block.until)!;
  if (untilMs <= fromMs) throw new ScheduleFileError(`${where('until')}: expected a time after from (${fromMs} ms)`);
  const episode: ScheduledNemesisOp[] = [];
  block.steps.forEach((s, j) => {
    const at = stepWhere(j);
    if (isBlock(s)) throw new ScheduleFileError(`${at()}: blocks do not nest`);
    const op = step(s, at);
    const previous = episode[j - 1];
    if (previous !== undefined && op.atMs < previous.atMs) throw new ScheduleFileError(`${at('at')}: expected a time at or after the previous step's (${previous.atMs} ms)`);
    if (op.atMs >= everyMs) throw new ScheduleFileError(`${at('at')}: expected a time before every (${everyMs} ms), so that episodes do not overlap`);
    episode.push(op);
  });
  const episodes = Math.ceil((untilMs - fromMs) / everyMs);
  if (episodes * episode.length > EXPANDED_OPS_MAX) throw new ScheduleFileError(`${where('every')}: the block expands to ${episodes * episode.length} ops; at most ${EXPANDED_OPS_MAX}`);
  const ops: ScheduledNemesisOp[] = [];
  for (let k = 0; k < episodes; k++) {
    for (const op of episode) ops.push({ ...structuredClone(op), atMs: fromMs + k * everyMs + op.atMs });
  }
  return ops;
}

/** checked parses `raw` with `schema`, turning the first issue into the file's error (`takes` words the allowed keys). */
function checked<T>(schema: z.ZodType<T>, raw: Record<string, unknown>, where: Where, takes: string): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') throw new ScheduleFileError(`${where()}: unexpected key ${issue.keys.join(', ')}; ${takes}`);
  const key = issue.path.map(String).join('.');
  const missing = issue.path.length === 1 && !(String(issue.path[0]) in raw);
  throw new ScheduleFileError(`${where(key === '' ? undefined : key)}: ${missing ? `missing; ${issue.message}` : issue.message}`);
}

function parseEntry(entry: unknown, where: Where): ScheduledNemesisOp {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ScheduleFileError(`${where()}: expected a map with at and do`);
  const raw = entry as Record<string, unknown>;
  const found = typeof raw.do === 'string' ? yamlEntryOf(raw.do) : undefined;
  if (found === undefined) throw new ScheduleFileError(`${where('do')}: expected one of ${DO_NAMES.join(', ')}`);
  const name = raw.do as string;
  const { fields, toOp } = found.entry;
  const schema = z.strictObject({ at: fileDuration, do: z.literal(name), ...fields });
  const e = checked(schema, raw, where, `do: ${name} takes ${['at', 'do', ...Object.keys(fields)].join(', ')}`) as Record<string, unknown>;
  const fail = (message: string): never => {
    throw new ScheduleFileError(`${where()}: ${message}`);
  };
  return { atMs: parseDurationMs(e.at)!, ...toOp(e, fail) };
}

/** checkAgainstNemesis runs the Nemesis's own validation now, naming the file's key on failure. */
function checkAgainstNemesis(op: ScheduledNemesisOp, where: Where): void {
  const { atMs: _atMs, ...nemesisOp } = op;
  try {
    parseNemesisOp(nemesisOp);
  } catch (err) {
    // "nemesis op "f": value.periodMs: message" → key period, message.
    const m = /^nemesis op "[^"]*": (?:value\.)?([A-Za-z]+)[^:]*: (.*)$/.exec((err as Error).message);
    if (m === null) throw new ScheduleFileError(`${where()}: ${(err as Error).message}`);
    const key = faultOfF(op.f)?.yamlKeys?.[m[1]] ?? m[1];
    throw new ScheduleFileError(`${where(key === 'value' || key === 'op' ? undefined : key)}: ${m[2]}`);
  }
}

/** namedNodes: the nodes an op names, by the file's key they were given under. */
function namedNodes(op: NemesisOp): Array<[string, string[]]> {
  const v = (op.value ?? {}) as { nodes?: unknown };
  const named: Array<[string, string[]]> = Array.isArray(v.nodes) ? [['nodes', v.nodes as string[]]] : [];
  named.push(...(faultOfF(op.f)?.nodeNames?.(op.value) ?? []));
  return named;
}

/** checkRefusals rejects an op naming a node its fault kind may not touch in this system (the Db says why). */
function checkRefusals(op: NemesisOp, refusal: (kind: string, node: string) => string | null, where: Where): void {
  const kind = faultOfF(op.f)?.kind;
  if (kind === undefined) return;
  for (const [key, names] of namedNodes(op)) {
    for (const n of names) {
      const why = refusal(kind, n);
      if (why !== null) throw new ScheduleFileError(`${where(key)}: ${kind} refused on ${n}: ${why}`);
    }
  }
}

/** checkNodeNames rejects node names the cluster does not have. */
function checkNodeNames(op: NemesisOp, known: readonly string[], where: Where): void {
  const named = namedNodes(op);
  for (const [key, names] of named) {
    for (const n of names) {
      if (n !== PRIMARY && !known.includes(n)) {
        throw new ScheduleFileError(`${where(key)}: unknown node ${JSON.stringify(n)}; expected one of ${[...known, PRIMARY].join(', ')}`);
      }
    }
  }
}
