// nemesis/schedule-file.ts — load a YAML schedule file: an exact, scripted sequence of nemesis ops.
//
//   - at: 5s                       # when, from the start of the main phase (5s, 500ms, 1.5m, or seconds)
//     do: partition                # a `do:` of some fault kind (DO_NAMES; each kind's module in
//     grudge: {primary: [vs], vs: [primary]}    # faults/ declares its own and their keys)
//   - at: 15s
//     do: heal
//
// `primary` in any node list means the primary/leader when the op runs. Errors name the file
// and line, the entry index and key, and what was expected; every op is also checked by the
// Nemesis's own schema (parseNemesisOp), so nothing the Nemesis would refuse mid-run (a strobe
// period of 0, say) gets past loading.
import * as fs from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { DO_NAMES, faultOfF, yamlEntryOf } from './faults/registry.ts';
import { fileDuration, parseDurationMs, PRIMARY } from './faults/shapes.ts';
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
    if (options.refusal !== undefined) checkRefusals(op, options.refusal, where);
    ops.push(op);
  });
  return ops;
}

function parseEntry(entry: unknown, where: (key?: string) => string): ScheduledNemesisOp {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ScheduleFileError(`${where()}: expected a map with at and do`);
  const raw = entry as Record<string, unknown>;
  const found = typeof raw.do === 'string' ? yamlEntryOf(raw.do) : undefined;
  if (found === undefined) throw new ScheduleFileError(`${where('do')}: expected one of ${DO_NAMES.join(', ')}`);
  const name = raw.do as string;
  const { fields, toOp } = found.entry;
  const schema = z.strictObject({ at: fileDuration, do: z.literal(name), ...fields });
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      const allowed = ['at', 'do', ...Object.keys(fields)].join(', ');
      throw new ScheduleFileError(`${where()}: unexpected key ${issue.keys.join(', ')}; do: ${name} takes ${allowed}`);
    }
    const key = issue.path.map(String).join('.');
    const missing = issue.path.length === 1 && !(String(issue.path[0]) in raw);
    const message = missing ? `missing; ${issue.message}` : issue.message;
    throw new ScheduleFileError(`${where(key === '' ? undefined : key)}: ${message}`);
  }
  const e = result.data as Record<string, unknown>;
  const fail = (message: string): never => {
    throw new ScheduleFileError(`${where()}: ${message}`);
  };
  return { atMs: parseDurationMs(e.at)!, ...toOp(e, fail) };
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
function checkRefusals(op: NemesisOp, refusal: (kind: string, node: string) => string | null, where: (key?: string) => string): void {
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
function checkNodeNames(op: NemesisOp, known: readonly string[], where: (key?: string) => string): void {
  const named = namedNodes(op);
  for (const [key, names] of named) {
    for (const n of names) {
      if (n !== PRIMARY && !known.includes(n)) {
        throw new ScheduleFileError(`${where(key)}: unknown node ${JSON.stringify(n)}; expected one of ${[...known, PRIMARY].join(', ')}`);
      }
    }
  }
}
