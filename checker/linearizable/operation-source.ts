// checker/linearizable/operation-source.ts — what a check reads: operations as objects, or as table rows.
import { HistoryInputError } from '../../history/errors.ts';
import type { Operation } from '../../history/op.ts';
import type { OperationTable } from '../../history/operation-table.ts';
import { partitionByKey } from '../models/values.ts';
import type { Model } from '../types.ts';
import type { PartitionInput } from './interleave.ts';

/**
 * OperationSource gives a check its operations: every one to Model.checkInput, in id order,
 * then the partitions to search (non-empty, each in id order).
 */
export interface OperationSource {
  count: number;
  /** checkInputs throws a HistoryInputError for the first operation the model cannot step. */
  checkInputs(model: Model): void;
  /** partitions splits by model.partition when `split`, else gives one partition. */
  partitions(model: Model, split: boolean): PartitionInput[];
}

/** arraySource is a source over operations already built. */
export function arraySource(ops: Operation[]): OperationSource {
  return {
    count: ops.length,
    checkInputs(model) {
      for (const op of ops) checkInput(model, op);
    },
    partitions(model, split) {
      const parts = split ? (model.partition as (all: Operation[]) => Operation[][])(ops) : [ops];
      return parts.filter((p) => p.length > 0);
    },
  };
}

/**
 * tableSource is a source over a paired table. Inputs are checked on one scratch operation
 * filled row by row, and a model partitioned by key (partitionByKey) is split by the key
 * column: each partition's operations are built when its search starts and die with it, so a
 * million-op check never keeps a million objects (their copying was much of its GC).
 */
export function tableSource(table: OperationTable): OperationSource {
  return {
    count: table.count,
    checkInputs(model) {
      if (model.checkInput === undefined || table.count === 0) return;
      const scratch = table.operation(0);
      for (let row = 0; row < table.count; row++) {
        table.fill(row, scratch);
        checkInput(model, scratch);
      }
    },
    partitions(model, split) {
      if (split && model.partition === partitionByKey) return keyPartitions(table);
      return arraySource(table.operations()).partitions(model, split);
    },
  };
}

// keyPartitions is partitionByKey over the key column: the same groups, in the same order.
function keyPartitions(table: OperationTable): PartitionInput[] {
  const groups = new Map<unknown, number[]>();
  for (let row = 0; row < table.count; row++) {
    const key = table.keyAt(row) ?? null;
    let rows = groups.get(key);
    if (rows === undefined) {
      rows = [];
      groups.set(key, rows);
    }
    rows.push(row);
  }
  return [...groups.values()].map((rows) => ({
    length: rows.length,
    operations: () => rows.map((row) => table.operation(row)),
  }));
}

// checkInput throws a HistoryInputError when the model cannot step `op`.
function checkInput(model: Model, op: Operation): void {
  const problem = model.checkInput?.(op);
  if (problem === undefined) return;
  const detail = `model ${model.name} cannot step ${op.f}: expected ${problem.expected}, got ${problem.got}`;
  throw new HistoryInputError({ index: op.invokeIndex, detail, ...problem });
}
