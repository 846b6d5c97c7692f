// control/commands/check.ts — `check`: a history's verdict, by a model (linearizability) or a workload checker.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { HISTORY_FORMAT_NAMES, type HistoryFormat, type HistoryFormatName } from '../../history/read.ts';
import { STDIN_PATH } from '../../history/lines.ts';
import { withLocatedErrors } from '../../history/located.ts';
import { getModel, MODEL_NAMES, MODEL_SEMANTICS, supportsSemantics } from '../../checker/models/index.ts';
import type { ModelSemantics } from '../../checker/types.ts';
import { checkPaired } from '../../checker/linearizable/index.ts';
import { formatLinearizabilityResult } from '../../checker/linearizable/format.ts';
import { exitCodeFor, UsageError } from '../exit-codes.ts';
import { outFlag, toJson, TXN_WORKLOADS } from './check-output.ts';
import { CheckProgress } from './check-progress.ts';
import { cutLine } from '../verdict-lines.ts';
import { parseJsonValue, parsePositiveSeconds } from '../arg-parsers.ts';
import { checkWritableFile, writeFlagFile } from '../files.ts';


interface CheckFlags {
  model?: string;
  format?: HistoryFormatName;
  semantics?: ModelSemantics;
  workload?: string;
  consistencyModel?: string;
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
  if (flags.out !== undefined) checkWritableFile('--out', flags.out);
  const target = await resolveTarget(input);
  if (flags.workload !== undefined && flags.model !== undefined) throw new UsageError('check: --workload and --model exclude each other');
  const storedWorkload = target.runDir !== undefined && flags.model === undefined ? target.test?.options?.workload : undefined;
  const workload = flags.workload ?? storedWorkload;
  if (workload !== undefined) {
    // Loaded here: the workloads and their database clients cost a model check more CPU than its search.
    const { checkWorkloadHistory } = await import('./check-workload.ts');
    return checkWorkloadHistory({
      historyPath: target.historyPath,
      runDir: target.runDir,
      workload,
      workloadSource: flags.workload !== undefined ? '--workload' : `${target.runDir}/test.json: options.workload`,
      format: flags.format,
      consistencyModel: flags.consistencyModel ?? target.test?.options?.consistencyModel,
      timeoutS: flags.timeout ?? target.test?.options?.checkTimeoutS,
      json: flags.json,
      out: flags.out,
    });
  }
  if (flags.consistencyModel !== undefined) throw new UsageError('check: --consistency-model needs --workload list-append or rw-register');
  const modelName = flags.model ?? target.test?.model;
  if (modelName === undefined) throw new UsageError(`check: --model is required (one of ${MODEL_NAMES.join(', ')})`);
  if (!MODEL_NAMES.includes(modelName)) {
    throw new UsageError(`check: --model: expected one of ${MODEL_NAMES.join(', ')}, got "${modelName}"`);
  }
  // A run directory's results.json belongs to its workload checker: a model check goes beside it.
  const resultsPath = flags.out ?? (target.runDir === undefined ? undefined : path.join(target.runDir, `check-${modelName}.json`));
  if (resultsPath !== undefined) checkWritableFile(outFlag(flags.out), resultsPath);
  const init = flags.init !== undefined ? flags.init : target.test?.init;
  const progress = new CheckProgress();
  const { paired, locator, format } = await progress.readPaired(target.historyPath, { format: flags.format });
  const model = getModel(modelName, init, resolveSemantics(flags.semantics, modelName, format));
  const result = await withLocatedErrors(locator, () => checkPaired(paired, model, {
    timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
    strategy: flags.strategy,
    onProgress: progress.search,
  }));
  progress.end();
  const json = toJson(result);
  if (resultsPath !== undefined) await writeFlagFile(outFlag(flags.out), resultsPath, json + '\n');
  process.stdout.write(flags.json ? json + '\n' : formatLinearizabilityResult(result).split('\n').map((line) => cutLine(line)).join('\n') + '\n');
  process.exitCode = exitCodeFor(result.valid);
}

/** registerCheckCommand adds `check FILE|DIR --model M ...` to the program. */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('check a history file (JSONL, Jepsen/Knossos/Elle EDN, Porcupine logs) or a stored run directory: linearizability (--model) or a workload\'s checker (--workload)')
    .argument('<history>', 'history file (- for stdin), or a run directory holding history.jsonl')
    .addOption(new Option('-m, --model <model>', `model: ${MODEL_NAMES.join(', ')}`))
    .addOption(new Option('-w, --workload <workload>', `check as a workload (${TXN_WORKLOADS.join(', ')} for a history file; any workload for a run directory) instead of --model`))
    .option('--consistency-model <model>', 'with --workload list-append|rw-register: the model to check (default: the run\'s, else strict-serializable)')
    .addOption(new Option('-f, --format <format>', 'history format (default: detected from the content)').choices(HISTORY_FORMAT_NAMES))
    .addOption(new Option('--semantics <semantics>', 'how register models read nil: knossos (an ok read of nil read an unknown value) or splitbrain (it read nil); default knossos for EDN files, splitbrain otherwise').choices(MODEL_SEMANTICS))
    .option('--init <json>', 'initial value of the model, as JSON (default null; Knossos data uses 0)', parseJsonValue)
    .option('--timeout <seconds>', 'give up after this long and answer unknown', parsePositiveSeconds)
    .addOption(new Option('--strategy <strategy>', 'how partitions are searched').choices(['interleave', 'workers']))
    .option('--json', 'print the full result as JSON')
    .option('-o, --out <file>', 'write the result JSON to this file (default for a run directory: its results.json when re-running its workload checker, check-MODEL.json with --model)')
    .addHelpText('after', '\nExit codes: 0 valid (linearizable), 1 invalid, 2 unknown (timeout), 3 bad input.')
    .action(async (history: string, flags: CheckFlags) => runCheck(history, flags));
}
