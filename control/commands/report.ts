// control/commands/report.ts — `report DIR`: re-render a stored run's report.html.
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { loadRun, writeReport } from '../../reports/render.ts';
import { UsageError } from '../exit-codes.ts';

/** registerReportCommand adds `report DIR` to the program. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('render report.html for a stored run directory (store/<test>/<timestamp>/)')
    .argument('<dir>', 'run directory holding history.jsonl, results.json and test.json')
    .action(async (dir: string) => {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`report: ${dir}: expected a run directory`);
      if (!existsSync(`${dir}/history.jsonl`) && !existsSync(`${dir}/results.json`)) {
        throw new UsageError(`report: ${dir}: expected a run directory holding history.jsonl or results.json`);
      }
      const startMs = performance.now();
      const run = await loadRun(dir);
      const file = await writeReport(dir, run);
      process.stdout.write(`${file} (${Math.round(performance.now() - startMs)} ms)\n`);
      // The report is written either way (it shows the rest of the run); bad input still says so.
      if (run.historyError !== undefined) throw run.historyError;
    });
}
