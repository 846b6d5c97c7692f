// control/commands/check.ts — `check`: decide whether a stored history is linearizable.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { STDIN_PATH } from '../../history/lines.ts';
import { readLocatedHistory, withLocatedErrors } from '../../history/located.ts';
import { HISTORY_FORMAT_NAMES, type HistoryFormatName } from '../../history/read.ts';
import { getModel, MODEL_NAMES } from '../../checker/models/index.ts';
import { checkLinearizable } from '../../checker/linearizable/index.ts';
import { formatLinearizabilityResult } from '../../checker/linearizable/format.ts';
import { exitCodeFor, UsageError } from '../exit-codes.ts';
import { getWorkload, WORKLOAD_NAMES } from '../../workloads/index.ts';
import { parseJsonValue, parsePositiveSeconds } from '../arg-parsers.ts';
import { runVerdict } from '../runner/verdict.ts';
import { checkWritableFile, writeFlagFile } from '../files.ts';
import { opStats } from '../../history/stats.ts';


interface CheckFlags {
  model?: string;
  format?: HistoryFormatName;
  init?: unknown;
  timeout?: number;
  json?: boolean;
  out?: string;
  strategy?: 'interleave' | 'workers';
}

/** CheckTarget: where the history is read from, and the stored run around it (if any). */
interface CheckTarget {
  historyPath: string;
  runDir?: string;
  test?: StoredTest;
}

/** StoredTest: the parts of a run's test.json that `check DIR` uses. */
interface StoredTest {
  model?: string;
  init?: unknown;
  options?: { workload?: string; checkTimeoutS?: number; consistencyModel?: string };
}

/** resolveTarget accepts a history file, `-` (stdin) or a run directory holding history.jsonl. */
async function resolveTarget(input: string): Promise<CheckTarget> {
  if (input === STDIN_PATH) return { historyPath: input };
  if (!existsSync(input)) throw new UsageError(`check: ${input}: no such file or directory`);
  if (!statSync(input).isDirectory()) return { historyPath: input };
  const historyPath = path.join(input, 'history.jsonl');
  if (!existsSync(historyPath)) throw new UsageError(`check: ${input}: expected a history file or a run directory holding history.jsonl`);
  const testPath = path.join(input, 'test.json');
  const target: CheckTarget = { historyPath, runDir: input };
  if (existsSync(testPath)) {
    try {
      target.test = JSON.parse(await readFile(testPath, 'utf8')) as StoredTest;
    } catch (error) {
      throw new UsageError(`check: ${testPath}: expected JSON (${(error as Error).message})`);
    }
  }
  return target;
}

function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v === Infinity ? null : v), 2);
}

/**
 * recheckRun re-runs a stored run's own workload checker (as Jepsen's analyze does) and
 * updates its results.json in place, keeping the stats the runner measured.
 */
async function recheckRun(target: CheckTarget & { runDir: string }, workloadName: string, flags: CheckFlags): Promise<void> {
  if (!WORKLOAD_NAMES.includes(workloadName)) {
    throw new UsageError(`check: ${target.runDir}/test.json: options.workload: expected one of ${WORKLOAD_NAMES.join(', ')}, got "${workloadName}"`);
  }
  const resultsPath = flags.out ?? path.join(target.runDir, 'results.json');
  // Everything that could refuse the result is checked before the (possibly long) check.
  checkWritableFile(outFlag(flags), resultsPath);
  const previous = await readPreviousResults(resultsPath);
  const located = await readLocatedHistory(target.historyPath, { format: 'jsonl' });
  const history = located.ops;
  const timeoutS = flags.timeout ?? target.test?.options?.checkTimeoutS;
  const consistencyModel = target.test?.options?.consistencyModel;
  const checker = await withLocatedErrors(located, () => getWorkload(workloadName).check(history, { timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000, consistencyModel }));
  const verdict = runVerdict(checker.valid, opStats(history));
  const results = { ...previous, ...verdict, anomalies: checker.anomalies, checker, recheckedAt: new Date().toISOString() };
  if (verdict.unknownReason === undefined) delete results.unknownReason;
  await writeFlagFile(outFlag(flags), resultsPath, toJson(results) + '\n');
  if (flags.json) process.stdout.write(toJson(results) + '\n');
  else {
    const text = verdict.valid === true ? 'valid' : verdict.valid === false ? 'INVALID' : 'unknown';
    process.stdout.write(`${text} (workload ${workloadName}, ${history.length} history entries) -> ${resultsPath}\n`);
    if (verdict.unknownReason !== undefined) process.stdout.write(`  ${verdict.unknownReason}\n`);
    for (const anomaly of checker.anomalies) process.stdout.write(`  ${anomaly}\n`);
  }
  process.exitCode = exitCodeFor(verdict.valid);
}

// outFlag names where a result file came from, for errors: the --out flag or the run directory.
function outFlag(flags: CheckFlags): string {
  return flags.out === undefined ? 'check RUN-DIR' : '--out';
}

/** readPreviousResults reads the results.json a re-check updates; corrupt JSON is bad input. */
async function readPreviousResults(resultsPath: string): Promise<Record<string, unknown>> {
  if (!existsSync(resultsPath)) return {};
  try {
    const previous = JSON.parse(await readFile(resultsPath, 'utf8')) as unknown;
    if (typeof previous !== 'object' || previous === null || Array.isArray(previous)) throw new Error(`got ${typeof previous}`);
    return previous as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`check: ${resultsPath}: expected a JSON object (${(error as Error).message}); move it away to re-check from scratch`);
  }
}

async function runCheck(input: string, flags: CheckFlags): Promise<void> {
  if (flags.out !== undefined) checkWritableFile('--out', flags.out);
  const target = await resolveTarget(input);
  const workloadName = target.test?.options?.workload;
  if (target.runDir !== undefined && flags.model === undefined && workloadName !== undefined) {
    return recheckRun({ ...target, runDir: target.runDir }, workloadName, flags);
  }
  const modelName = flags.model ?? target.test?.model;
  if (modelName === undefined) throw new UsageError(`check: --model is required (one of ${MODEL_NAMES.join(', ')})`);
  if (!MODEL_NAMES.includes(modelName)) {
    throw new UsageError(`check: --model: expected one of ${MODEL_NAMES.join(', ')}, got "${modelName}"`);
  }
  // A run directory's results.json belongs to its workload checker: a model check goes beside it.
  const resultsPath = flags.out ?? (target.runDir === undefined ? undefined : path.join(target.runDir, `check-${modelName}.json`));
  if (resultsPath !== undefined) checkWritableFile(outFlag(flags), resultsPath);
  const init = flags.init !== undefined ? flags.init : target.test?.init;
  const model = getModel(modelName, init);
  const located = await readLocatedHistory(target.historyPath, { format: flags.format });
  const result = await withLocatedErrors(located, () => checkLinearizable(located.ops, model, {
    timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
    strategy: flags.strategy,
  }));
  const json = toJson(result);
  if (resultsPath !== undefined) await writeFlagFile(outFlag(flags), resultsPath, json + '\n');
  process.stdout.write(flags.json ? json + '\n' : formatLinearizabilityResult(result) + '\n');
  process.exitCode = exitCodeFor(result.valid);
}

/** registerCheckCommand adds `check FILE|DIR --model M ...` to the program. */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('check a history file (JSONL, Jepsen/Knossos EDN, Porcupine logs) or a stored run directory for linearizability')
    .argument('<history>', 'history file (- for stdin), or a run directory holding history.jsonl')
    .addOption(new Option('-m, --model <model>', `model: ${MODEL_NAMES.join(', ')}`))
    .addOption(new Option('-f, --format <format>', 'history format (default: detected from the content)').choices(HISTORY_FORMAT_NAMES))
    .option('--init <json>', 'initial value of the model, as JSON (default null; Knossos data uses 0)', parseJsonValue)
    .option('--timeout <seconds>', 'give up after this long and answer unknown', parsePositiveSeconds)
    .addOption(new Option('--strategy <strategy>', 'how partitions are searched').choices(['interleave', 'workers']))
    .option('--json', 'print the full result as JSON')
    .option('-o, --out <file>', 'write the result JSON to this file (default for a run directory: its results.json when re-running its workload checker, check-MODEL.json with --model)')
    .addHelpText('after', '\nExit codes: 0 linearizable, 1 not linearizable, 2 unknown (timeout), 3 bad input.')
    .action(async (history: string, flags: CheckFlags) => runCheck(history, flags));
}
