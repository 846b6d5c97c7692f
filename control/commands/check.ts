// control/commands/check.ts — `check`: decide whether a stored history is linearizable.
import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { detectFormat, HISTORY_FORMAT_NAMES, parseHistoryFormat, readHistory, type HistoryFormat, type HistoryFormatName } from '../../history/read.ts';
import { getModel, MODEL_NAMES, MODEL_SEMANTICS, supportsSemantics } from '../../checker/models/index.ts';
import type { ModelSemantics } from '../../checker/types.ts';
import { checkLinearizable } from '../../checker/linearizable/index.ts';
import { formatLinearizabilityResult } from '../../checker/linearizable/format.ts';
import { exitCodeFor, UsageError } from '../exit-codes.ts';
import { getWorkload, WORKLOAD_NAMES } from '../../workloads/index.ts';
import { parseJsonValue, parsePositiveSeconds } from '../arg-parsers.ts';


interface CheckFlags {
  model?: string;
  format?: HistoryFormatName;
  semantics?: ModelSemantics;
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

/** resolveTarget accepts a history file or a run directory holding history.jsonl. */
async function resolveTarget(input: string): Promise<CheckTarget> {
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
  const history = await readHistory(target.historyPath, { format: 'jsonl' });
  const timeoutS = flags.timeout ?? target.test?.options?.checkTimeoutS;
  const consistencyModel = target.test?.options?.consistencyModel;
  const checker = await getWorkload(workloadName).check(history, { timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000, consistencyModel });
  const resultsPath = flags.out ?? path.join(target.runDir, 'results.json');
  const previous = existsSync(resultsPath) ? (JSON.parse(await readFile(resultsPath, 'utf8')) as Record<string, unknown>) : {};
  const results = { ...previous, valid: checker.valid, anomalies: checker.anomalies, checker, recheckedAt: new Date().toISOString() };
  await writeFile(resultsPath, toJson(results) + '\n');
  if (flags.json) process.stdout.write(toJson(results) + '\n');
  else {
    const verdict = checker.valid === true ? 'valid' : checker.valid === false ? 'INVALID' : 'unknown';
    process.stdout.write(`${verdict} (workload ${workloadName}, ${history.length} history entries) -> ${resultsPath}\n`);
    for (const anomaly of checker.anomalies) process.stdout.write(`  ${anomaly}\n`);
  }
  process.exitCode = exitCodeFor(checker.valid);
}

/**
 * resolveSemantics: --semantics when given (if the model has it); otherwise Knossos's for
 * EDN files (Jepsen/Knossos histories) of models Knossos defines, ours for everything else.
 */
function resolveSemantics(flag: ModelSemantics | undefined, modelName: string, format: HistoryFormat): ModelSemantics {
  if (flag !== undefined) {
    if (!supportsSemantics(modelName, flag)) {
      throw new UsageError(`check: --semantics ${flag}: model ${modelName} has only its own semantics (it follows Porcupine); omit --semantics`);
    }
    return flag;
  }
  return format === 'edn' && supportsSemantics(modelName, 'knossos') ? 'knossos' : 'splitbrain';
}

async function runCheck(input: string, flags: CheckFlags): Promise<void> {
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
  const init = flags.init !== undefined ? flags.init : target.test?.init;
  const format = flags.format === undefined ? await detectFormat(target.historyPath) : parseHistoryFormat(flags.format);
  const model = getModel(modelName, init, resolveSemantics(flags.semantics, modelName, format));
  const history = await readHistory(target.historyPath, { format });
  const result = await checkLinearizable(history, model, {
    timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
    strategy: flags.strategy,
  });
  const json = toJson(result);
  // A run directory's results.json belongs to its workload checker: a model check goes beside it.
  const resultsPath = flags.out ?? (target.runDir === undefined ? undefined : path.join(target.runDir, `check-${modelName}.json`));
  if (resultsPath !== undefined) await writeFile(resultsPath, json + '\n');
  process.stdout.write(flags.json ? json + '\n' : formatLinearizabilityResult(result) + '\n');
  process.exitCode = exitCodeFor(result.valid);
}

/** registerCheckCommand adds `check FILE|DIR --model M ...` to the program. */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('check a history file (JSONL, Jepsen/Knossos EDN, Porcupine logs) or a stored run directory for linearizability')
    .argument('<history>', 'history file, or a run directory holding history.jsonl')
    .addOption(new Option('-m, --model <model>', `model: ${MODEL_NAMES.join(', ')}`))
    .addOption(new Option('-f, --format <format>', 'history format (default: detected from the content)').choices(HISTORY_FORMAT_NAMES))
    .addOption(new Option('--semantics <semantics>', 'how register models read nil: knossos (an ok read of nil read an unknown value) or splitbrain (it read nil); default knossos for EDN files, splitbrain otherwise').choices(MODEL_SEMANTICS))
    .option('--init <json>', 'initial value of the model, as JSON (default null; Knossos data uses 0)', parseJsonValue)
    .option('--timeout <seconds>', 'give up after this long and answer unknown', parsePositiveSeconds)
    .addOption(new Option('--strategy <strategy>', 'how partitions are searched').choices(['interleave', 'workers']))
    .option('--json', 'print the full result as JSON')
    .option('-o, --out <file>', 'write the result JSON to this file (default for a run directory: its results.json when re-running its workload checker, check-MODEL.json with --model)')
    .addHelpText('after', '\nExit codes: 0 linearizable, 1 not linearizable, 2 unknown (timeout), 3 bad input.')
    .action(async (history: string, flags: CheckFlags) => runCheck(history, flags));
}
