// control/sim/run-seed.ts — one simulated run in memory: the same case as `test --cluster sim`, checked in this thread, nothing stored.
//
// A sweep runs thousands of these; a seed worth keeping is re-run by `test --cluster sim --seed N`,
// which replays it exactly and stores it like any run.
import { faultRoles } from '../../nemesis/faults/registry.ts';
import type { Verdict } from '../../checker/types.ts';
import type { Op } from '../../history/op.ts';
import { opStats } from '../../history/stats.ts';
import type { ScheduledNemesisOp } from '../../nemesis/types.ts';
import { getWorkload } from '../../workloads/index.ts';
import type { TestOptions } from '../config.ts';
import { simParts } from '../runner/parts.ts';
import type { PhaseTimes } from '../runner/phases.ts';
import { caseSchedule, caseSeeds, runCase } from '../runner/run-case.ts';
import type { RunnerParts } from '../runner/run-test.ts';
import { runVerdict } from '../runner/verdict.ts';
import { oracleResult, withOracle, type OracleResult } from '../runner/oracle-result.ts';
import { firstInvalidPrefix } from './first-detection.ts';

/** SeedOutcome: what a sweep keeps of one seed. */
export interface SeedOutcome {
  seed: number;
  valid: Verdict;
  anomalies: string[];
  opCount: number;
  /** faultCount: nemesis ops applied (invokes). */
  faultCount: number;
  /** virtualMs: simulated time the run took; wallMs: real time, checking included. */
  virtualMs: number;
  wallMs: number;
  error?: string;
  unknownReason?: string;
  /**
   * firstDetection: asked for and invalid: the virtual time (ms since the test started) of the
   * last op of the shortest prefix the checker already rejects, and that prefix's op count.
   */
  firstDetection?: { atMs: number; opCount: number };
}

/** SeedRunOptions: what else to work out about a run. */
export interface SeedRunOptions {
  /** schedule replaces the run's nemesis schedule (shrinking tries smaller ones). */
  schedule?: ScheduledNemesisOp[];
  /** firstDetection: for an invalid run, search for the shortest invalid prefix (bench:detect). */
  firstDetection?: boolean;
}

/** SeedRun: a SeedOutcome and, when asked for, the history. */
export interface SeedRun {
  outcome: SeedOutcome;
  history: Op[];
  /** stagings: how many stagings of the reactive nemesis reached their last step (0 without one), so a valid control can show it was tested. */
  stagings: number;
}

/** simulateSeed runs opts (a --cluster sim run) in memory and checks its history here. */
export async function simulateSeed(opts: TestOptions, how: SeedRunOptions = {}): Promise<SeedRun> {
  const { schedule } = how;
  const wallStartMs = performance.now();
  const seeds = caseSeeds(opts.seed);
  const workload = getWorkload(opts.workload);
  const history: Op[] = [];
  let parts: RunnerParts | undefined;
  let error: string | undefined;
  let virtualMs = 0;
  let oracle: OracleResult | undefined;
  let stagings = 0;
  try {
    parts = await simParts(opts, { dataDir: '', logDir: '', nemesisRng: seeds.nemesisRng, collectsLogs: false });
    if (schedule !== undefined) parts.schedule = schedule;
    const caseOps = caseSchedule(opts, parts, seeds);
    const phases: PhaseTimes = {};
    const state = { phase: 'main', startMs: 0, mainDeadlineMs: Infinity };
    await runCase({ opts, workload, parts, seeds, schedule: caseOps, sink: { append: (op) => history.push(op) }, signal: new AbortController().signal, phases, state });
    virtualMs = parts.simulation?.timers.nowMs() ?? 0;
    const violations = parts.simulation?.safetyViolations?.() ?? null;
    if (violations !== null) oracle = oracleResult(opts.db, violations);
    stagings = parts.simulation?.stagings?.() ?? 0;
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  } finally {
    await parts?.cluster.teardown();
  }
  const base = { seed: opts.seed, opCount: history.length, faultCount: history.filter((op) => op.process === 'nemesis' && op.type === 'invoke').length, virtualMs };
  if (error !== undefined) {
    return { outcome: { ...base, valid: 'unknown', anomalies: [], error, wallMs: performance.now() - wallStartMs }, history, stagings };
  }
  const stats = opStats(history);
  const checkOptions = { timeoutMs: opts.checkTimeoutS * 1000, consistencyModel: opts.consistencyModel, faultRoles: faultRoles() };
  const checker = await workload.check(history, checkOptions);
  const composed = withOracle(checker.valid, checker.anomalies, oracle);
  const verdict = runVerdict(composed.valid, stats);
  const wallMs = performance.now() - wallStartMs;
  const found = verdict.valid === false && how.firstDetection === true ? await firstDetection(history, checker.valid, oracle, async (prefix) => (await workload.check(prefix, checkOptions)).valid) : null;
  return {
    outcome: {
      ...base, valid: verdict.valid, anomalies: composed.anomalies, ...(verdict.unknownReason === undefined ? {} : { unknownReason: verdict.unknownReason }), wallMs,
      ...(found === null ? {} : { firstDetection: { atMs: found.atMs, opCount: found.opCount } }),
    },
    history,
    stagings,
  };
}

/**
 * firstDetection: the earlier of the oracle's first violation (it is seen as it happens) and
 * the shortest history prefix the checker rejects (only when the history itself is invalid).
 */
async function firstDetection(history: readonly Op[], checkerValid: Verdict, oracle: OracleResult | undefined, check: (prefix: readonly Op[]) => Promise<Verdict>): Promise<{ atMs: number; opCount: number } | null> {
  const fromHistory = checkerValid === false ? await firstInvalidPrefix(history, check) : null;
  const first = oracle?.violations[0];
  if (first === undefined) return fromHistory;
  if (fromHistory !== null && fromHistory.atMs <= first.atMs) return fromHistory;
  // The ops recorded by the oracle's violation: those a reader of the history had seen by then.
  const opCount = history.filter((op) => (op.time ?? 0) / 1e6 <= first.atMs).length;
  return { atMs: first.atMs, opCount };
}
