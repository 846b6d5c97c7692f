// test/support/history-builder.ts — builds hand-made histories for the checker tests (times in ms, indexes dense).
import type { Op, OpType } from '../../history/op.ts';

/** HistoryBuilder: `invoke` and `complete` append ops; a completion without a value copies the invoke's. */
export class HistoryBuilder {
  readonly ops: Op[] = [];
  private readonly open = new Map<number, Op>();

  invoke(process: number, f: string, value: unknown, timeMs: number, node?: string): this {
    const op: Op = { index: this.ops.length, time: timeMs * 1e6, type: 'invoke', process, f, value, node };
    this.open.set(process, op);
    this.ops.push(op);
    return this;
  }

  complete(process: number, type: Exclude<OpType, 'invoke'>, timeMs: number, value?: unknown, node?: string): this {
    const invoke = this.open.get(process);
    if (invoke === undefined) throw new Error(`HistoryBuilder: process ${process} has no op in flight`);
    this.open.delete(process);
    this.ops.push({ index: this.ops.length, time: timeMs * 1e6, type, process, f: invoke.f, value: value === undefined ? invoke.value : value, node: node ?? invoke.node });
    return this;
  }

  /** op is invoke + completion in one call. */
  op(process: number, f: string, value: unknown, startMs: number, type: Exclude<OpType, 'invoke'>, endMs: number, result?: unknown, node?: string): this {
    return this.invoke(process, f, value, startMs, node).complete(process, type, endMs, result, node);
  }
}
