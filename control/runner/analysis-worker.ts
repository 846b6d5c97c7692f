// control/runner/analysis-worker.ts — a worker thread: read a run's history and check it, or render its report.
import { parentPort } from 'node:worker_threads';
import { readHistory } from '../../history/read.ts';
import { renderReport } from '../../reports/render.ts';
import { getWorkload } from '../../workloads/index.ts';
import { opStats } from '../../history/stats.ts';
import type { AnalysisAnswer, AnalysisTask } from './bounded-analysis.ts';

/** answer runs one task; a throw becomes an `error` answer (the host turns it into unknown). */
async function answer(task: AnalysisTask): Promise<AnalysisAnswer> {
  if (task.kind === 'report') {
    await renderReport(task.runDir);
    return { kind: 'report' };
  }
  const history = await readHistory(task.historyPath, { format: 'jsonl' });
  const base = { kind: 'analysis' as const, opCount: history.length, stats: opStats(history) };
  if (task.workload === undefined) return base;
  const checker = await getWorkload(task.workload).check(history, task.checkOptions);
  return { ...base, checker };
}

const port = parentPort;
if (port === null) throw new Error('analysis-worker.ts must run in a worker thread');
// Tasks come one at a time (the host waits for each answer); the host terminates the thread.
port.on('message', (task: AnalysisTask) => {
  answer(task).then(
    (result) => port.postMessage({ type: 'done', answer: result }),
    (error: unknown) => port.postMessage({ type: 'threw', message: error instanceof Error ? error.message : String(error) }),
  );
});
