// control/commands/check-workload.ts — `check FILE|DIR --workload W`: a workload's own checker on a history.
import { isOracleResult, withOracle } from '../runner/oracle-result.ts';
import { faultRoles } from '../../nemesis/faults/registry.ts';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalModel } from '../../checker/elle/index.ts';
import { detectFormat, parseHistoryFormat, type HistoryFormat, type HistoryFormatName } from '../../history/read.ts';
import { CheckProgress } from './check-progress.ts';
import { txnCheckFor } from '../../history/txn-check.ts';
import { getWorkload, WORKLOAD_NAMES } from '../../workloads/index.ts';
import type { WorkloadResult } from '../../workloads/types.ts';
import { exitCodeFor, UsageError } from '../exit-codes.ts';
import { verdictLines } from '../verdict-lines.ts';
import { checkWritableFile, writeFlagFile } from '../files.ts';
import { runVerdict } from '../runner/verdict.ts';
import { outFlag, toJson, TXN_WORKLOADS } from './check-output.ts';
import { withLocatedErrors } from '../../history/located.ts';
import { isRegularFile } from '../../history/jsonl.ts';
import { opStats } from '../../history/stats.ts';

type TxnWorkload = (typeof TXN_WORKLOADS)[number];

/** WorkloadCheckRequest: the history, the run around it (if any) and the flags that matter. */
export interface WorkloadCheckRequest {
  historyPath: string;
  runDir?: string;
  workload: string;
  /** where the workload name came from, for errors: a flag or the run's test.json. */
  workloadSource: string;
  format?: HistoryFormatName;
  consistencyModel?: string;
  timeoutS?: number;
  json?: boolean;
  out?: string;
}

function isTxnWorkload(name: string): name is TxnWorkload {
  return (TXN_WORKLOADS as readonly string[]).includes(name);
}

// A run directory's history is ours (JSONL); a file may be ours or Jepsen/Elle EDN. A pipe is
// read once, so its format is known only after reading (checkFormat).
async function formatOf(request: WorkloadCheckRequest): Promise<HistoryFormat | undefined> {
  if (request.runDir !== undefined) return 'jsonl';
  if (request.format !== undefined) return checkFormat(request, parseHistoryFormat(request.format));
  return isRegularFile(request.historyPath) ? checkFormat(request, await detectFormat(request.historyPath)) : undefined;
}

function checkFormat(request: WorkloadCheckRequest, format: HistoryFormat): HistoryFormat {
  if (format !== 'jsonl' && format !== 'edn') {
    throw new UsageError(`check: ${request.historyPath}: --workload ${request.workload} reads JSONL or Jepsen/Elle EDN histories, not ${format}`);
  }
  return format;
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

function validate(request: WorkloadCheckRequest): void {
  if (!WORKLOAD_NAMES.includes(request.workload)) {
    throw new UsageError(`check: ${request.workloadSource}: expected one of ${WORKLOAD_NAMES.join(', ')}, got "${request.workload}"`);
  }
  if (request.runDir === undefined && !isTxnWorkload(request.workload)) {
    throw new UsageError(`check: --workload: a history file is checked as ${TXN_WORKLOADS.join(' or ')} (other workloads: check their run directory, or use --model), got "${request.workload}"`);
  }
  if (request.consistencyModel !== undefined) {
    try {
      canonicalModel(request.consistencyModel);
    } catch (error) {
      throw new UsageError(`check: --consistency-model: ${(error as Error).message}`);
    }
  }
}

/**
 * checkWorkloadHistory runs a workload's checker on a history (as Jepsen's analyze does):
 * a run directory's results.json is updated in place, keeping what the runner measured; a
 * file's result goes to --out only. Txn histories are checked op by op as they are read, so a
 * malformed one is FILE:LINE: expected ... (exit 3).
 */
export async function checkWorkloadHistory(request: WorkloadCheckRequest): Promise<void> {
  validate(request);
  const resultsPath = request.out ?? (request.runDir === undefined ? undefined : path.join(request.runDir, 'results.json'));
  // Everything that could refuse the result is checked before the (possibly long) check.
  if (resultsPath !== undefined) checkWritableFile(outFlag(request.out), resultsPath);
  const previous = request.runDir !== undefined && resultsPath !== undefined ? await readPreviousResults(resultsPath) : {};
  const format = await formatOf(request);
  const check = isTxnWorkload(request.workload) ? txnCheckFor(request.workload) : undefined;
  const progress = new CheckProgress();
  const { located, format: formatRead } = await progress.read(request.historyPath, { format, check });
  progress.end();
  if (format === undefined) checkFormat(request, formatRead);
  const history = located.ops;
  const timeoutMs = request.timeoutS === undefined ? undefined : request.timeoutS * 1000;
  const checker: WorkloadResult = await withLocatedErrors(located, () => getWorkload(request.workload).check(history, { timeoutMs, consistencyModel: request.consistencyModel, faultRoles: faultRoles() }));
  // A history without one successful operation is no evidence (the same rule as a run's).
  // A simulated run's safety oracle saw the cores, not the history: a re-check keeps its result and composes it in.
  const oracle = isOracleResult(previous.oracle) ? previous.oracle : undefined;
  const composed = withOracle(checker.valid, checker.anomalies, oracle);
  const verdict = runVerdict(composed.valid, opStats(history));
  const results: Record<string, unknown> = { ...previous, ...verdict, anomalies: composed.anomalies, checker, recheckedAt: new Date().toISOString() };
  if (verdict.unknownReason === undefined) delete results.unknownReason;
  if (resultsPath !== undefined) await writeFlagFile(outFlag(request.out), resultsPath, toJson(results) + '\n');
  if (request.json) process.stdout.write(toJson(results) + '\n');
  else {
    const title = `(workload ${request.workload}, ${history.length} history entries)`;
    const input = { valid: verdict.valid, anomalies: composed.anomalies, checker, oracle, unknownReason: verdict.unknownReason };
    for (const line of verdictLines(input, { title, resultsPath })) process.stdout.write(`${line}\n`);
  }
  process.exitCode = exitCodeFor(verdict.valid);
}
