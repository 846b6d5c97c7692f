// control/runner/recorder.ts — stamps ops with index and monotonic time and appends them to the history.
import type { Op, Process } from '../../history/op.ts';
import type { Completion, OpSpec } from '../../workloads/types.ts';

/** HistorySink: where recorded ops go (history/jsonl.ts HistoryWriter, or an array in tests). */
export interface HistorySink {
  append(op: Op): void;
}

/** OutcomeTally: live counts of client ops (not nemesis ops) for the progress display. */
export interface OutcomeTally {
  invoke: number;
  ok: number;
  fail: number;
  info: number;
}

/** OPTIONAL_FIELDS: an op's fields that are absent rather than undefined when unset. */
const OPTIONAL_FIELDS: ReadonlySet<string> = new Set(['key', 'value', 'node', 'error', 'stamp']);

/**
 * Recorder is the single writer of the history: it gives each op the next index and its time
 * in nanoseconds since `startNs` (on `nowNs`: process.hrtime.bigint, monotonic, or a
 * simulator's virtual clock), and checks the process
 * model as it goes: a process has at most one op in flight, and a process that got an info
 * never invokes again.
 */
export class Recorder {
  readonly tally: OutcomeTally = { invoke: 0, ok: 0, fail: 0, info: 0 };
  private index = 0;
  private readonly inFlight = new Map<Process, Op>();
  private readonly crashed = new Set<Process>();

  constructor(
    private readonly sink: HistorySink,
    private readonly nowNs: () => bigint = () => process.hrtime.bigint(),
    readonly startNs: bigint = nowNs(),
  ) {}

  /** count is the number of ops recorded. */
  get count(): number {
    return this.index;
  }

  /** elapsedNs is the time since the start, in nanoseconds (the history's clock). */
  elapsedNs(): number {
    return Number(this.nowNs() - this.startNs);
  }

  /** invoke records the start of `spec` by `proc` against `node` and returns the invoke op. */
  invoke(proc: Process, spec: OpSpec, node?: string): Op {
    if (this.inFlight.has(proc)) throw new Error(`Recorder: process ${proc} invoked with an op in flight`);
    if (this.crashed.has(proc)) throw new Error(`Recorder: process ${proc} invoked after an info`);
    const op = this.record({ type: 'invoke', process: proc, f: spec.f, key: spec.key, value: spec.value, node });
    this.inFlight.set(proc, op);
    if (proc !== 'nemesis') this.tally.invoke += 1;
    return op;
  }

  /**
   * complete records the completion of `proc`'s op in flight. A completion without a value
   * carries the invoke's value (a write's ok says what was written).
   */
  complete(proc: Process, completion: Completion): Op {
    const invoke = this.inFlight.get(proc);
    if (invoke === undefined) throw new Error(`Recorder: process ${proc} completed with nothing in flight`);
    this.inFlight.delete(proc);
    // Nemesis ops always complete as info in Jepsen; they never retire the nemesis process.
    if (completion.type === 'info' && proc !== 'nemesis') this.crashed.add(proc);
    if (proc !== 'nemesis') this.tally[completion.type] += 1;
    return this.record({
      type: completion.type,
      process: proc,
      f: invoke.f,
      key: invoke.key,
      value: completion.value === undefined ? invoke.value : completion.value,
      node: completion.node ?? invoke.node,
      error: completion.error,
      stamp: completion.stamp,
    });
  }

  /** inFlightCount is the number of ops invoked and not completed. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private record(fields: Omit<Op, 'index' | 'time'>): Op {
    // The optional fields that are unset are left out, not deleted afterwards: a delete turns
    // every op of the history into a slow dictionary object. Key order is that of `fields`.
    const op = { index: this.index, time: this.elapsedNs() } as Op & Record<string, unknown>;
    for (const name in fields) {
      const value = (fields as Record<string, unknown>)[name];
      if (value !== undefined || !OPTIONAL_FIELDS.has(name)) op[name] = value;
    }
    this.index += 1;
    this.sink.append(op);
    return op;
  }
}
