// history/operation-table.ts — paired operations kept as columns, built into objects only when asked.
//
// A million paired operations as objects were most of the heap after reading a history, and
// every scavenge copied them (GC was a fifth of `check FILE`). As columns they are a few
// arrays: numbers in typed arrays, strings and values as pointers into shared or small data.
import type { Op, OpKey, Operation, Process } from './op.ts';

const ROW_OPEN = 0; // an invoke still waiting for its completion
const ROW_OK = 1;
const ROW_INFO = 2;
const ROW_DROPPED = 3; // failed, or a read that never returned: not an operation
// Rows live in fixed chunks, never in one array grown by doubling: a million rows grown that
// way touched twice their memory and copied it, and on this machine a fresh page costs a
// fault of several microseconds (the growth was a third of pairing a million-op history).
const CHUNK_ROWS_BITS = 13;
const CHUNK_ROWS = 1 << CHUNK_ROWS_BITS;
const CHUNK_ROW_MASK = CHUNK_ROWS - 1;

// A row is two runs of memory: NUMBERS doubles and REFS pointers. Kept side by side, building
// the operation of a row is two cache misses, not one per field: partitions take their rows
// from all over the table, and with a column per field building them was a third of the search.
const NUMBERS = 6;
const N_PROCESS = 0;
const N_INVOKE_INDEX = 1;
const N_RETURN_INDEX = 2;
const N_INVOKE_TIME = 3; // NaN when absent: a present time is finite (op-record.ts checks it)
const N_RETURN_TIME = 4;
const N_STATE = 5;
const REFS = 4;
const R_F = 0;
const R_KEY = 1;
const R_INPUT = 2;
const R_OUTPUT = 3;

/**
 * OperationTable holds paired operations one row each, in invoke order. The pairer adds a row
 * per invoke (openRow), settles it (closeOk, closeInfo, drop) and compacts the table once
 * (compact); from then on row r is the operation with id r, and operation(r) builds it.
 */
export class OperationTable {
  /** numberChunks[c] holds rows c·CHUNK_ROWS onwards, NUMBERS doubles a row; refChunks likewise, REFS a row. */
  private readonly numberChunks: Float64Array[] = [];
  private readonly refChunks: unknown[][] = [];
  private compacted = false;
  /** count is the number of rows (after compact: of operations). */
  count = 0;

  /** openRow adds a row for `invoke` and returns its number. */
  openRow(invoke: Op): number {
    if (this.compacted) throw new Error('OperationTable: openRow after compact');
    const row = this.count++;
    if ((row & CHUNK_ROW_MASK) === 0) {
      this.numberChunks.push(new Float64Array(CHUNK_ROWS * NUMBERS));
      this.refChunks.push(new Array<unknown>(CHUNK_ROWS * REFS).fill(undefined));
    }
    const numbers = this.numberChunks[row >>> CHUNK_ROWS_BITS];
    const at = (row & CHUNK_ROW_MASK) * NUMBERS;
    numbers[at + N_PROCESS] = invoke.process as number;
    numbers[at + N_INVOKE_INDEX] = invoke.index;
    numbers[at + N_RETURN_INDEX] = Infinity;
    numbers[at + N_INVOKE_TIME] = invoke.time ?? NaN;
    numbers[at + N_RETURN_TIME] = NaN;
    numbers[at + N_STATE] = ROW_OPEN;
    const refs = this.refChunks[row >>> CHUNK_ROWS_BITS];
    const ref = (row & CHUNK_ROW_MASK) * REFS;
    refs[ref + R_F] = invoke.f;
    refs[ref + R_KEY] = invoke.key;
    refs[ref + R_INPUT] = invoke.value;
    return row;
  }

  /** closeOk settles an open row with its ok completion. */
  closeOk(row: number, ok: Op): void {
    this.settle(row, ROW_OK);
    const numbers = this.numberChunks[row >>> CHUNK_ROWS_BITS];
    const at = (row & CHUNK_ROW_MASK) * NUMBERS;
    numbers[at + N_RETURN_INDEX] = ok.index;
    numbers[at + N_RETURN_TIME] = ok.time ?? NaN;
    this.refChunks[row >>> CHUNK_ROWS_BITS][(row & CHUNK_ROW_MASK) * REFS + R_OUTPUT] = ok.value;
  }

  /** closeInfo settles an open row as an op that may or may not have happened (no return). */
  closeInfo(row: number): void {
    this.settle(row, ROW_INFO);
  }

  /** drop settles an open row as no operation at all. */
  drop(row: number): void {
    this.settle(row, ROW_DROPPED);
  }

  private settle(row: number, state: number): void {
    const at = (row & CHUNK_ROW_MASK) * NUMBERS + N_STATE;
    const numbers = this.numberChunks[row >>> CHUNK_ROWS_BITS];
    if (!(row >= 0 && row < this.count) || numbers[at] !== ROW_OPEN) {
      throw new Error(`OperationTable: row ${row} is not open`);
    }
    numbers[at] = state;
  }

  /** compact removes the dropped rows, keeping the order; every row must be settled. */
  compact(): void {
    const { numberChunks, refChunks } = this;
    let kept = 0;
    for (let row = 0; row < this.count; row++) {
      const from = numberChunks[row >>> CHUNK_ROWS_BITS];
      const at = (row & CHUNK_ROW_MASK) * NUMBERS;
      const state = from[at + N_STATE];
      if (state === ROW_OPEN) throw new Error(`OperationTable: row ${row} is still open`);
      if (state === ROW_DROPPED) continue;
      if (kept !== row) {
        // A loop, not copyWithin: a builtin call per row cost more than the six copies.
        const to = numberChunks[kept >>> CHUNK_ROWS_BITS];
        const keptAt = (kept & CHUNK_ROW_MASK) * NUMBERS;
        for (let i = 0; i < NUMBERS; i++) to[keptAt + i] = from[at + i];
        const refsFrom = refChunks[row >>> CHUNK_ROWS_BITS];
        const refsTo = refChunks[kept >>> CHUNK_ROWS_BITS];
        const ref = (row & CHUNK_ROW_MASK) * REFS;
        const keptRef = (kept & CHUNK_ROW_MASK) * REFS;
        for (let i = 0; i < REFS; i++) refsTo[keptRef + i] = refsFrom[ref + i];
      }
      kept++;
    }
    this.count = kept;
    // The chunks past the last kept row hold nothing: let them go.
    const chunks = (kept + CHUNK_ROW_MASK) >>> CHUNK_ROWS_BITS;
    numberChunks.length = chunks;
    refChunks.length = chunks;
    this.compacted = true;
  }

  /** keyAt is row r's key (undefined when its op has none), read without building the op. */
  keyAt(row: number): OpKey | undefined {
    return this.refChunks[row >>> CHUNK_ROWS_BITS][(row & CHUNK_ROW_MASK) * REFS + R_KEY] as OpKey | undefined;
  }

  /** operation builds the operation of row r (its id is r once compacted). */
  operation(row: number): Operation {
    this.assertCompacted(row);
    const at = (row & CHUNK_ROW_MASK) * NUMBERS;
    const ref = (row & CHUNK_ROW_MASK) * REFS;
    const numbers = this.numberChunks[row >>> CHUNK_ROWS_BITS];
    const refs = this.refChunks[row >>> CHUNK_ROWS_BITS];
    const ok = numbers[at + N_STATE] === ROW_OK;
    return new PairedOperation(
      row, numbers[at + N_PROCESS], refs[ref + R_F] as string, refs[ref + R_KEY] as OpKey | undefined,
      refs[ref + R_INPUT], refs[ref + R_OUTPUT], ok, numbers[at + N_INVOKE_INDEX], numbers[at + N_RETURN_INDEX],
      timeOrUndefined(numbers[at + N_INVOKE_TIME]), timeOrUndefined(numbers[at + N_RETURN_TIME]),
    );
  }

  /** operations builds every operation, in id order. */
  operations(): Operation[] {
    const all = new Array<Operation>(this.count);
    for (let row = 0; row < this.count; row++) all[row] = this.operation(row);
    return all;
  }

  /**
   * fill writes row r into `target` (a scratch operation to look at, not to keep): every
   * field is assigned, absent ones as undefined, so the scratch object keeps one shape.
   */
  fill(row: number, target: Operation): void {
    this.assertCompacted(row);
    const at = (row & CHUNK_ROW_MASK) * NUMBERS;
    const ref = (row & CHUNK_ROW_MASK) * REFS;
    const numbers = this.numberChunks[row >>> CHUNK_ROWS_BITS];
    const refs = this.refChunks[row >>> CHUNK_ROWS_BITS];
    target.id = row;
    target.process = numbers[at + N_PROCESS];
    target.f = refs[ref + R_F] as string;
    target.key = refs[ref + R_KEY] as OpKey | undefined;
    target.input = refs[ref + R_INPUT];
    target.output = refs[ref + R_OUTPUT];
    target.outcome = numbers[at + N_STATE] === ROW_OK ? 'ok' : 'info';
    target.invokeIndex = numbers[at + N_INVOKE_INDEX];
    target.returnIndex = numbers[at + N_RETURN_INDEX];
    target.invokeTime = timeOrUndefined(numbers[at + N_INVOKE_TIME]);
    target.returnTime = timeOrUndefined(numbers[at + N_RETURN_TIME]);
  }

  private assertCompacted(row: number): void {
    if (!this.compacted) throw new Error('OperationTable: read before compact');
    if (!(row >= 0 && row < this.count)) throw new Error(`OperationTable: no row ${row} of ${this.count}`);
  }
}

function timeOrUndefined(time: number): number | undefined {
  return Number.isNaN(time) ? undefined : time;
}

/**
 * PairedOperation is the Operation a table row builds. A class, so V8 keeps every field in the
 * object itself (the optional ones too) and the search reads a few fixed shapes.
 */
class PairedOperation implements Operation {
  // Declared, not defined: the constructor sets the fields in this order, the optional ones only when present.
  declare id: number;
  declare process: Process;
  declare f: string;
  declare key?: OpKey;
  declare input: unknown;
  declare output: unknown;
  declare outcome: 'ok' | 'info';
  declare invokeIndex: number;
  declare returnIndex: number;
  declare invokeTime?: number;
  declare returnTime?: number;

  // One argument per column: building a million operations allocates nothing else.
  constructor(
    id: number, process: Process, f: string, key: OpKey | undefined, input: unknown, output: unknown,
    ok: boolean, invokeIndex: number, returnIndex: number, invokeTime: number | undefined, returnTime: number | undefined,
  ) {
    this.id = id;
    this.process = process;
    this.f = f;
    if (key !== undefined) this.key = key;
    this.input = input;
    this.output = output;
    this.outcome = ok ? 'ok' : 'info';
    this.invokeIndex = invokeIndex;
    this.returnIndex = returnIndex;
    if (invokeTime !== undefined) this.invokeTime = invokeTime;
    if (returnTime !== undefined) this.returnTime = returnTime;
  }
}
