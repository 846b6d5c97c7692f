// control/runner/run-test.ts — one test run: cluster up, phases, history, check, store, teardown.
import { faultRoles } from '../../nemesis/faults/registry.ts';
import { createReadStream, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { registerCleanup } from '../../cluster/cleanup.ts';
import { removeDeadOwnersDirs, TEMP_DIR_PREFIX, writeOwnerFile } from '../../cluster/owner.ts';
import { type Cluster, hasMachineryHealth } from '../../cluster/types.ts';
import type { Db } from '../../db/types.ts';
import type { Verdict } from '../../checker/types.ts';
import { HistoryWriter } from '../../history/jsonl.ts';
import type { Op } from '../../history/op.ts';
import type { ScheduledNemesisOp } from '../../nemesis/types.ts';
import type { SeededRng } from '../../lib/rng.ts';
import { REAL_TIMERS, type Timers } from '../../lib/timers.ts';
import { getWorkload } from '../../workloads/index.ts';
import { opStats, type OpStats } from '../../history/stats.ts';
import type { Workload, WorkloadResult } from '../../workloads/types.ts';
import { reproduceCommand, type TestOptions } from '../config.ts';
import { exitCodeFor } from '../exit-codes.ts';
import { RunProgress, type ProgressOutput } from '../progress.ts';
import { createRunDir, splitbrainVersion, updateLatest, writeJson, type RunDir } from '../store.ts';
import { fsErrorText, isFsError, OutputError } from '../files.ts';
import { verdictLines } from '../verdict-lines.ts';
import { BoundedAnalysis, type AnalysisLimits } from './bounded-analysis.ts';
import type { ClientFactory } from './interpreter.ts';
import { packetNotes, type NemesisDriver } from './nemesis-driver.ts';
import type { PhaseTimes } from './phases.ts';
import type { HistorySink, Recorder } from './recorder.ts';
import { caseSchedule, caseSeeds, runCase } from './run-case.ts';
import { RoleSampler } from './roles.ts';
import { runVerdict } from './verdict.ts';
import { composeVerdicts } from '../../checker/types.ts';
import type { SafetyViolation } from '../../rsm/core/types.ts';
import { oracleResult, withOracle, type OracleResult } from './oracle-result.ts';

/** RunnerParts: the pluggable pieces of a run (real: a Db on a LocalCluster, its clients, nemesis/). */
export interface RunnerParts {
  /** The Db the cluster runs (absent for the fake cluster): its setup runs after the cluster's, its teardown before. */
  db?: Db;
  cluster: Cluster;
  clients: ClientFactory;
  nemesis: NemesisDriver;
  /** schedule replaces the seeded combined schedule (a --nemesis-schedule file). */
  schedule?: ScheduledNemesisOp[];
  /** simulation: the cluster is simulated; the phases run on its virtual time (--cluster sim). */
  simulation?: Simulation;
  /** quietPeriodMs: the Db's (Db.quietPeriodMs), set by every factory — the simulator's Db is not in `db`. */
  quietPeriodMs?: number;
}

/**
 * Simulation: what a simulated cluster gives the runner: its virtual timers, `drive` (runs the
 * world's events until a task settles) and every knob the seed chose, printed first and
 * stored in test.json.
 */
export interface Simulation {
  timers: Timers;
  drive<T>(task: Promise<T>): Promise<T>;
  knobs: Record<string, unknown>;
  /** safetyViolations: what the protocol's safety oracle saw (null: the protocol has none). */
  safetyViolations?(): readonly SafetyViolation[] | null;
  /** stagings: how many stagings of the reactive nemesis reached their last step (ReactiveNemesis.stagings). */
  stagings?(): number;
}

/** PartsEnv: what a parts factory gets: temp directories and its own fork of the seed. */
export interface PartsEnv {
  dataDir: string;
  logDir: string;
  nemesisRng: SeededRng;
  /** collectsLogs: false when nobody will collect the nodes' logs (a sweep's run in memory), so a simulated cluster keeps none. */
  collectsLogs?: boolean;
}

export type PartsFactory = (opts: TestOptions, env: PartsEnv) => Promise<RunnerParts>;

/** RunIO: how the run talks to the outside; all optional. */
export interface RunIO {
  signal?: AbortSignal;
  progressOut?: ProgressOutput;
  log?: (line: string) => void;
  /** Caps ops per thread in the main phase (tests: a fixed op count instead of a time limit). */
  opsPerThreadMax?: number;
}

/** RunResults: what results.json holds. */
export interface RunResults {
  kind: 'run';
  valid: Verdict;
  testName: string;
  seed: number;
  anomalies: string[];
  interrupted: boolean;
  /** error: why the run itself did not complete (a throw, a teardown failure, an interrupt). */
  error?: string;
  /** checkerError: why the history has no verdict although the run completed (out of memory, out of time, a throw in the checker). */
  checkerError?: string;
  /** unknownReason: why the verdict is unknown when the checker itself did not say (no evidence). */
  unknownReason?: string;
  /** cutShort: why the run stopped early of its own accord (its history could not be written). */
  cutShort?: string;
  opCount: number;
  phases: PhaseTimes;
  stats: OpStats;
  checker?: WorkloadResult;
  /** oracle: a simulated run's safety oracle (a Raft run's Figure 3 properties), composed into `valid`. */
  oracle?: OracleResult;
}

/** RunOutcome: the verdict, its exit code and where the run is stored. */
export interface RunOutcome {
  valid: Verdict;
  exitCode: number;
  run: RunDir;
  results: RunResults;
}

/**
 * TeeSink appends to the history file and keeps the ops in memory for the final generator. A
 * history write failure goes to `onFailure` (which stops the run) instead of into the client
 * thread that happened to record the op.
 */
class TeeSink implements HistorySink {
  readonly ops: Op[] = [];
  constructor(private readonly writer: HistoryWriter, private readonly onFailure: (error: unknown) => void) {}
  append(op: Op): void {
    this.ops.push(op);
    try {
      this.writer.append(op);
    } catch (error) {
      this.onFailure(error);
    }
  }
}

/** HistoryFailure: the first failed write of history.jsonl, which cut the run short. */
interface HistoryFailure {
  error: unknown;
  opsRecorded: number;
}

/**
 * runTest runs one test. One seed forks, in a fixed order, the generator rng (then one fork
 * per thread), the schedule rng and the nemesis rng, so a seed fixes every choice. Whatever
 * happens — success, failure, a throw, an abort — the cluster is torn down and temp
 * directories removed before runTest returns or throws.
 */
export async function runTest(opts: TestOptions, makeParts: PartsFactory, io: RunIO = {}): Promise<RunOutcome> {
  const log = io.log ?? (() => undefined);
  // The run's own abort: the caller's signal, or cluster/cleanup's signal handling (below).
  const controller = new AbortController();
  const signal = controller.signal;
  if (io.signal?.aborted === true) controller.abort();
  io.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const seeds = caseSeeds(opts.seed);
  const workload = getWorkload(opts.workload);
  const run = await createRunDir(opts.store, opts.name);
  log(`${opts.name} seed ${opts.seed} -> ${run.dir}`);
  let historyFailure: HistoryFailure | undefined;
  // A history that cannot be written (a full disk) stops the run at once; the prefix on disk is checked.
  const onHistoryFailure = (error: unknown): void => {
    if (historyFailure !== undefined) return;
    historyFailure = { error, opsRecorded: sink.ops.length };
    log(`${opts.name} seed ${opts.seed}: history.jsonl: write failed (${fsErrorText(error)}): stopping the run`);
    controller.abort();
  };
  const writer = await startRunDir(run, testJson(opts, workload, undefined), onHistoryFailure);
  // What an earlier run whose control node died left in the temp dir goes now (its nodes went with it).
  for (const dir of removeDeadOwnersDirs()) log(`removed ${dir}, left by a run whose control node is gone`);
  const tempDir = await mkdtemp(path.join(os.tmpdir(), TEMP_DIR_PREFIX));
  writeOwnerFile(tempDir);
  const registration = registerRun(opts.name, controller, tempDir);
  const sink = new TeeSink(writer, onHistoryFailure);
  const phases: PhaseTimes = {};
  let parts: RunnerParts | undefined;
  let crash: unknown;
  let progress: RunProgress | undefined;
  let roles: RoleSampler | undefined;
  let oracle: OracleResult | undefined;
  try {
    // Node logs are written straight into the store, so they survive even a SIGKILLed control node.
    const env: PartsEnv = { dataDir: path.join(tempDir, 'data'), logDir: run.logsDir, nemesisRng: seeds.nemesisRng };
    const p = await makeParts(opts, env);
    parts = p;
    const schedule = caseSchedule(opts, p, seeds);
    for (const note of packetNotes(opts, p.cluster, schedule)) log(`${opts.name} seed ${opts.seed}: ${note}`);
    const sim = p.simulation;
    if (sim !== undefined) log(`${opts.name} seed ${opts.seed}: simulated: ${knobsLine(sim.knobs)}`);
    await writeJson(run.testJson, testJson(opts, workload, schedule, sim?.knobs));
    const state = { phase: 'main', startMs: 0, mainDeadlineMs: Infinity };
    const timers = sim?.timers ?? REAL_TIMERS;
    await runCase({
      opts, workload, parts: p, seeds, schedule, sink, signal, phases, state, opsPerThreadMax: io.opsPerThreadMax,
      onRecorder: (recorder) => {
        // Roles are sampled on real time from real nodes; a simulated world has no such clock to sample on.
        if (sim === undefined) {
          roles = new RoleSampler(p.cluster, run.rolesJsonl, () => recorder.elapsedNs());
          roles.start();
        }
        if (io.progressOut !== undefined) progress = startProgress(io.progressOut, p.nemesis, recorder, state, timers);
      },
    });
    const violations = sim?.safetyViolations?.() ?? null;
    if (violations !== null) oracle = oracleResult(opts.db, violations);
    // A host the cluster lost (--cluster ssh) makes the run crashed: its history says nothing about the system.
    const broken = machineryFault(p.cluster);
    if (broken !== null) throw broken;
  } catch (error) {
    crash = (parts !== undefined ? machineryFault(parts.cluster) : null) ?? error;
  } finally {
    progress?.stop();
    roles?.stop();
    crash = await cleanup(run, writer, parts, tempDir, crash, log, historyFailure !== undefined);
    // The report reads roles.jsonl: it must be complete (a sample in flight ends within its status timeout).
    await roles?.closed;
  }
  let results: RunResults;
  try {
    // One bounded worker thread reads and checks the history, then renders the report.
    const analysis = new BoundedAnalysis(analysisLimits(opts));
    try {
      results = withOracleResult(await analyze(analysis, opts, run, phases, signal.aborted && historyFailure === undefined, crash), oracle);
      if (historyFailure !== undefined) results = cutShort(results, historyFailure);
      await saveResults(run, results, log);
      await writeReport(analysis, run.dir, log);
    } finally {
      await analysis.close();
    }
  } finally {
    registration.unregister();
  }
  if (results.checkerError !== undefined) log(`${opts.name} seed ${opts.seed}: no verdict: ${results.checkerError}`);
  if (results.unknownReason !== undefined) log(`${opts.name} seed ${opts.seed}: ${results.unknownReason}`);
  // A short verdict, one example per anomaly type; the full text is in results.json and the report.
  for (const line of verdictLines(results, { title: `${opts.name} seed ${opts.seed}`, storeDir: run.dir })) log(line);
  return { valid: results.valid, exitCode: exitCodeFor(results.valid), run, results };
}

/** machineryFault: what broke in the cluster's own machinery (a lost ssh host), or null. */
function machineryFault(cluster: Cluster): Error | null {
  return hasMachineryHealth(cluster) ? cluster.machineryFault() : null;
}

/** knobsLine prints a simulation's knobs on one line: k=v, nested objects as JSON. */
export function knobsLine(knobs: Record<string, unknown>): string {
  // The per-link table is in test.json; the line gives its summary.
  return Object.entries(knobs).filter(([k]) => k !== 'linkLatency').map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
}

/**
 * startRunDir writes the run's test.json and opens its history, then points `latest` at it. If
 * the store cannot take even that (a full disk, a read-only file system) the empty run
 * directory is removed and the error names --store: no 0-byte test.json for `latest` to show.
 */
async function startRunDir(run: RunDir, test: unknown, onFailure: (error: unknown) => void): Promise<HistoryWriter> {
  let writer: HistoryWriter | undefined;
  try {
    await writeJson(run.testJson, test);
    writer = await HistoryWriter.open(run.historyJsonl, { onFailure });
    await updateLatest(run);
    return writer;
  } catch (error) {
    await writer?.close().catch(() => undefined);
    await rm(run.dir, { recursive: true, force: true });
    if (!isFsError(error)) throw error;
    throw new OutputError(`--store ${run.root}: cannot start a run there: ${fsErrorText(error)}`);
  }
}

/**
 * registerRun: cluster/cleanup exits the process after its cleanups on SIGINT/SIGTERM; this
 * entry makes it wait (up to its deadline) for the run to stop, save logs, tear down and write
 * results. `unregister` also releases a waiting signal handler.
 */
function registerRun(name: string, controller: AbortController, tempDir: string): { unregister: () => void } {
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const unregister = registerCleanup({
    name: `runner ${name}`,
    run: () => {
      controller.abort();
      return done;
    },
    sync: () => rmSync(tempDir, { recursive: true, force: true }),
  });
  return {
    unregister: () => {
      unregister();
      finished();
    },
  };
}

/** startProgress shows the run's progress on `out` until stopped. */
function startProgress(out: ProgressOutput, nemesis: NemesisDriver, recorder: Recorder, state: { phase: string; startMs: number; mainDeadlineMs: number }, timers: Timers): RunProgress {
  const progress = new RunProgress(() => ({
    phase: state.phase,
    elapsedMs: timers.nowMs() - state.startMs,
    remainingMs: Math.max(0, state.mainDeadlineMs - timers.nowMs()),
    tally: recorder.tally,
    faults: nemesis.faultsInForce(),
  }), out);
  progress.start();
  return progress;
}

/**
 * cleanup closes the history, saves node logs and tears the cluster down; errors become the
 * crash. After a history write failure (`diskFailed`) closing the history and saving logs fail
 * for the same reason: they are logged, and the run stays cut short rather than crashed.
 */
async function cleanup(run: RunDir, writer: HistoryWriter, parts: RunnerParts | undefined, tempDir: string, crash: unknown, log: (line: string) => void, diskFailed: boolean): Promise<unknown> {
  let first = crash;
  const attempt = async (what: string, action: () => Promise<void>, onDisk = false): Promise<void> => {
    try {
      await action();
    } catch (error) {
      log(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!(onDisk && diskFailed)) first ??= error;
    }
  };
  await attempt('closing the history', () => writer.close(), true);
  if (parts !== undefined) {
    const cluster = parts.cluster;
    const db = parts.db;
    if (db?.teardown !== undefined) await attempt(`${db.name} teardown`, () => db.teardown!(cluster));
    await attempt('collecting node logs', () => cluster.collectLogs(run.logsDir), true);
    await attempt('teardown', () => cluster.teardown());
  }
  await attempt('removing temp files', () => rm(tempDir, { recursive: true, force: true }));
  return first;
}

/**
 * cutShort: a run whose history could not be written to the end is at best unknown. The prefix
 * on disk (whole lines) was checked: an anomaly in it still counts; "valid" says nothing of the
 * rest.
 */
function cutShort(results: RunResults, failure: HistoryFailure): RunResults {
  const why = `cut short: history.jsonl could not be written (${fsErrorText(failure.error)}) after ${failure.opsRecorded} ops; the ${results.opCount} ops on disk were checked`;
  const valid = composeVerdicts([results.valid, 'unknown']);
  return { ...results, valid, cutShort: why, ...(valid === 'unknown' ? { unknownReason: why } : {}) };
}

/** saveResults writes results.json; on a full disk that fails too, which is logged, not thrown. */
async function saveResults(run: RunDir, results: RunResults, log: (line: string) => void): Promise<void> {
  try {
    await writeJson(run.resultsJson, results);
  } catch (error) {
    if (!isFsError(error)) throw error;
    log(`results.json not written: ${fsErrorText(error)}`);
  }
}

/** writeReport renders report.html in a bounded worker; a report failure is logged and never changes the verdict. */
async function writeReport(analysis: BoundedAnalysis, dir: string, log: (line: string) => void): Promise<void> {
  const outcome = await analysis.run({ kind: 'report', runDir: dir });
  if (outcome.status === 'failed') log(`report.html not written: ${outcome.reason}`);
}

/** ANALYSIS_GRACE_MS: time for reading the history and rendering, on top of the checker's own budget. */
const ANALYSIS_GRACE_MS = 120_000;

/** analysisLimits: a worker may use --check-memory-mb of heap and the check budget plus a grace. */
function analysisLimits(opts: TestOptions): AnalysisLimits {
  return { memoryMb: opts.checkMemoryMb, timeoutMs: opts.checkTimeoutS * 1000 + ANALYSIS_GRACE_MS };
}

/**
 * analyze reads the stored history and checks it in a worker thread bounded in memory and
 * time (the same for `test` and `test-all`), so no history, however large, takes the control
 * node down. A check that runs out of either, or throws, is unknown, with the reason in
 * `checkerError`. A run that crashed or was interrupted is unknown and not checked.
 */
async function analyze(analysis: BoundedAnalysis, opts: TestOptions, run: RunDir, phases: PhaseTimes, interrupted: boolean, crash: unknown): Promise<RunResults> {
  const stopped = crash !== undefined || interrupted;
  const base = { kind: 'run' as const, testName: opts.name, seed: opts.seed, interrupted, phases };
  const error = !stopped ? undefined : crash === undefined ? 'interrupted' : crash instanceof Error ? (crash.stack ?? crash.message) : String(crash);
  const checkOptions = { timeoutMs: opts.checkTimeoutS * 1000, consistencyModel: opts.consistencyModel, faultRoles: faultRoles() };
  const outcome = await analysis.run({ kind: 'analysis', historyPath: run.historyJsonl, workload: stopped ? undefined : opts.workload, checkOptions });
  if (outcome.status === 'failed' || outcome.answer.kind !== 'analysis') {
    const reason = outcome.status === 'failed' ? outcome.reason : 'analysis answered with a report';
    const opCount = await countLines(run.historyJsonl);
    return { valid: 'unknown', anomalies: [], ...(error === undefined ? {} : { error }), checkerError: reason, opCount, stats: opStats([]), ...base };
  }
  const { opCount, stats, checker } = outcome.answer;
  if (checker === undefined) return { valid: 'unknown', anomalies: [], error, opCount, stats, ...base };
  return { ...runVerdict(checker.valid, stats), anomalies: checker.anomalies, checker, opCount, stats, ...base };
}

/**
 * withOracleResult composes a simulated run's safety oracle into its verdict: a violation the
 * oracle saw makes the run invalid even when no client history could show it.
 */
function withOracleResult(results: RunResults, oracle: OracleResult | undefined): RunResults {
  if (oracle === undefined) return results;
  const composed = withOracle(results.valid, results.anomalies, oracle);
  const out: RunResults = { ...results, ...composed, oracle };
  if (composed.valid !== 'unknown') delete out.unknownReason;
  return out;
}

/** countLines counts a file's lines without holding it (a history too large to check still has a length). */
async function countLines(file: string): Promise<number> {
  let count = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      for (let i = (chunk as Buffer).indexOf(10); i >= 0; i = (chunk as Buffer).indexOf(10, i + 1)) count += 1;
    }
  } catch {
    return 0;
  }
  return count;
}

/** testJson: every option, the seed, versions, the reproducing command and the model for `check DIR`. */
function testJson(opts: TestOptions, workload: Workload, schedule: ScheduledNemesisOp[] | undefined, simulation?: Record<string, unknown>): unknown {
  return {
    name: opts.name,
    seed: opts.seed,
    ...(simulation === undefined ? {} : { simulated: true, simulation }),
    options: opts,
    model: workload.checkModel?.name,
    init: workload.checkModel?.init,
    versions: { node: process.version, splitbrain: splitbrainVersion() },
    command: reproduceCommand(opts),
    argv: process.argv.slice(2),
    startedAt: new Date().toISOString(),
    schedule,
  };
}
