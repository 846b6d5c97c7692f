// test/support/txn-history-builder.ts — a tiny builder of txn histories for the Elle checker's tests.
import type { Op } from '../../history/op.ts';

type Mop = [string, number | string, unknown];

/** TxnHistoryBuilder appends invoke/completion records with increasing index and time. */
export class TxnHistoryBuilder {
  readonly ops: Op[] = [];
  private readonly pending = new Map<number, Mop[]>();

  private push(type: Op['type'], process: number, value: unknown): this {
    this.ops.push({ index: this.ops.length, time: this.ops.length * 1000, type, process, f: 'txn', value });
    return this;
  }

  /** invoke starts a txn; reads in `mops` may carry their results, which the invoke hides. */
  invoke(process: number, mops: Mop[]): this {
    this.pending.set(process, mops);
    return this.push('invoke', process, mops.map(([f, k, v]) => [f, k, f === 'r' ? null : v]));
  }

  /** ok completes process's txn with the results given at invoke (or `mops` when given). */
  ok(process: number, mops?: Mop[]): this {
    const value = mops ?? this.pending.get(process);
    this.pending.delete(process);
    return this.push('ok', process, value);
  }

  fail(process: number): this {
    const mops = this.pending.get(process) ?? [];
    this.pending.delete(process);
    return this.push('fail', process, mops.map(([f, k, v]) => [f, k, f === 'r' ? null : v]));
  }

  info(process: number): this {
    const mops = this.pending.get(process) ?? [];
    this.pending.delete(process);
    return this.push('info', process, mops.map(([f, k, v]) => [f, k, f === 'r' ? null : v]));
  }

  /** txn is invoke + ok back to back. */
  txn(process: number, mops: Mop[]): this {
    return this.invoke(process, mops).ok(process);
  }
}
