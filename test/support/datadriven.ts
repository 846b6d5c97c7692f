// test/support/datadriven.ts — runs scenario scripts (command, `----`, expected output), after etcd's datadriven package.
//
// A script is a list of blocks separated by blank lines; lines starting with # are comments:
//
//   campaign n1          the command: a name, then words and key=value arguments
//   ----
//   n1 became candidate at term 1     the expected output, up to the next blank line
//
// runScenario runs every block through one handler per command name and compares outputs.
// With REWRITE=1 the file is written back with the actual outputs instead (review the diff).
import { readFileSync, writeFileSync } from 'node:fs';

/** ScenarioCommand: one parsed command line; `where` is file:line for messages. */
export interface ScenarioCommand {
  name: string;
  /** words: the arguments without `=`, in order. */
  words: string[];
  /** args: the key=value arguments. */
  args: Map<string, string>;
  where: string;
}

/** Handler runs one command against the scenario's environment and returns its output lines. */
export type Handler<Env> = (env: Env, cmd: ScenarioCommand) => string[];

interface Block {
  /** leading: comment and blank lines before the command, kept verbatim on rewrite. */
  leading: string[];
  command: string;
  line: number;
  expected: string[];
}

/** ScenarioResult: the script as it should read given the actual outputs, and what differs. */
export interface ScenarioResult {
  rewritten: string;
  mismatches: string[];
}

const SEPARATOR = '----';

/** parseScenario splits a script into blocks; a malformed script throws naming file:line. */
export function parseScenario(text: string, file: string): Block[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const blocks: Block[] = [];
  let leading: string[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    if (line.trim() === '' || line.startsWith('#')) {
      leading.push(line);
      continue;
    }
    if (line === SEPARATOR) throw new Error(`${file}:${i + 1}: "${SEPARATOR}" without a command before it`);
    if (lines[i + 1] !== SEPARATOR) {
      throw new Error(`${file}:${i + 2}: expected "${SEPARATOR}" after the command "${line}"`);
    }
    const expected: string[] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j].trim() !== ''; j += 1) expected.push(lines[j]);
    blocks.push({ leading, command: line, line: i + 1, expected });
    leading = [];
    i = j - 1;
  }
  if (leading.length > 0) blocks.push({ leading, command: '', line: lines.length, expected: [] });
  return blocks;
}

/** parseCommand splits a command line into its name, words and key=value arguments. */
export function parseCommand(text: string, where: string): ScenarioCommand {
  const [name, ...rest] = text.trim().split(/\s+/);
  const words: string[] = [];
  const args = new Map<string, string>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq <= 0) {
      words.push(part);
    } else {
      const key = part.slice(0, eq);
      if (args.has(key)) throw new Error(`${where}: argument ${key} given twice`);
      args.set(key, part.slice(eq + 1));
    }
  }
  return { name, words, args, where };
}

/** intArg reads a positive integer argument, or its default; anything else names the command. */
export function intArg(cmd: ScenarioCommand, key: string, defaultValue: number): number {
  const raw = cmd.args.get(key);
  if (raw === undefined) return defaultValue;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${cmd.where}: ${key} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * runScenario runs a script: each block's command through its handler, in order, against one
 * environment. A handler that throws fails the run naming the block; an empty output reads "ok".
 */
export function runScenario<Env>(text: string, file: string, env: Env, handlers: Record<string, Handler<Env>>): ScenarioResult {
  const out: string[] = [];
  const mismatches: string[] = [];
  for (const block of parseScenario(text, file)) {
    out.push(...block.leading);
    if (block.command === '') continue;
    const where = `${file}:${block.line}`;
    const cmd = parseCommand(block.command, where);
    const handler = Object.hasOwn(handlers, cmd.name) ? handlers[cmd.name] : undefined;
    if (handler === undefined) {
      throw new Error(`${where}: unknown command ${JSON.stringify(cmd.name)}; expected one of ${Object.keys(handlers).join(', ')}`);
    }
    let actual = handler(env, cmd);
    if (actual.length === 0) actual = ['ok'];
    // A blank line would end the block: outputs must not contain one.
    actual = actual.map((l) => (l.trim() === '' ? '.' : l.trimEnd()));
    out.push(block.command, SEPARATOR, ...actual);
    if (actual.join('\n') !== block.expected.join('\n')) {
      mismatches.push(`${where}: ${block.command}\n${lineDiff(block.expected, actual)}`);
    }
  }
  return { rewritten: `${out.join('\n')}\n`, mismatches };
}

/**
 * lineDiff: a minimal line diff (longest common subsequence): "-" lines are expected but
 * missing, "+" lines are output but not expected, "  " lines agree.
 */
export function lineDiff(expected: string[], actual: string[]): string {
  const n = expected.length;
  const m = actual.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lcs[i][j] = expected[i] === actual[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const rows: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) {
      rows.push(`  ${expected[i]}`);
      i += 1;
      j += 1;
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      rows.push(`+ ${actual[j]}`);
      j += 1;
    } else {
      rows.push(`- ${expected[i]}`);
      i += 1;
    }
  }
  return rows.join('\n');
}

/**
 * checkScenarioFile runs the script at `path` in a fresh environment. With REWRITE=1 it writes
 * the actual outputs back; otherwise it throws a readable diff of every block that differs.
 */
export function checkScenarioFile<Env>(path: string, makeEnv: () => Env, handlers: Record<string, Handler<Env>>): void {
  const text = readFileSync(path, 'utf8');
  const result = runScenario(text, path, makeEnv(), handlers);
  if (process.env.REWRITE === '1') {
    if (result.rewritten !== text) writeFileSync(path, result.rewritten);
    return;
  }
  if (result.mismatches.length > 0) {
    throw new Error(`${result.mismatches.length} block(s) differ (REWRITE=1 regenerates ${path}):\n\n${result.mismatches.join('\n\n')}`);
  }
}
