// control/commands/check-progress.ts — progress of a long `check`: ops read, then the search.
import type { SearchProgress } from '../../checker/linearizable/interleave.ts';
import type { Op } from '../../history/op.ts';
import { isRegularFile, readJsonlBatches } from '../../history/jsonl.ts';
import { sourceName } from '../../history/lines.ts';
import { locatedFrom, readLocatedOperations, type LocatedHistory, type LocatedOperations, type ReadPairedOptions } from '../../history/located.ts';
import { detectFormat, parseHistoryFormat, streamHistory, type HistoryFormat, type HistoryReadOptions } from '../../history/read.ts';
import { ProgressLine, type ProgressOutput } from '../progress.ts';

// Offering a line costs a closure; once every OFFER_EVERY ops keeps reading fast.
const OFFER_EVERY = 4096;

/** CheckProgress shows on stderr how far a check is; quick checks print nothing. */
export class CheckProgress {
  private readonly line: ProgressLine;
  private readonly startMs = performance.now();

  constructor(out: ProgressOutput = process.stderr) {
    this.line = new ProgressLine(out);
  }

  private elapsed(): string {
    return `${((performance.now() - this.startMs) / 1000).toFixed(1)}s`;
  }

  /**
   * read streams a history into memory once (stdin and pipes work), showing the ops read so
   * far, and checks its pairing: the ops with their lines, and the format they were in.
   */
  async read(file: string, opts: Omit<HistoryReadOptions, 'lines' | 'onFormat'>): Promise<{ located: LocatedHistory; format: HistoryFormat }> {
    const ops: Op[] = [];
    const lines: number[] = [];
    const regular = isRegularFile(file);
    let format = opts.format === undefined ? undefined : parseHistoryFormat(opts.format);
    if (format === undefined && regular) format = await detectFormat(file);
    if (format === 'jsonl' && regular) {
      // JSONL comes a chunk at a time (history/jsonl.ts): one offer per batch.
      for await (const batch of readJsonlBatches(file, { lines, check: opts.check })) {
        for (const op of batch) ops.push(op);
        this.line.offer(() => `[check] ${this.elapsed()} | reading ${file}: ${ops.length} ops`);
      }
    } else {
      const onFormat = (detected: HistoryFormat): void => {
        format = detected;
      };
      for await (const op of streamHistory(file, { ...opts, format, lines, onFormat })) {
        ops.push(op);
        if (ops.length % OFFER_EVERY === 0) this.line.offer(() => `[check] ${this.elapsed()} | reading ${file}: ${ops.length} ops`);
      }
    }
    return { located: locatedFrom(sourceName(file), ops, lines), format: format ?? 'jsonl' };
  }

  /**
   * readPaired reads and pairs a history in one pass (readLocatedOperations), showing the ops
   * read so far: what a model check needs, without holding every op.
   */
  async readPaired(file: string, opts: Omit<ReadPairedOptions, 'onOp' | 'onFormat'>): Promise<LocatedOperations & { format: HistoryFormat }> {
    let format = opts.format === undefined ? undefined : parseHistoryFormat(opts.format);
    const onFormat = (detected: HistoryFormat): void => {
      format = detected;
    };
    const onOp = (count: number): void => {
      if (count % OFFER_EVERY === 0) this.line.offer(() => `[check] ${this.elapsed()} | reading ${file}: ${count} ops`);
    };
    const located = await readLocatedOperations(sourceName(file), file, { ...opts, onFormat, onOp });
    return { ...located, format: format ?? 'jsonl' };
  }

  /** search is an onProgress for checkLinearizable. */
  readonly search = (p: SearchProgress): void => {
    this.line.offer(() => `[check] ${this.elapsed()} | searching: ${p.partitionsChecked}/${p.partitions} partitions done, ${p.steps} steps`);
  };

  /** end finishes the line before the verdict is printed. */
  end(): void {
    this.line.end();
  }
}
