// history/position-runs.ts — a number per op position (its line, its index), kept as runs that count up.

/** LineSink is what a history reader hands each op's 1-based line to (an array will do). */
export interface LineSink {
  push(line: number): unknown;
}

// Below this many values a dense array is never worth the switch.
const RUNS_DENSE_MIN = 64;

/**
 * PositionRuns keeps value(position) for positions 0, 1, 2, … pushed in order. Lines and history
 * indexes nearly always count up by one from op to op, so they are kept as runs that do: a million-op history's lines are one run, not a million numbers
 * (as an array grown by push they were 16 MB, touched about three times over while growing,
 * a sixth of reading it). A sequence that does not count up (blank lines every other line) falls
 * back to one dense array, so a value never costs more than 8 bytes.
 */
export class PositionRuns implements LineSink {
  // runStarts[r] is the first position of run r, runFirsts[r] its value; position p of run r
  // holds runFirsts[r] + (p − runStarts[r]), computed alike when pushing and reading, so exact.
  private readonly runStarts: number[] = [];
  private readonly runFirsts: number[] = [];
  private dense: Float64Array | null = null;
  /** count is the number of values pushed. */
  count = 0;

  /** push appends the value of the next position. */
  push(value: number): void {
    const position = this.count++;
    if (this.dense !== null) {
      if (position === this.dense.length) this.dense = grown(this.dense);
      this.dense[position] = value;
      return;
    }
    const runs = this.runStarts.length;
    if (runs > 0 && this.runFirsts[runs - 1] + (position - this.runStarts[runs - 1]) === value) return;
    this.runStarts.push(position);
    this.runFirsts.push(value);
    if (runs + 1 > RUNS_DENSE_MIN && 2 * (runs + 1) > this.count) this.toDense();
  }

  /** at is the value pushed for `position`; undefined outside [0, count). */
  at(position: number): number | undefined {
    if (!(Number.isInteger(position) && position >= 0 && position < this.count)) return undefined;
    if (this.dense !== null) return this.dense[position];
    // The last run whose start is at or before position (run 0 starts at 0).
    const starts = this.runStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (starts[middle] <= position) low = middle;
      else high = middle - 1;
    }
    return this.runFirsts[low] + (position - starts[low]);
  }

  // toDense writes every value so far into one array; from then on pushes go there.
  private toDense(): void {
    const dense = new Float64Array(Math.max(RUNS_DENSE_MIN, 2 * this.count));
    const starts = this.runStarts;
    for (let r = 0; r < starts.length; r++) {
      const end = r + 1 < starts.length ? starts[r + 1] : this.count;
      for (let position = starts[r]; position < end; position++) dense[position] = this.runFirsts[r] + (position - starts[r]);
    }
    this.dense = dense;
    this.runStarts.length = 0;
    this.runFirsts.length = 0;
  }
}

function grown(values: Float64Array): Float64Array {
  const next = new Float64Array(2 * values.length);
  next.set(values);
  return next;
}
