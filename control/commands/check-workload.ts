// control/commands/check-workload.ts — `check FILE|DIR --workload W`: a workload's own checker on a history.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalModel } from '../../checker/elle/index.ts';
import { detectFormat, parseHistoryFormat, type HistoryFormat, type HistoryFormatName } from '../../history/read.ts';
import { CheckProgress } from './check-progress.ts';
import { txnCheckFor } from '../../history/txn-check.ts';
import { getWorkload, WORKLOAD_NAMES } from '../../workloads/index.ts';
import type { WorkloadResult } from '../../workloads/types.ts';
import { exitCodeFor, UsageError } from '../exit-codes.ts';
import { verdictLines } from '../verdict-lines.ts';

/** TXN_WORKLOADS: the workloads a bare history file (JSONL or Jepsen/Elle EDN) can be checked as. */
export const TXN_WORKLOADS = ['list-append', 'rw-register'] as const;
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

export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v === Infinity ? null : v), 2);
}

// A run directory's history is ours (JSONL); a file may be ours or Jepsen/Elle EDN.
async function formatOf(request: WorkloadCheckRequest): Promise<HistoryFormat> {
  if (request.runDir !== undefined) return 'jsonl';
  const format = request.format === undefined ? await detectFormat(request.historyPath) : parseHistoryFormat(request.format);
  if (format !== 'jsonl' && format !== 'edn') {
    throw new UsageError(`check: ${request.historyPath}: --workload ${request.workload} reads JSONL or Jepsen/Elle EDN histories, not ${format}`);
  }
  return format;
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
  const format = await formatOf(request);
  const check = isTxnWorkload(request.workload) ? txnCheckFor(request.workload) : undefined;
  const progress = new CheckProgress();
  const history = await progress.read(request.historyPath, { format, check });
  progress.end();
  const timeoutMs = request.timeoutS === undefined ? undefined : request.timeoutS * 1000;
  const checker: WorkloadResult = await getWorkload(request.workload).check(history, { timeoutMs, consistencyModel: request.consistencyModel });
  const resultsPath = request.out ?? (request.runDir === undefined ? undefined : path.join(request.runDir, 'results.json'));
  const previous = request.runDir !== undefined && resultsPath !== undefined && existsSync(resultsPath)
    ? (JSON.parse(await readFile(resultsPath, 'utf8')) as Record<string, unknown>)
    : {};
  const results = { ...previous, valid: checker.valid, anomalies: checker.anomalies, checker, recheckedAt: new Date().toISOString() };
  if (resultsPath !== undefined) await writeFile(resultsPath, toJson(results) + '\n');
  if (request.json) process.stdout.write(toJson(results) + '\n');
  else {
    const title = `(workload ${request.workload}, ${history.length} history entries)`;
    for (const line of verdictLines(results, { title, resultsPath })) process.stdout.write(`${line}\n`);
  }
  process.exitCode = exitCodeFor(checker.valid);
}
